// Calls the kfunc bpf_task_from_pid (Linux 6.2+): libbpf cannot resolve it on 5.10 and 6.1, loads from 6.12.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* a struct, not a forward declaration: libbpf matches kfunc prototypes by kind */
struct task_struct {
	int pid;
};

extern struct task_struct *bpf_task_from_pid(int pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

SEC("tp_btf/sched_process_exec")
int find_init(void *ctx)
{
	struct task_struct *init = bpf_task_from_pid(1);

	if (init)
		bpf_task_release(init);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
