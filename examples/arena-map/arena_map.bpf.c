// Declares a BPF arena (BPF_MAP_TYPE_ARENA, Linux 6.9+) used by a syscall program: map creation fails on 5.10
// and 6.1, where the type does not exist. On 7.x kernels the arena allocator needs the CPU's cmpxchg16b: a
// guest CPU model without it fails with ENOMEM, which says nothing about arena support (RESOURCE_LIMIT).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* the build's <linux/bpf.h> may predate 6.9; the value is fixed in the kernel's UAPI */
#ifndef BPF_MAP_TYPE_ARENA
#define BPF_MAP_TYPE_ARENA 33
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 4); /* pages */
} arena SEC(".maps");

SEC("syscall")
int arena_touch(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
