// Version 1.1 of the demo's "exec-tracer" (version 1.0 is examples/bpf-loop): the bpf_loop() call that 5.10 lacks is
// replaced by a bounded loop, which fixes 5.10; and a tcx ingress counter is added, which only kernels from 6.6 can
// attach. `make demo` records both versions, so the compare page shows a kernel fixed and a kernel where the
// program now loads but no longer attaches (pass → "loads, attach warned").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} execs SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int count_execs(void *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&execs, &zero);

	if (!n)
		return 0;
	for (int i = 0; i < 8; i++) /* bounded: every verifier accepts it */
		__sync_fetch_and_add(n, 1);
	return 0;
}

SEC("tcx/ingress")
int count_packets(struct __sk_buff *skb)
{
	return 1; /* TCX_PASS */
}

char LICENSE[] SEC("license") = "GPL";
