// An fentry whose target lives in a module nothing loads in the boot (md_mod's md_flush_request), and a CO-RE read
// of a type only modules define (struct mddev): it loads where md_mod is loaded, and not where it is not.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

struct mddev {
	int raid_disks;
} __attribute__((preserve_access_index));

int disks;

SEC("fentry/md_flush_request")
int BPF_PROG(md_flush_entry, struct mddev *mddev)
{
	disks = BPF_CORE_READ(mddev, raid_disks);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
