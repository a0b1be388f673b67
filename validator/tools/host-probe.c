/* bpfcompat-host-probe: describes the running kernel's BPF support as JSON (bpfcompat.host-probe.v1), read-only.
 * It creates and loads only two-instruction probe programs and empty maps, which it closes at once; it never reads
 * or loads a user's object. Feature answers follow the validator's rules (src/probe.c, src/rootcause.c): only the
 * kernel's own "no such type/helper" answer says a feature is missing, any other refusal is inconclusive, and a
 * host where bpf() is refused says "unknown" for everything it could not probe. Exit: 0 written, 1 bad usage.
 * Usage: bpfcompat-host-probe [--helper PROG_TYPE:bpf_NAME]... */
#define _GNU_SOURCE
#include "../src/probe-rules.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../src/json.h"

#define HELPER_NAME_FN(name, id, ...) [id] = "bpf_" #name,
static const char *const helper_names[] = { ___BPF_FUNC_MAPPER(HELPER_NAME_FN) };
#define N_HELPERS (sizeof(helper_names) / sizeof(helper_names[0]))

static const char *only[64];
static size_t n_only;

/* Whether TYPE:NAME is to be probed (all pairs without --helper). */
static bool wanted(const char *type, const char *name)
{
	size_t tl = strlen(type);

	if (n_only == 0)
		return true;
	for (size_t i = 0; i < n_only; i++)
		if (strncmp(only[i], type, tl) == 0 && only[i][tl] == ':' && strcmp(only[i] + tl + 1, name) == 0)
			return true;
	return false;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* Helpers are probed per program type a helper's availability depends on; tracing, LSM and extension programs
 * ask through raw_tracepoint as the validator does (their own type cannot load without an attach target). */
static const enum bpf_prog_type helper_progs[] = {
	BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_XDP,
	BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_PERF_EVENT,
};

/* rootcause.c's probe_helper under a GPL license: "call id; exit", read by the verifier's own words. */
static const char *probe_helper(enum bpf_prog_type type, int id)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = id },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static char log[4096];
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	int fd;

	log[0] = '\0';
	fd = bpf_prog_load(type, NULL, "GPL", insns, 2, &o);
	if (fd >= 0) {
		close(fd);
		return "supported";
	}
	/* No errno test: the verifier refuses a helper's arguments with EACCES too, after it accepted the helper. */
	if (strstr(log, "invalid func unknown#"))
		return "missing";
	if (strstr(log, "unknown func ") || strstr(log, "cannot use helper"))
		return "unsupported_for_type";
	return log[0] ? "supported" : "inconclusive";
}

/* The first line of a file without its newline, or NULL. */
static char *first_line(const char *path)
{
	char buf[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

/* /sys/kernel/security/lockdown reads "none [integrity] confidentiality": the bracketed word. */
static void write_lockdown(struct json *j)
{
	char *line = first_line("/sys/kernel/security/lockdown");
	char *open = line ? strchr(line, '[') : NULL;
	char *close_ = open ? strchr(open, ']') : NULL;

	json_key(j, "lockdown");
	if (open && close_) {
		json_strn(j, open + 1, (size_t)(close_ - open - 1));
	} else {
		json_str(j, "unknown");
	}
	free(line);
}

static void write_unprivileged(struct json *j)
{
	char *line = first_line("/proc/sys/kernel/unprivileged_bpf_disabled");
	char *end = NULL;
	long v = line ? strtol(line, &end, 10) : -1;

	json_key(j, "unprivileged_bpf_disabled");
	if (line && end != line && v >= 0)
		json_int(j, v);
	else
		json_str(j, "unknown");
	free(line);
}

/* Whether this process may use bpf() at all: an array map is the smallest thing every BPF kernel has. */
static const char *bpf_access(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);

	if (fd >= 0) {
		close(fd);
		return "granted";
	}
	if (errno == EPERM || errno == EACCES)
		return "denied";
	return errno == ENOSYS ? "no_bpf_syscall" : "denied";
}

int main(int argc, char **argv)
{
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };
	struct json j;
	struct utsname u;
	struct stat st;
	const char *access_;
	bool probe;

	/* --helper TYPE:NAME (repeatable) limits the helper probes to those pairs: a guest job's output is kept as a
	 * bounded tail, and a comparison needs only the helpers its objects call. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--helper") != 0 || i + 1 >= argc || !strchr(argv[i + 1], ':')) {
			fprintf(stderr, "usage: %s [--helper PROG_TYPE:bpf_NAME]... (writes the host's BPF profile as JSON on stdout)\n", argv[0]);
			return 1;
		}
		only[n_only++] = argv[++i];
		if (n_only == sizeof(only) / sizeof(only[0]))
			break;
	}
	libbpf_set_print(quiet);
	setrlimit(RLIMIT_MEMLOCK, &inf);
	access_ = bpf_access();
	probe = strcmp(access_, "granted") == 0;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kv_str(&j, "schema_version", "bpfcompat.host-probe.v1");
	json_kv_str(&j, "libbpf_version", LIBBPF_PINNED_VERSION);
	if (uname(&u) == 0) {
		json_kv_str(&j, "kernel_release", u.release);
		json_kv_str(&j, "kernel_version", u.version);
		json_kv_str(&j, "machine", u.machine);
	}
	json_key(&j, "kernel_btf");
	if (stat("/sys/kernel/btf/vmlinux", &st) == 0) {
		json_obj_begin(&j);
		json_kv_bool(&j, "available", true);
		json_kv_int(&j, "size", (long long)st.st_size);
		json_obj_end(&j);
	} else {
		json_obj_begin(&j);
		json_kv_bool(&j, "available", false);
		json_obj_end(&j);
	}
	write_lockdown(&j);
	write_unprivileged(&j);
	json_kv_str(&j, "bpf_access", access_);

	json_key(&j, "map_types");
	if (!probe) {
		json_str(&j, "unknown");
	} else {
		json_obj_begin(&j);
		for (size_t i = 0; i < sizeof(probed_maps) / sizeof(probed_maps[0]); i++) {
			const char *name = libbpf_bpf_map_type_str(probed_maps[i]);

			if (!name)
				continue;
			errno = 0;
			json_kv_str(&j, name, probe_status(probe_map_type((int)probed_maps[i])));
		}
		json_obj_end(&j);
	}
	json_key(&j, "program_types");
	if (!probe) {
		json_str(&j, "unknown");
	} else {
		json_obj_begin(&j);
		for (size_t i = 0; i < sizeof(probed_progs) / sizeof(probed_progs[0]); i++) {
			const char *name = libbpf_bpf_prog_type_str(probed_progs[i]);

			if (!name)
				continue;
			errno = 0;
			json_kv_str(&j, name, probe_status(probe_prog_type(probed_progs[i])));
		}
		json_obj_end(&j);
	}
	json_key(&j, "helpers");
	if (!probe) {
		json_str(&j, "unknown");
	} else {
		json_obj_begin(&j);
		for (size_t p = 0; p < sizeof(helper_progs) / sizeof(helper_progs[0]); p++) {
			const char *type = libbpf_bpf_prog_type_str(helper_progs[p]);
			bool any = false;

			for (size_t id = 1; id < N_HELPERS; id++) {
				if (!helper_names[id] || !wanted(type, helper_names[id]))
					continue;
				if (!any) {
					json_key(&j, type);
					json_obj_begin(&j);
					any = true;
				}
				json_kv_str(&j, helper_names[id], probe_helper(helper_progs[p], (int)id));
			}
			if (any)
				json_obj_end(&j);
		}
		json_obj_end(&j);
	}
	json_obj_end(&j);
	fputc('\n', stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}
