// A non-GPL program calling bpf_probe_read_kernel, which the kernel reserves for GPL-compatible programs.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_execve")
int read_kernel(void *ctx)
{
	__u64 word = 0;

	bpf_probe_read_kernel(&word, sizeof(word), ctx);
	return word == 42;
}

char LICENSE[] SEC("license") = "Proprietary";
