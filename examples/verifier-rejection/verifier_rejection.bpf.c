// Uses a hash map lookup result without a NULL check: every verifier rejects it. (A hash map, because recent
// verifiers know an array lookup with a constant in-bounds key cannot return NULL.)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counter SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int count_unchecked(void *ctx)
{
	__u32 key = 0;
	__u64 *value = bpf_map_lookup_elem(&counter, &key);

	*value += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
