// A per-CPU scratch buffer whose size the loader sets (bpf_map__set_value_size) before load: as compiled its
// value_size is 0 and the kernel refuses the map (EINVAL, before any verification). bpfcompat names the map and
// the field; manifest.yaml gives the size so the object validates alone.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(max_entries, 1);
} scratch SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int use_scratch(void *ctx)
{
	__u32 key = 0;
	char *buf = bpf_map_lookup_elem(&scratch, &key);

	return buf ? 0 : 1;
}

char LICENSE[] SEC("license") = "GPL";
