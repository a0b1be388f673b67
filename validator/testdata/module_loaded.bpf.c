// An fentry whose target lives in a module the boot loads (veth, for its attach tests): on kernels whose modules
// carry BTF the target is found in veth's split BTF, as libbpf finds it in /sys/kernel/btf/veth.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("fentry/veth_xmit")
int BPF_PROG(veth_xmit_entry, void *skb, void *dev)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
