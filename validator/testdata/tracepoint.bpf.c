// A tracepoint program that loads and attaches on any kernel with BPF: the "everything passes" case.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} exec_count SEC(".maps");

/* max_entries 0: sized at run time by the loader, so the validator auto-sizes it to 4096 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
} seen_pids SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int count_exec(void *ctx)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&exec_count, &zero);
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1;

	if (v)
		__sync_fetch_and_add(v, 1);
	bpf_map_update_elem(&seen_pids, &pid, &one, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
