// CO-RE on a field no kernel has, beside a guarded check of another: the relocation evidence must name the
// missing field and mark the *_exists relocation as a guard.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
	int bpfcompat_no_such_field;
	int bpfcompat_optional_field;
} __attribute__((preserve_access_index));

SEC("tracepoint/syscalls/sys_enter_getpid")
int reads_missing(void *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	if (bpf_core_field_exists(t->bpfcompat_optional_field))
		return 1;
	return BPF_CORE_READ(t, bpfcompat_no_such_field);
}

char LICENSE[] SEC("license") = "GPL";
