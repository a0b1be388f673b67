#ifndef BPFCOMPAT_AGENT_RESET_H
#define BPFCOMPAT_AGENT_RESET_H

#include <stdbool.h>

struct reset_paths {
	const char *bpffs;   /* pinned objects under it are removed (the mount itself stays) */
	const char *tracefs; /* its kprobe_events is cleared */
	bool net;            /* detach XDP and clsact from lo with iproute2 */
};

/* What outlives a job's processes: pinned objects and kprobe events, and with `full`, XDP and tc on lo. */
void reset_between_jobs(const struct reset_paths *paths, bool full);

/* Runs argv (absolute path) with stdin from `input` (or /dev/null), output discarded; returns its exit code. */
int run_quiet(char *const argv[], const char *input);

#endif
