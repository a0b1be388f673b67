// What many libbpf tools ship: maps their loader sizes and a target their loader sets, both before load.
// - stack_traces: a stack-trace map with only a key; its loader calls bpf_map__set_value_size(depth * 8) and
//   bpf_map__set_max_entries(). As compiled, the kernel refuses it (value_size 0): bpfcompat sizes it
//   (127 frames x 8 bytes) and reports that it did.
// - file_read_entry: fentry on dummy_file_read, a placeholder no kernel has; its loader calls
//   bpf_program__set_attach_target() with the real function (vfs_read here). Missing on every kernel of a matrix,
//   it is reported as a placeholder; with manifest.yaml naming the real target it validates.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
} stack_traces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1024);
} reads SEC(".maps");

SEC("kprobe/vfs_read")
int sample_stack(void *ctx)
{
	long id = bpf_get_stackid(ctx, &stack_traces, 0);

	return id < 0 ? 0 : 1;
}

SEC("fentry/dummy_file_read")
int file_read_entry(unsigned long long *ctx)
{
	__u32 key = 0;
	__u64 one = 1, *n = bpf_map_lookup_elem(&reads, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&reads, &key, &one, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
