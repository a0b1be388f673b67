// A kprobe on a function no kernel has: loads everywhere, the required attach fails everywhere.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("kprobe/bpfcompat_function_that_does_not_exist")
int probe_missing(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
