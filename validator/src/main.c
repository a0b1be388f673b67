/* bpfcompat-validator: gathers load/attach evidence for one BPF object on the running kernel and writes JSON.
 * Exit 0: status pass; 2: status fail; 1: bad arguments or the result could not be written. */
#define _GNU_SOURCE
#include "validator.h"
#include "screen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK. */
static void raise_memlock(struct evidence *ev)
{
	struct rlimit r = { RLIM_INFINITY, RLIM_INFINITY };

	if (setrlimit(RLIMIT_MEMLOCK, &r) == 0) {
		env_set(&ev->env, "memlock_rlimit", "unlimited");
	} else {
		char *v = xasprintf("unchanged: %s", strerror(errno));

		env_set(&ev->env, "memlock_rlimit", v);
		free(v);
	}
}

/* Per-program outcome of the whole-object load: all pass together, else each keeps its isolated verdict. */
static void record_program_loads(struct evidence *ev)
{
	for (int i = 0; i < ev->n_programs; i++) {
		struct program_ev *p = &ev->programs[i];

		if (!p->autoload) {
			p->load.status = OUT_SKIPPED;
		} else if (ev->load_ok) {
			p->load.status = OUT_PASS;
		} else {
			p->load.status = p->trial.status;
			p->load.err = p->trial.err;
		}
	}
}

static void mark_attach_skipped(struct evidence *ev, const char *reason)
{
	for (int i = 0; i < ev->n_programs; i++) {
		free(ev->programs[i].attach.reason);
		ev->programs[i].attach.reason = xstrdup(reason);
	}
	ev->attach_status = OUT_SKIPPED;
}

static void validate(const struct options *opts, struct evidence *ev)
{
	struct prepare_ctx ctx = { 0 };
	struct attachments *links = NULL;
	struct bpf_object *obj;
	int err;

	probe_kernel(ev);
	inspect_elf(opts->artifact, ev);
	raise_memlock(ev);
	probe_environment(ev);
	if (opts->probe_features)
		probe_features(ev);

	ev->attach_status = OUT_SKIPPED;
	ev->functional_status = OUT_SKIPPED;
	ev->open_error = xstrdup("");
	ev->load_error = xstrdup("");

	obj = open_object(opts->artifact, &err);
	if (!obj) {
		ev->open_err = -err;
		free(ev->open_error);
		ev->open_error = errstr(err);
		ev->load_err = -err;
		free(ev->load_error);
		ev->load_error = xasprintf("open %s: %s", opts->artifact, ev->open_error);
		skip_functional_tests(opts, ev, "object could not be opened");
		return;
	}
	ev->open_ok = true;

	/* overrides first, so the recorded program types are the ones that get loaded */
	prepare_object(obj, opts, ev, &ctx);
	if (inspect_programs(obj, ev, opts) != 0) {
		ev->load_err = ENOMEM;
		free(ev->load_error);
		ev->load_error = xstrdup("out of memory");
		goto out;
	}
	for (int i = 0; i < opts->n_require_attach; i++)
		if (find_program(ev, opts->require_attach[i]) < 0)
			fixup_add(ev, "require_attach", opts->require_attach[i], "not_found", "no program with this name");
	if (opts->probe_features) {
		trial_load_all(opts, ev);
		probe_root_causes(ev);
	}
	select_variants(obj, opts, ev);

	err = bpf_object__load(obj);
	ev->load_ok = err == 0;
	if (err) {
		ev->load_err = -err;
		free(ev->load_error);
		ev->load_error = errstr(err);
	}
	record_program_loads(ev);
	{
		size_t len;

		inspect_maps(obj, ev, liblog_text(&len));
		if (!ev->load_ok)
			analyse_map_refusals(obj, ev);
	}

	if (!ev->load_ok) {
		mark_attach_skipped(ev, "object load failed");
		skip_functional_tests(opts, ev, "object load failed");
	} else if (opts->attach_mode == ATTACH_DISABLED) {
		mark_attach_skipped(ev, "attach mode disabled");
		skip_functional_tests(opts, ev, "attach mode disabled");
	} else {
		links = attach_all(obj, opts, ev);
		if (opts->n_tests == 0)
			ev->functional_status = OUT_SKIPPED;
		else if (ev->attach_status == OUT_FAIL || ev->attach_status == OUT_SKIPPED)
			skip_functional_tests(opts, ev, ev->attach_status == OUT_FAIL ? "required attach failed" : "nothing attached");
		else
			run_functional_tests(opts, ev, attachments_cgroup_dir(links));
		detach_all(links);
	}
	explain_refusals(ev);
out:
	bpf_object__close(obj);
	prepare_release(&ctx);
}

static void write_log_dir(const char *dir)
{
	size_t len;
	const char *log = liblog_text(&len);
	char *path = xasprintf("%s/libbpf.log", dir);
	FILE *f = fopen(path, "w");

	if (f) {
		fwrite(log, 1, len, f);
		fclose(f);
	}
	free(path);
}

int main(int argc, char **argv)
{
	static struct options opts;
	static struct evidence ev;
	long long start = now_ms();
	int err;

	/* host-side mode: no kernel is touched, facts about an object against kernels' BTF (screen.c) */
	if (argc > 1 && strcmp(argv[1], "screen") == 0)
		return screen_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "screen-modules") == 0)
		return screen_modules_main(argc - 1, argv + 1);
	if (parse_args(argc, argv, &opts) != 0)
		return 1;
	liblog_install();
	if (opts.open_only)
		return open_check(&opts);
	probe_cache_open(opts.probe_cache);
	validate(&opts, &ev);
	probe_cache_save();
	unmount_tracked();
	ev.pass = ev.open_ok && ev.load_ok && ev.attach_status != OUT_FAIL && ev.functional_status != OUT_FAIL;
	ev.duration_ms = now_ms() - start;
	if (opts.log_dir)
		write_log_dir(opts.log_dir);
	err = write_report(opts.out, &ev, &opts);
	if (err) {
		fprintf(stderr, "bpfcompat-validator: --out %s: cannot write result: %s\n", opts.out, strerror(-err));
		return 1;
	}
	return ev.pass ? 0 : 2;
}
