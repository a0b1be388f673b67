/* Isolated trial loads (one program autoloaded at a time) and program-variant selection. */
#define _GNU_SOURCE
#include "validator.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TRIAL_LOG_SIZE (1024 * 1024)
#define TRIAL_LOG_TAIL 8192

struct bpf_object *open_object(const char *path, int *err)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);

	*err = obj ? 0 : (errno ? -errno : -EINVAL);
	return obj;
}

static bool is_companion(const struct options *opts, const char *name)
{
	for (int i = 0; i < opts->n_companions; i++)
		if (strcmp(opts->companions[i], name) == 0)
			return true;
	return false;
}

/* One isolated load; returns libbpf's error and leaves the verifier log in log. */
static int trial_once(const struct options *opts, const char *target, int log_level, char *log,
		      struct program_ev *pe, bool *slot_case)
{
	struct prepare_ctx ctx = { 0 };
	struct bpf_program *prog, *mine = NULL;
	struct bpf_object *obj;
	size_t mark;
	int err;

	obj = open_object(opts->artifact, &err);
	if (!obj)
		return err;
	prepare_object(obj, opts, NULL, &ctx);
	bpf_object__for_each_program(prog, obj) {
		bool self = strcmp(bpf_program__name(prog), target) == 0;

		bpf_program__set_autoload(prog, self || is_companion(opts, bpf_program__name(prog)));
		if (self)
			mine = prog;
	}
	if (!mine) {
		err = -ENOENT;
		goto out;
	}
	log[0] = '\0';
	err = bpf_program__set_log_buf(mine, log, TRIAL_LOG_SIZE);
	if (!err)
		err = bpf_program__set_log_level(mine, log_level);
	if (err)
		goto out;
	mark = liblog_mark();
	err = bpf_object__load(obj);
	*slot_case = err == -EBADF && liblog_contains_since(mark, "failed to initialize slot");
	/* after relocation the instructions include subprograms, so their helper calls count too */
	collect_helpers(mine, pe);
out:
	bpf_object__close(obj);
	prepare_release(&ctx);
	return err;
}

static void trial_program(const struct options *opts, struct program_ev *pe, char *log)
{
	bool slot_case = false;
	int err = trial_once(opts, pe->name, 1, log, pe, &slot_case);

	/* kernels before 6.4 fail a load whose level-1 log overflows; level 0 logs only on failure */
	if (err == -ENOSPC)
		err = trial_once(opts, pe->name, 0, log, pe, &slot_case);
	free(pe->trial.error);
	free(pe->trial.verifier_log_tail);
	pe->trial.err = err < 0 ? -err : 0;
	pe->trial.error = err ? errstr(err) : xstrdup("");
	if (err == 0)
		pe->trial.status = OUT_PASS;
	else if (slot_case) {
		/* a static prog-array initialiser names a program that is not loaded in isolation */
		pe->trial.status = OUT_SKIPPED;
		free(pe->trial.error);
		pe->trial.error = xstrdup("static prog-array slot refers to a program not loaded in this trial (failed to initialize slot)");
	} else
		pe->trial.status = OUT_FAIL;
	pe->trial.verifier_log_tail = text_tail(log, strlen(log), TRIAL_LOG_TAIL);
	if (pe->trial.status == OUT_FAIL)
		verifier_summary(log, &pe->trial.rejected_insn_idx, &pe->trial.rejected_insn, &pe->trial.verifier_reason);
}

void trial_load_all(const struct options *opts, struct evidence *ev)
{
	char *log = malloc(TRIAL_LOG_SIZE);

	if (!log)
		return;
	for (int i = 0; i < ev->n_programs; i++)
		trial_program(opts, &ev->programs[i], log);
	free(log);
}

static bool helper_supported(const struct bpf_program *prog, int helper_id)
{
	enum bpf_prog_type t = bpf_program__type(prog);
	int ret = libbpf_probe_bpf_helper(t, (enum bpf_func_id)helper_id, NULL);

	/* libbpf cannot probe helpers for tracing/lsm/ext/struct_ops; raw tracepoint is the reference's proxy */
	if (ret < 0 && t != BPF_PROG_TYPE_RAW_TRACEPOINT)
		ret = libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, (enum bpf_func_id)helper_id, NULL);
	return ret == 1;
}

static bool member_satisfied(struct bpf_program *prog, const struct variant_member *m, const struct evidence *ev)
{
	int idx;

	if (m->trial) {
		idx = find_program(ev, m->prog);
		return idx >= 0 && ev->programs[idx].trial.status == OUT_PASS;
	}
	return m->helper_id == 0 || helper_supported(prog, m->helper_id);
}

/* List order is priority: the first satisfied member stays autoloaded, the rest are disabled. */
void select_variants(struct bpf_object *obj, const struct options *opts, struct evidence *ev)
{
	for (int g = 0; g < opts->n_variants && ev->n_variants < MAX_LIST; g++) {
		const struct variant_group *grp = &opts->variants[g];
		struct variant_ev *ve = &ev->variants[ev->n_variants++];
		struct bpf_program *progs[MAX_VARIANT_MEMBERS] = { 0 };
		int chosen = -1, last_found = -1;

		ve->group = xstrdup(grp->group);
		for (int i = 0; i < grp->n_members; i++) {
			progs[i] = bpf_object__find_program_by_name(obj, grp->members[i].prog);
			if (!progs[i]) {
				fixup_add(ev, "variant", grp->members[i].prog, "not_found", "no program with this name");
				continue;
			}
			last_found = i;
			if (chosen < 0 && member_satisfied(progs[i], &grp->members[i], ev))
				chosen = i;
		}
		if (chosen < 0 && last_found >= 0) {
			/* nothing satisfied: load the lowest-priority member so the failure stays visible */
			chosen = last_found;
			fixup_add(ev, "variant", grp->group, "fallback", "no variant satisfied its condition; loading the last one");
		}
		ve->chosen = xstrdup(chosen >= 0 ? grp->members[chosen].prog : "");
		for (int i = 0; i < grp->n_members; i++) {
			int idx;

			if (!progs[i] || i == chosen)
				continue;
			bpf_program__set_autoload(progs[i], false);
			idx = find_program(ev, grp->members[i].prog);
			if (idx >= 0)
				ev->programs[idx].autoload = false;
			ve->disabled[ve->n_disabled++] = xstrdup(grp->members[i].prog);
		}
	}
}
