// A tc program attached through tcx (BPF_TCX_INGRESS, Linux 6.6+). It loads everywhere (a sched_cls program), but
// only kernels that know the tcx attach type can attach it: on 5.10 and 6.1 the attach fails. Without a manifest
// that requires attach, that is an explained warning (UNSUPPORTED_ATTACH_TYPE), not a silent pass.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tcx/ingress")
int tcx_pass(struct __sk_buff *skb)
{
	return 1; /* TCX_PASS */
}

char LICENSE[] SEC("license") = "GPL";
