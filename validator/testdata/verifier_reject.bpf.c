// One program the verifier rejects (unchecked hash lookup result dereference) beside one that is fine:
// the isolated trial loads must tell them apart even though the whole-object load fails.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	/* a hash map: newer kernels know constant-key array lookups cannot return NULL */
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} values SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int rejected(void *ctx)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&values, &zero);

	/* no NULL check: "R0 invalid mem access 'map_value_or_null'" */
	return (int)*v;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int accepted(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
