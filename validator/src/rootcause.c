/* Probes the running kernel for each thing a program needs (helpers, kfuncs, CO-RE fields, attach type, attach
 * target), so a failure can name its root cause from facts rather than from libbpf's wording. */
#define _GNU_SOURCE
#include "validator.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#define PROBE_LOG_SIZE 4096

#define HELPER_NAME_FN(name, id, ...) [id] = "bpf_" #name,
static const char *const helper_names[] = { ___BPF_FUNC_MAPPER(HELPER_NAME_FN) };

const char *helper_name(int id)
{
	if (id > 0 && (size_t)id < sizeof(helper_names) / sizeof(helper_names[0]) && helper_names[id])
		return helper_names[id];
	return "";
}

/* The kernel's license_is_gpl_compatible() list. */
bool license_gpl_compatible(const char *license)
{
	static const char *const ok[] = { "GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL" };

	for (size_t i = 0; license && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(license, ok[i]) == 0)
			return true;
	return false;
}

/* Types libbpf cannot load without an attach target: their helpers are probed through raw_tracepoint. */
static bool needs_proxy(enum bpf_prog_type t)
{
	return t == BPF_PROG_TYPE_TRACING || t == BPF_PROG_TYPE_EXT || t == BPF_PROG_TYPE_LSM || t == BPF_PROG_TYPE_STRUCT_OPS;
}

/* "call id; exit" under the object's own license: the verifier names an unknown id, a helper not allowed for
 * the type and a GPL-only helper differently, before it looks at arguments. */
static const char *probe_helper(enum bpf_prog_type type, enum bpf_attach_type eat, int id, const char *license)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = id },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char log[PROBE_LOG_SIZE] = "";
	bool proxied = needs_proxy(type);
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log, .log_size = sizeof(log), .log_level = 1,
		    .expected_attach_type = proxied ? 0 : eat);
	int fd = bpf_prog_load(proxied ? BPF_PROG_TYPE_RAW_TRACEPOINT : type, NULL, license, insns, 2, &o);

	if (fd >= 0) {
		close(fd);
		return "supported";
	}
	if (strstr(log, "invalid func unknown#"))
		return "missing";
	if (strstr(log, "GPL"))
		return "gpl_only";
	if (strstr(log, "unknown func ") || strstr(log, "cannot use helper"))
		return proxied ? "inconclusive" : "unsupported_for_type";
	return log[0] ? "supported" : "inconclusive";
}

/* A minimal load with the program's expected attach type: a kernel that predates the attach type refuses it. */
static const char *probe_attach_type(enum bpf_prog_type type, enum bpf_attach_type eat, int *err)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = eat);
	int fd;

	*err = 0;
	if (eat == 0 || needs_proxy(type) || type == BPF_PROG_TYPE_XDP)
		return "";
	fd = bpf_prog_load(type, NULL, "GPL", insns, 2, &o);
	if (fd >= 0) {
		close(fd);
		return "supported";
	}
	*err = errno;
	if (*err == EINVAL && libbpf_probe_bpf_prog_type(type, NULL) == 1)
		return "unsupported";
	return "inconclusive";
}

