// exec-counter, variant "unrolled": the same sum with the loop unrolled by the compiler. The fallback build: no
// helper newer than the map helpers, so it loads on 5.10 too.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} total SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int count_execve(void *ctx)
{
	__u32 key = 0;
	__u64 sum = 0;
	__u64 *value;

#pragma unroll
	for (__u32 i = 0; i < 16; i++)
		sum += i;
	value = bpf_map_lookup_elem(&total, &key);
	if (value)
		__sync_fetch_and_add(value, sum);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
