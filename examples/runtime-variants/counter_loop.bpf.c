// exec-counter, variant "loop": sums with bpf_loop (helper 181, Linux 5.17+). The preferred build: loads on 6.1
// and later, rejected on 5.10 (root cause: helper bpf_loop missing).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} total SEC(".maps");

static long add_index(__u32 index, void *ctx)
{
	__u64 *sum = ctx;

	*sum += index;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int count_execve(void *ctx)
{
	__u32 key = 0;
	__u64 sum = 0;
	__u64 *value;

	bpf_loop(16, add_index, &sum, 0);
	value = bpf_map_lookup_elem(&total, &key);
	if (value)
		__sync_fetch_and_add(value, sum);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