static bool starts_with(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* vmlinux BTF is loaded on the first lookup the probe cache cannot answer (parsing it is the slow part). */
static struct {
	bool available, tried;
	struct btf *btf;
} kbtf;

static const struct btf *kernel_btf(void)
{
	if (!kbtf.tried && kbtf.available)
		kbtf.btf = btf__load_vmlinux_btf();
	kbtf.tried = true;
	return kbtf.btf;
}

/* A cached status, or NULL; statuses are one of a few literals, so a cached one is returned as such. */
static const char *cached_status(const char *key)
{
	static const char *const known[] = { "present", "missing", "inconclusive", "no_kernel_btf", "supported", "gpl_only",
					     "unsupported_for_type", "unsupported", "" };
	const char *v = probe_cache_get(key);

	for (size_t i = 0; v && i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(v, known[i]) == 0)
			return known[i];
	return NULL;
}

static const char *btf_status(const char *name, int kind)
{
	char *key = xasprintf("btf:%d:%s", kind, name);
	const char *status = cached_status(key);

	if (!status) {
		const struct btf *vmlinux = kernel_btf();

		status = !vmlinux ? "inconclusive" : btf__find_by_name_kind(vmlinux, name, kind) > 0 ? "present" : "missing";
		probe_cache_put(key, status);
	}
	free(key);
	return status;
}

/* Section "kprobe/foo", "tp/cat/name", "fentry/foo", … → what must exist in this kernel for it to attach. */
static void probe_attach_target(struct program_ev *pe, const char *tracefs)
{
	static const struct { const char *prefix, *kind; } kinds[] = {
		{ "kprobe/", "kprobe" }, { "kretprobe/", "kprobe" },
		{ "tracepoint/", "tracepoint" }, { "tp/", "tracepoint" },
		{ "raw_tracepoint/", "raw_tracepoint" }, { "raw_tp/", "raw_tracepoint" },
		{ "raw_tracepoint.w/", "raw_tracepoint" }, { "raw_tp.w/", "raw_tracepoint" },
		{ "tp_btf/", "btf_tracepoint" },
		{ "fentry/", "function" }, { "fexit/", "function" }, { "fmod_ret/", "function" },
		{ "fentry.s/", "function" }, { "fexit.s/", "function" }, { "fmod_ret.s/", "function" },
		{ "lsm/", "lsm_hook" }, { "lsm.s/", "lsm_hook" }, { "lsm_cgroup/", "lsm_hook" },
	};
	const char *sec = pe->section, *rest = NULL, *kind = NULL;
	char name[256], with_override[512];
	bool readable;

	/* the manifest's target replaces the section's (a placeholder such as fentry/dummy_file_read, or none) */
	if (pe->target_override) {
		snprintf(with_override, sizeof(with_override), "%.*s/%s", (int)strcspn(sec, "/"), sec, pe->target_override);
		sec = with_override;
	}
	pe->target_kind = "";
	pe->target_name = xstrdup("");
	pe->target_status = "";
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && !kind; i++)
		if (starts_with(sec, kinds[i].prefix)) {
			kind = kinds[i].kind;
			rest = sec + strlen(kinds[i].prefix);
		}
	if (!kind || !*rest || strchr(rest, ':'))
		return; /* no target in the section (set by the loader) or a module target */
	snprintf(name, sizeof(name), "%s", rest);
	name[strcspn(name, "+")] = '\0';
	pe->target_kind = kind;
	free(pe->target_name);
	pe->target_name = xstrdup(name);
	if (strcmp(kind, "kprobe") == 0) {
		/* Cheapest evidence first: vmlinux BTF (loaded anyway), the kernel's own lookup, then all of kallsyms. */
		int resolves = strcmp(btf_status(name, BTF_KIND_FUNC), "present") == 0 ? 1 : kprobe_resolves(name);

		if (resolves >= 0) {
			pe->target_status = resolves ? "present" : "missing";
		} else {
			bool found = kallsyms_has(name, &readable);

			pe->target_status = readable ? (found ? "present" : "missing") : "inconclusive";
		}
	} else if (strcmp(kind, "tracepoint") == 0) {
		char *p = xasprintf("%s/events/%s", tracefs ? tracefs : "", name);

		pe->target_status = !tracefs ? "inconclusive" : access(p, F_OK) == 0 ? "present" : "missing";
		free(p);
	} else if (strcmp(kind, "raw_tracepoint") == 0) {
		char *sym = xasprintf("__tracepoint_%s", name);
		bool found = kallsyms_has(sym, &readable);

		pe->target_status = readable ? (found ? "present" : "missing") : "inconclusive";
		free(sym);
	} else if (strcmp(kind, "btf_tracepoint") == 0) {
		char *t = xasprintf("btf_trace_%s", name);

		pe->target_status = btf_status(t, BTF_KIND_TYPEDEF);
		free(t);
	} else if (strcmp(kind, "function") == 0) {
		pe->target_status = btf_status(name, BTF_KIND_FUNC);
	} else {
		char *f = xasprintf("bpf_lsm_%s", name);

		pe->target_status = btf_status(f, BTF_KIND_FUNC);
		free(f);
	}
}

