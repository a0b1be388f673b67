// A non-GPL object: a GPL-only helper must be reported as gpl_only, an ordinary one as supported;
// the kfunc call is weak (guarded), so only its lookup is evidence.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern void bpfcompat_no_such_kfunc(void) __ksym __weak;

SEC("tracepoint/syscalls/sys_enter_getpid")
int calls_gpl_only(void *ctx)
{
	__u64 word = 0;

	if (bpf_ksym_exists(bpfcompat_no_such_kfunc))
		bpfcompat_no_such_kfunc();
	bpf_probe_read_kernel(&word, sizeof(word), ctx);
	return bpf_get_smp_processor_id() + (int)word;
}

char LICENSE[] SEC("license") = "Proprietary";
