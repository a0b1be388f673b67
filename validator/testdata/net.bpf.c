// Network families the validator attaches on "lo": two XDP programs (one interface holds one XDP
// program at a time, so they must be detached between each other), a tc classifier and a cgroup_skb program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass_one(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdp_pass_two(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int tc_pass(struct __sk_buff *skb)
{
	return 0; /* TC_ACT_OK */
}

SEC("cgroup_skb/ingress")
int cgroup_allow(struct __sk_buff *skb)
{
	return 1;
}

SEC("syscall")
int run_by_prog_run(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
