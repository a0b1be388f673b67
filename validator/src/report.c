/* Writes the evidence as bpfcompat.validator.v1 JSON (collector/src/validation/validator-result.ts is the contract). */
#define _GNU_SOURCE
#include "validator.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIBBPF_LOG_TAIL (64 * 1024)

static const char *mode_str(enum attach_mode m)
{
	return m == ATTACH_DISABLED ? "disabled" : m == ATTACH_REQUIRED ? "required" : "best-effort";
}

static void write_probes(struct json *j, const char *key, const struct probe_result *p, int n)
{
	json_key(j, key);
	json_obj_begin(j);
	for (int i = 0; i < n; i++) {
		json_key(j, p[i].name);
		json_obj_begin(j);
		json_kv_str(j, "status", p[i].status);
		json_kv_int(j, "errno", p[i].err);
		json_obj_end(j);
	}
	json_obj_end(j);
}

/* What the program needs from the kernel and whether this kernel has it (rootcause.c). */
static void write_needs(struct json *j, const struct program_ev *p)
{
	json_key(j, "helper_probes");
	json_arr_begin(j);
	for (int i = 0; p->helper_status && i < p->n_helpers; i++) {
		json_obj_begin(j);
		json_kv_int(j, "id", p->helpers[i]);
		json_kv_str(j, "name", helper_name(p->helpers[i]));
		json_kv_str(j, "status", p->helper_status[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "kfuncs");
	json_arr_begin(j);
	for (int i = 0; i < p->n_kfuncs; i++) {
		json_obj_begin(j);
		json_kv_str(j, "name", p->kfuncs[i].ref->name);
		json_kv_bool(j, "weak", p->kfuncs[i].ref->weak);
		json_kv_str(j, "status", p->kfuncs[i].status);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "core_relos");
	json_arr_begin(j);
	for (int i = 0; i < p->n_cores; i++) {
		const struct core_ref *r = p->cores[i].ref;

		json_obj_begin(j);
		json_kv_str(j, "kind", core_kind_str(r->kind));
		json_kv_str(j, "type", r->type);
		json_kv_str(j, "field", r->field);
		json_kv_str(j, "access", r->access);
		json_kv_bool(j, "guard", core_kind_is_guard(r->kind));
		json_kv_str(j, "status", p->cores[i].status);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "attach_type_probe");
	json_obj_begin(j);
	json_kv_str(j, "status", p->attach_type_status ? p->attach_type_status : "");
	json_kv_int(j, "errno", p->attach_type_err);
	json_obj_end(j);
	json_kv_str(j, "attach_type_in_kernel", p->attach_type_in_kernel ? p->attach_type_in_kernel : "");
	json_kv_str(j, "prog_type_in_kernel", p->prog_type_in_kernel ? p->prog_type_in_kernel : "");
	json_key(j, "attach_target");
	json_obj_begin(j);
	json_kv_str(j, "kind", p->target_kind ? p->target_kind : "");
	json_kv_str(j, "name", p->target_name ? p->target_name : "");
	json_kv_str(j, "status", p->target_status ? p->target_status : "");
	json_obj_end(j);
}

static void write_program(struct json *j, const struct program_ev *p)
{
	json_obj_begin(j);
	json_kv_str(j, "name", p->name);
	json_kv_str(j, "section", p->section);
	json_kv_str(j, "type", p->type);
	json_kv_str(j, "expected_attach_type", p->expected_attach_type);
	json_key(j, "helpers");
	json_arr_begin(j);
	for (int i = 0; i < p->n_helpers; i++)
		json_int(j, p->helpers[i]);
	json_arr_end(j);
	json_kv_int(j, "insn_count", p->insn_count);

	json_key(j, "trial_load");
	json_obj_begin(j);
	json_kv_str(j, "status", outcome_str(p->trial.status));
	json_kv_int(j, "errno", p->trial.err);
	json_kv_str(j, "error", p->trial.error);
	json_kv_str(j, "verifier_log_tail", p->trial.verifier_log_tail);
	json_kv_int(j, "rejected_insn_idx", p->trial.rejected_insn_idx);
	json_kv_str(j, "rejected_insn", p->trial.rejected_insn ? p->trial.rejected_insn : "");
	json_kv_str(j, "verifier_reason", p->trial.verifier_reason ? p->trial.verifier_reason : "");
	json_obj_end(j);

	json_key(j, "load");
	json_obj_begin(j);
	json_kv_str(j, "status", outcome_str(p->load.status));
	json_kv_int(j, "errno", p->load.err);
	json_obj_end(j);

	json_key(j, "attach");
	json_obj_begin(j);
	json_kv_str(j, "status", outcome_str(p->attach.status));
	json_kv_str(j, "method", p->attach.method);
	json_kv_str(j, "target", p->attach.target);
	json_kv_int(j, "errno", p->attach.err);
	json_kv_str(j, "error", p->attach.error);
	json_kv_str(j, "reason", p->attach.reason);
	json_obj_end(j);
	json_kv_bool(j, "required", p->required);
	write_needs(j, p);
	json_obj_end(j);
}

static void write_map(struct json *j, const struct map_ev *m)
{
	json_obj_begin(j);
	json_kv_str(j, "name", m->name);
	json_kv_str(j, "type", m->type);
	json_kv_int(j, "type_id", m->type_id);
	json_kv_int(j, "key_size", m->key_size);
	json_kv_int(j, "value_size", m->value_size);
	json_kv_int(j, "max_entries", m->max_entries);
	json_key(j, "create");
	json_obj_begin(j);
	json_kv_str(j, "status", outcome_str(m->create));
	json_kv_int(j, "errno", m->create_err);
	json_obj_end(j);
	json_kv_str(j, "type_in_kernel", m->type_in_kernel ? m->type_in_kernel : "");
	/* the attribute the kernel refused (analyse_map_refusals), "" when none was found */
	json_kv_str(j, "refused_field", m->refused_field ? m->refused_field : "");
	json_kv_int(j, "refused_value", m->refused_value);
	json_obj_end(j);
}

static void write_test(struct json *j, const struct test_ev *t)
{
	json_obj_begin(j);
	json_kv_str(j, "name", t->test->name);
	json_kv_bool(j, "required", t->test->required);
	json_kv_str(j, "status", outcome_str(t->status));
	json_kv_str(j, "command", t->test->command);
	json_kv_int(j, "timeout_seconds", t->test->timeout_seconds);
	json_kv_int(j, "expected_exit_code", t->test->expect_exit_code);
	json_kv_int(j, "exit_code", t->exit_code);
	json_kv_bool(j, "timed_out", t->timed_out);
	json_key(j, "stdout_tail");
	json_strn(j, t->stdout_tail, t->stdout_len);
	json_key(j, "stderr_tail");
	json_strn(j, t->stderr_tail, t->stderr_len);
	json_kv_str(j, "error", t->error);
	json_obj_end(j);
}

static void write_json(FILE *f, const struct evidence *ev, const struct options *opts)
{
	struct json j;
	size_t log_len;
	const char *log = liblog_text(&log_len);
	char *log_tail = text_tail(log, log_len, LIBBPF_LOG_TAIL);

	json_init(&j, f);
	json_obj_begin(&j);
	json_kv_str(&j, "schema_version", "bpfcompat.validator.v1");
	json_kv_str(&j, "validator_version", VALIDATOR_VERSION);
	json_kv_str(&j, "libbpf_version", LIBBPF_PINNED_VERSION);

	json_key(&j, "kernel");
	json_obj_begin(&j);
	json_kv_str(&j, "release", ev->kernel_release);
	json_kv_str(&j, "version", ev->kernel_version);
	json_kv_str(&j, "machine", ev->machine);
	json_obj_end(&j);

	json_key(&j, "btf");
	json_obj_begin(&j);
	json_kv_bool(&j, "kernel_btf_available", ev->kernel_btf_available);
	json_kv_int(&j, "kernel_btf_size", ev->kernel_btf_size);
	json_kv_bool(&j, "artifact_has_btf", ev->artifact_has_btf);
	json_kv_bool(&j, "artifact_has_btf_ext", ev->artifact_has_btf_ext);
	json_obj_end(&j);

	json_key(&j, "probes");
	json_obj_begin(&j);
	write_probes(&j, "map_types", ev->map_probes, ev->n_map_probes);
	write_probes(&j, "program_types", ev->prog_probes, ev->n_prog_probes);
	json_key(&j, "environment");
	json_obj_begin(&j);
	for (int i = 0; i < ev->env.n; i++)
		json_kv_str(&j, ev->env.facts[i].key, ev->env.facts[i].value);
	json_obj_end(&j);
	json_obj_end(&j);

	json_key(&j, "object");
	json_obj_begin(&j);
	json_kv_str(&j, "open_status", ev->open_ok ? "pass" : "fail");
	json_kv_int(&j, "open_errno", ev->open_err);
	json_kv_str(&j, "open_error", ev->open_error);
	json_kv_str(&j, "license", ev->license);
	json_kv_bool(&j, "license_gpl_compatible", license_gpl_compatible(ev->license));
	json_obj_end(&j);

	json_key(&j, "programs");
	json_arr_begin(&j);
	for (int i = 0; i < ev->n_programs; i++)
		write_program(&j, &ev->programs[i]);
	json_arr_end(&j);

	json_key(&j, "maps");
	json_arr_begin(&j);
	for (int i = 0; i < ev->n_maps; i++)
		write_map(&j, &ev->maps[i]);
	json_arr_end(&j);

	json_key(&j, "fixups");
	json_arr_begin(&j);
	for (int i = 0; i < ev->n_fixups; i++) {
		json_obj_begin(&j);
		json_kv_str(&j, "kind", ev->fixups[i].kind);
		json_kv_str(&j, "target", ev->fixups[i].target);
		json_kv_str(&j, "status", ev->fixups[i].status);
		json_kv_str(&j, "detail", ev->fixups[i].detail);
		/* chosen by the validator, not by the manifest: auto_max_entries, auto_value_size, auto_prog_type, … */
		json_kv_bool(&j, "automatic", strncmp(ev->fixups[i].kind, "auto_", 5) == 0);
		json_obj_end(&j);
	}
	json_arr_end(&j);

	json_key(&j, "variants");
	json_arr_begin(&j);
	for (int i = 0; i < ev->n_variants; i++) {
		json_obj_begin(&j);
		json_kv_str(&j, "group", ev->variants[i].group);
		json_kv_str(&j, "chosen", ev->variants[i].chosen);
		json_key(&j, "disabled");
		json_arr_begin(&j);
		for (int k = 0; k < ev->variants[i].n_disabled; k++)
			json_str(&j, ev->variants[i].disabled[k]);
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);

	json_key(&j, "load");
	json_obj_begin(&j);
	json_kv_str(&j, "status", ev->load_ok ? "pass" : "fail");
	json_kv_int(&j, "errno", ev->load_err);
	json_kv_str(&j, "error", ev->load_error);
	json_obj_end(&j);

	json_key(&j, "attach");
	json_obj_begin(&j);
	json_kv_str(&j, "mode", mode_str(opts->attach_mode));
	json_kv_str(&j, "status", outcome_str(ev->attach_status));
	json_kv_int(&j, "attempted", ev->attach_attempted);
	json_kv_int(&j, "passed", ev->attach_passed);
	json_kv_int(&j, "failed", ev->attach_failed);
	json_obj_end(&j);

	json_key(&j, "functional");
	json_obj_begin(&j);
	json_kv_str(&j, "status", outcome_str(ev->functional_status));
	json_key(&j, "tests");
	json_arr_begin(&j);
	for (int i = 0; i < ev->n_tests; i++)
		write_test(&j, &ev->tests[i]);
	json_arr_end(&j);
	json_obj_end(&j);

	json_kv_str(&j, "libbpf_log", log_tail);
	json_kv_str(&j, "status", ev->pass ? "pass" : "fail");
	json_kv_int(&j, "duration_ms", ev->duration_ms);
	json_obj_end(&j);
	fputc('\n', f);
	free(log_tail);
}

/* Written to a temporary file and renamed, so a reader never sees half a result. */
int write_report(const char *out, const struct evidence *ev, const struct options *opts)
{
	char *tmp;
	FILE *f;

	if (strcmp(out, "-") == 0) {
		write_json(stdout, ev, opts);
		return fflush(stdout) == 0 ? 0 : -errno;
	}
	tmp = xasprintf("%s.tmp.%d", out, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		int err = errno;

		free(tmp);
		return -err;
	}
	write_json(f, ev, opts);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0) {
		int err = errno;

		unlink(tmp);
		free(tmp);
		return -err;
	}
	if (rename(tmp, out) != 0) {
		int err = errno;

		unlink(tmp);
		free(tmp);
		return -err;
	}
	free(tmp);
	return 0;
}
