// Reads task_struct.__state, which Linux 5.14 renamed from "state": the CO-RE relocation fails on 5.10.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
	unsigned int __state;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} last_state SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int record_state(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 key = 0, state = BPF_CORE_READ(task, __state);

	bpf_map_update_elem(&last_state, &key, &state, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
