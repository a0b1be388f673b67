// Declares a cgroup local-storage map (BPF_MAP_TYPE_CGRP_STORAGE, Linux 6.2+): map creation fails on 5.10 and 6.1.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* the build's <linux/bpf.h> may predate 6.2; the value is fixed in the kernel's UAPI */
#ifndef BPF_MAP_TYPE_CGRP_STORAGE
#define BPF_MAP_TYPE_CGRP_STORAGE 32
#endif

struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} cgroup_bytes SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int count_exec(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
