// Loads and attaches on every kernel of the Debian matrix: a tracepoint counter and an XDP pass.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} exec_count SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int count_execve(void *ctx)
{
	__u32 key = 0;
	__u64 *value = bpf_map_lookup_elem(&exec_count, &key);

	if (value)
		__sync_fetch_and_add(value, 1);
	return 0;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