static const struct btf_type *kskip(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

/* Member by name, looking through anonymous struct/union members as C does. */
static const struct btf_member *find_member(const struct btf *btf, const struct btf_type *t, const char *name)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);
		const struct btf_type *mt;

		if (mn && strcmp(mn, name) == 0)
			return m;
		mt = kskip(btf, m->type);
		if ((!mn || !*mn) && mt && btf_is_composite(mt)) {
			const struct btf_member *inner = find_member(btf, mt, name);

			if (inner)
				return inner;
		}
	}
	return NULL;
}

/* Local name without libbpf's "___flavour" suffix. */
static char *essential_name(const char *name)
{
	char *s = xstrdup(name), *f = strstr(s, "___");

	if (f)
		*f = '\0';
	return s;
}

static const char *core_field_status(const struct btf *k, const struct core_ref *r)
{
	char *tname = essential_name(r->type), *path = xstrdup(r->field), *save = NULL;
	int id = btf__find_by_name_kind(k, tname, r->btf_kind == BTF_KIND_UNION ? BTF_KIND_UNION : BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(k, id) : NULL;
	const char *status = t ? "present" : "missing";

	/* "a.b[2].c": names descend into members, [n] into array elements */
	for (char *tok = strtok_r(path, ".", &save); tok && t; tok = strtok_r(NULL, ".", &save)) {
		char *br = strchr(tok, '[');
		const struct btf_member *m;

		if (br)
			*br = '\0';
		if (!btf_is_composite(t) || !(m = find_member(k, t, tok))) {
			status = "missing";
			break;
		}
		t = kskip(k, m->type);
		for (; br && t && btf_is_array(t); br = strchr(br + 1, '['))
			t = kskip(k, btf_array(t)->type);
	}
	free(path);
	free(tname);
	return status;
}

static bool enum_has(const struct btf *k, int id, const char *value)
{
	const struct btf_type *t = btf__type_by_id(k, id);

	for (int i = 0; t && i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(k, btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off);

		if (n && strcmp(n, value) == 0)
			return true;
	}
	return false;
}

const char *core_kind_str(int kind)
{
	static const char *const names[] = {
		"field_byte_offset", "field_byte_size", "field_exists", "field_signed", "field_lshift_u64",
		"field_rshift_u64", "type_id_local", "type_id_target", "type_exists", "type_size",
		"enumval_exists", "enumval_value", "type_matches",
	};

	return kind >= 0 && (size_t)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

/* field_exists / type_exists / enumval_exists / type_matches are how programs guard optional kernel features. */
bool core_kind_is_guard(int kind)
{
	return kind == 2 || kind == 8 || kind == 10 || kind == 12;
}

static const char *core_status_of(const struct btf *k, const struct core_ref *r)
{
	char *tname;
	const char *status;
	int id;

	if (!k)
		return "no_kernel_btf";
	if (r->kind <= 5)
		return core_field_status(k, r);
	tname = essential_name(r->type);
	if (r->btf_kind == BTF_KIND_ENUM || r->btf_kind == BTF_KIND_ENUM64) {
		id = btf__find_by_name_kind(k, tname, BTF_KIND_ENUM);
		if (id <= 0)
			id = btf__find_by_name_kind(k, tname, BTF_KIND_ENUM64);
	} else {
		id = btf__find_by_name_kind(k, tname, r->btf_kind ? r->btf_kind : BTF_KIND_STRUCT);
	}
	free(tname);
	status = id > 0 ? "present" : "missing";
	if (id > 0 && (r->kind == 10 || r->kind == 11) && !enum_has(k, id, r->field))
		status = "missing";
	return status;
}

static const char *core_status(const struct core_ref *r)
{
	char *key;
	const char *status;

	if (r->kind == 6)
		return "present"; /* local type id: nothing to find in the kernel */
	if (!*r->type)
		return "inconclusive"; /* anonymous local type: libbpf matches by shape, not by name */
	key = xasprintf("core:%d:%d:%s:%s", r->kind, r->btf_kind, r->type, r->field ? r->field : "");
	status = cached_status(key);
	if (!status) {
		status = core_status_of(kernel_btf(), r);
		probe_cache_put(key, status);
	}
	free(key);
	return status;
}

static const char *cached_helper(enum bpf_prog_type type, enum bpf_attach_type eat, int id, const char *license)
{
	char *key = xasprintf("helper:%d:%d:%d:%s", (int)type, (int)eat, id, license);
	const char *status = cached_status(key);

	if (!status) {
		status = probe_helper(type, eat, id, license);
		probe_cache_put(key, status);
	}
	free(key);
	return status;
}

static const char *cached_attach_type(enum bpf_prog_type type, enum bpf_attach_type eat, int *err)
{
	char *key = xasprintf("attach_type:%d:%d", (int)type, (int)eat);
	const char *v = probe_cache_get(key), *status = NULL;
	char buf[64];

	if (v) {
		const char *colon = strchr(v, ':');
		char *st = colon ? strndup(v, (size_t)(colon - v)) : NULL;

		status = st ? cached_status(st) : NULL;
		free(st);
		if (status)
			*err = atoi(colon + 1);
	}
	if (!status) {
		status = probe_attach_type(type, eat, err);
		snprintf(buf, sizeof(buf), "%s:%d", status, *err);
		probe_cache_put(key, buf);
	}
	free(key);
	return status;
}

/* Entry i of the object's per-section lists applies to a program in that section; .text holds subprograms any
 * program may call. */
static bool in_program(const struct program_ev *pe, const char *section)
{
	return strcmp(pe->section, section) == 0 || strcmp(section, ".text") == 0;
}

static void probe_program(struct program_ev *pe, struct evidence *ev, const char *tracefs)
{
	const char *license = ev->license ? ev->license : "";

	pe->helper_status = calloc((size_t)(pe->n_helpers ? pe->n_helpers : 1), sizeof(*pe->helper_status));
	for (int i = 0; pe->helper_status && i < pe->n_helpers; i++)
		pe->helper_status[i] = cached_helper(pe->prog_type, pe->eat, pe->helpers[i], license);

	pe->kfuncs = calloc((size_t)(ev->n_kfunc_refs ? ev->n_kfunc_refs : 1), sizeof(*pe->kfuncs));
	for (int i = 0; pe->kfuncs && i < ev->n_kfunc_refs; i++) {
		const struct kfunc_ref *r = &ev->kfunc_refs[i];

		if (in_program(pe, r->section))
			pe->kfuncs[pe->n_kfuncs++] = (struct kfunc_ev){ r, btf_status(r->name, BTF_KIND_FUNC) };
	}

	pe->cores = calloc((size_t)(ev->n_core_refs ? ev->n_core_refs : 1), sizeof(*pe->cores));
	for (int i = 0; pe->cores && i < ev->n_core_refs; i++) {
		const struct core_ref *r = &ev->core_refs[i];

		if (in_program(pe, r->section))
			pe->cores[pe->n_cores++] = (struct core_ev){ r, core_status(r) };
	}

	pe->attach_type_status = cached_attach_type(pe->prog_type, pe->eat, &pe->attach_type_err);
	probe_attach_target(pe, tracefs);
}

/* Kernel-only lookups: answered by the per-boot probe cache when there is one, and muted (see liblog_mute). */
void probe_root_causes(struct evidence *ev)
{
	const char *tracefs = NULL;

	liblog_mute(true);
	kbtf.available = ev->kernel_btf_available;

	if (access("/sys/kernel/tracing/events", F_OK) == 0)
		tracefs = "/sys/kernel/tracing";
	else if (access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		tracefs = "/sys/kernel/debug/tracing";
	ev->license_gpl_compatible = license_gpl_compatible(ev->license);
	for (int i = 0; i < ev->n_programs; i++)
		probe_program(&ev->programs[i], ev, tracefs);
	btf__free(kbtf.btf);
	kbtf.btf = NULL;
	kbtf.tried = false;
	liblog_mute(false);
}
