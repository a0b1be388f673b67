// A cgroup hook on connect() of AF_UNIX sockets (attach type cgroup_unix_connect, Linux 6.7+):
// the program type exists everywhere, the attach type only from 6.7, so 5.10 and 6.1 refuse the load.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("cgroup/connect_unix")
int allow_unix_connect(struct bpf_sock_addr *ctx)
{
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
