// Two variants of one program: the preferred one needs a helper id no kernel has, so the
// validator must fall back to the unconditional one and leave the preferred one unloaded.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_getpid")
int handler_new(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int handler_old(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
