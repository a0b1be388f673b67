// Loads everywhere, but its kprobe target does not exist: attach fails with ENOENT.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("kprobe/bpfcompat_no_such_kernel_function")
int probe_missing(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
