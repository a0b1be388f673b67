/* `bpfcompat-validator screen`: what one object needs, checked against the BTF (and System.map, config) of many
 * kernels on the host, no kernel involved. Facts only, as JSON Lines on stdout: one "object" line, then one
 * "target" line per kernel; the collector turns facts into predictions. Exit 0, or 1 on bad arguments or an
 * object that cannot be read (one line on stderr naming the file). */
#define _GNU_SOURCE
#include "validator.h"
#include "screen.h"
#include "json.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *relo_kind_str(int k)
{
	static const char *names[] = { "byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64",
				       "local_type_id", "target_type_id", "type_exists", "type_size", "enumval_exists",
				       "enumval_value", "type_matches" };

	return k >= 0 && k < (int)(sizeof(names) / sizeof(names[0])) ? names[k] : "unknown";
}

static bool relo_is_existence(int k)
{
	return k == 2 || k == 8 || k == 10 || k == 12;
}

/* ---- sorted name sets (System.map text symbols, config) ---- */

struct nameset { char **names; char **values; int n; };

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int nameset_load(const char *path, bool sysmap, struct nameset *s)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int cap = 0;

	memset(s, 0, sizeof(*s));
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *name = NULL, *value = NULL, *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (sysmap) {
			char addr[64], type[8], sym[512];

			if (sscanf(line, "%63s %7s %511s", addr, type, sym) != 3 || (type[0] != 'T' && type[0] != 't'))
				continue;
			name = sym;
		} else {
			char *eq = strchr(line, '=');

			if (strncmp(line, "CONFIG_", 7) || !eq)
				continue;
			*eq = '\0';
			name = line;
			value = eq + 1;
		}
		if (s->n == cap) {
			cap = cap ? cap * 2 : 4096;
			s->names = realloc(s->names, cap * sizeof(char *));
			s->values = realloc(s->values, cap * sizeof(char *));
		}
		/* name and value in one allocation so the sort keeps them together */
		s->names[s->n] = xasprintf("%s%c%s", name, '\0', value ? value : "");
		s->n++;
	}
	fclose(f);
	qsort(s->names, s->n, sizeof(char *), cmp_str);
	for (int i = 0; i < s->n; i++)
		s->values[i] = s->names[i] + strlen(s->names[i]) + 1;
	return 0;
}

static const char *nameset_get(const struct nameset *s, const char *name)
{
	char **hit = s->n ? bsearch(&name, s->names, s->n, sizeof(char *), cmp_str) : NULL;

	return hit ? s->values[hit - s->names] : NULL;
}

static void nameset_free(struct nameset *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->values);
}

/* ---- the target kernel ---- */

struct target {
	const char *name, *btf_path, *sysmap_path, *config_path;
	char *mod_paths[64];
	int n_mods;
	struct btf *vmlinux;
	struct btf *mods[64];
	const char *mod_paths_ok[64];
	int n_mods_ok;
	char *btf_error;
	struct nameset sysmap, config;
	bool have_sysmap, have_config;
};

/* The largest value of enum `name` whose enumerator is not a __MAX marker, -1 when the enum is absent. */
struct kenum { int id; long long max; };

static struct kenum find_enum(const struct btf *btf, const char *name)
{
	struct kenum e = { -1, -1 };
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *v;

	if (id <= 0)
		return e;
	e.id = id;
	t = btf__type_by_id(btf, id);
	v = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, v++) {
		const char *n = btf__name_by_offset(btf, v->name_off);

		if (n && !strncmp(n, "__", 2))
			continue;
		if (v->val > e.max)
			e.max = v->val;
	}
	return e;
}

static const char *enum_name(const struct btf *btf, const struct kenum *e, long long val)
{
	const struct btf_type *t;
	const struct btf_enum *v;

	if (e->id <= 0)
		return NULL;
	t = btf__type_by_id(btf, e->id);
	v = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, v++)
		if (v->val == val)
			return btf__name_by_offset(btf, v->name_off);
	return NULL;
}

/* 1 when enum e has an enumerator of value val, 0 when not, -1 when the enum is absent */
static int enum_has(const struct btf *btf, const struct kenum *e, long long val)
{
	if (e->id <= 0)
		return -1;
	return enum_name(btf, e, val) != NULL && val <= e->max;
}

/* The module path of a BTF the lookup found a name in, NULL for vmlinux. */
static const char *module_path(const struct target *t, const struct btf *where)
{
	for (int i = 0; i < t->n_mods_ok; i++)
		if (t->mods[i] == where)
			return t->mod_paths_ok[i];
	return NULL;
}

static void json_kv_module(struct json *j, const struct target *t, const struct btf *where)
{
	const char *m = module_path(t, where);

	if (m)
		json_kv_str(j, "module", m);
}

/* A type by name and kind in the modules' split BTF alone; which module in *where. */
static int find_module_type(const struct target *t, const char *name, int kind, const struct btf **where)
{
	int id = -1;

	for (int i = 0; id <= 0 && i < t->n_mods_ok; i++) {
		id = btf__find_by_name_kind(t->mods[i], name, kind);
		*where = t->mods[i];
	}
	return id;
}

/* A type by name and kind in vmlinux, else in the modules' split BTF; which BTF in *where. */
static int find_kernel_type(const struct target *t, const char *name, int kind, const struct btf **where)
{
	int id = btf__find_by_name_kind(t->vmlinux, name, kind);

	*where = t->vmlinux;
	for (int i = 0; id <= 0 && i < t->n_mods_ok; i++) {
		id = btf__find_by_name_kind(t->mods[i], name, kind);
		*where = t->mods[i];
	}
	return id;
}

static void json_kv_null(struct json *j, const char *key)
{
	json_key(j, key);
	json_null(j);
}

static void json_kv_tri(struct json *j, const char *key, int v)
{
	if (v < 0)
		json_kv_null(j, key);
	else
		json_kv_bool(j, key, v);
}

/* ---- the object line ---- */

static void write_object(struct json *j, const struct scr_obj *o)
{
	json_obj_begin(j);
	json_kv_str(j, "kind", "object");
	json_kv_str(j, "path", o->path);
	json_kv_bool(j, "has_btf", o->btf != NULL);
	json_kv_bool(j, "has_btf_ext", o->has_btf_ext);
	json_kv_bool(j, "has_core", o->has_core);
	json_kv_int(j, "core_relos", o->n_relos);
	json_kv_str(j, "license", o->license ? o->license : "");
	json_key(j, "programs");
	json_arr_begin(j);
	for (int i = 0; i < o->n_progs; i++) {
		const struct scr_prog *p = &o->progs[i];
		const char *tn = libbpf_bpf_prog_type_str(p->type), *an = libbpf_bpf_attach_type_str(p->attach_type);

		json_obj_begin(j);
		json_kv_str(j, "name", p->name);
		json_kv_str(j, "section", p->section);
		json_kv_str(j, "prog_type", tn ? tn : "unknown");
		/* 0 is also "no expected attach type" */
		if (p->attach_type || p->type == BPF_PROG_TYPE_CGROUP_SKB)
			json_kv_str(j, "attach_type", an ? an : "unknown");
		json_kv_bool(j, "autoload", p->autoload);
		json_key(j, "attach_kind");
		if (p->attach_kind)
			json_str(j, p->attach_kind);
		else
			json_null(j);
		json_key(j, "attach_target");
		if (p->attach_target)
			json_str(j, p->attach_target);
		else
			json_null(j);
		json_key(j, "functions");
		json_arr_begin(j);
		for (int f = 0; f < o->n_funcs; f++)
			if (p->reach[f])
				json_str(j, o->funcs[f].name);
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "maps");
	json_arr_begin(j);
	for (int i = 0; i < o->n_maps; i++) {
		const char *mn = libbpf_bpf_map_type_str(o->maps[i].type);

		json_obj_begin(j);
		json_kv_str(j, "name", o->maps[i].name);
		json_kv_str(j, "type", mn ? mn : "unknown");
		json_kv_int(j, "max_entries", o->maps[i].max_entries);
		json_kv_int(j, "key_size", o->maps[i].key_size);
		json_kv_int(j, "value_size", o->maps[i].value_size);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "externs");
	json_arr_begin(j);
	for (int i = 0; i < o->n_externs; i++) {
		static const char *kinds[] = { "kfunc", "ksym", "ksym_untyped", "kconfig" };

		json_obj_begin(j);
		json_kv_str(j, "name", o->externs[i].name);
		json_kv_str(j, "kind", kinds[o->externs[i].kind]);
		json_kv_bool(j, "weak", o->externs[i].weak);
		json_obj_end(j);
	}
	json_arr_end(j);
	/* the kernel type names CO-RE looks up (essential names, once each): where vmlinux lacks one, modules are next */
	json_key(j, "core_types");
	json_arr_begin(j);
	for (int i = 0; i < o->n_relos; i++) {
		const char *name, *other;
		size_t len = scr_core_local_name(o, &o->relos[i], &name), olen;
		bool dup = false;

		for (int k = 0; len && k < i && !dup; k++) {
			olen = scr_core_local_name(o, &o->relos[k], &other);
			dup = olen == len && !strncmp(name, other, len);
		}
		if (len && !dup)
			json_strn(j, name, len);
	}
	json_arr_end(j);
	json_obj_end(j);
	fputc('\n', j->f);
}

/* ---- the per-target checks ---- */

static void check_extern(struct json *j, const struct scr_obj *o, const struct scr_extern *e, const struct target *t)
{
	const char *status = "present";
	const struct btf *where = NULL;
	int id;

	json_obj_begin(j);
	json_kv_str(j, "name", e->name);
	json_kv_bool(j, "weak", e->weak);
	switch (e->kind) {
	case EXT_KFUNC:
		json_kv_str(j, "kind", "kfunc");
		id = find_kernel_type(t, e->name, BTF_KIND_FUNC, &where);
		if (id <= 0) {
			status = "missing";
		} else {
			/* the test libbpf applies before it lets the call through (bpf_core_types_are_compat) */
			const struct btf_type *lf = btf__type_by_id(o->btf, e->btf_id);
			const struct btf_type *kf = btf__type_by_id(where, id);
			extern int bpf_core_types_are_compat(const struct btf *, __u32, const struct btf *, __u32);

			if (bpf_core_types_are_compat(o->btf, lf->type, where, kf->type) <= 0)
				status = "incompatible";
		}
		break;
	case EXT_KSYM_VAR:
		json_kv_str(j, "kind", "ksym");
		id = find_kernel_type(t, e->name, BTF_KIND_VAR, &where);
		status = id > 0 ? "present" : "missing";
		break;
	case EXT_KSYM_UNTYPED:
		json_kv_str(j, "kind", "ksym_untyped");
		status = !t->have_sysmap ? "unchecked" : nameset_get(&t->sysmap, e->name) ? "present" : "missing";
		break;
	case EXT_KCONFIG:
		json_kv_str(j, "kind", "kconfig");
		if (!strncmp(e->name, "LINUX_", 6)) {
			status = "provided_by_libbpf";
		} else if (!t->have_config) {
			status = "unchecked";
		} else {
			const char *v = nameset_get(&t->config, e->name);

			status = v ? "set" : "unset";
			if (v)
				json_kv_str(j, "value", v);
		}
		break;
	}
	json_kv_str(j, "status", status);
	if (where && strcmp(status, "missing"))
		json_kv_module(j, t, where);
	json_obj_end(j);
}

static void check_attach(struct json *j, const struct scr_prog *p, const struct target *t)
{
	const char *target = p->attach_target, *colon;
	char name[512];
	const char *how = NULL, *status = "unchecked";
	const struct btf *where = NULL, *found = NULL;
	int kind = BTF_KIND_FUNC;

	json_key(j, "attach");
	if (!p->attach_kind) {
		json_null(j);
		return;
	}
	/* fentry/module:func names a module's function; the function name is what BTF holds */
	colon = strchr(target, ':');
	if (colon && strcmp(p->attach_kind, "kprobe") && strcmp(p->attach_kind, "kretprobe") &&
	    strcmp(p->attach_kind, "tracepoint"))
		target = colon + 1;
	if (!strcmp(p->attach_kind, "fentry") || !strcmp(p->attach_kind, "fexit") || !strcmp(p->attach_kind, "fmod_ret")) {
		snprintf(name, sizeof(name), "%s", target);
		how = "btf_func";
	} else if (!strcmp(p->attach_kind, "lsm")) {
		snprintf(name, sizeof(name), "bpf_lsm_%s", target);
		how = "btf_func";
	} else if (!strcmp(p->attach_kind, "iter")) {
		snprintf(name, sizeof(name), "bpf_iter_%s", target);
		how = "btf_func";
	} else if (!strcmp(p->attach_kind, "tp_btf") || !strcmp(p->attach_kind, "raw_tp")) {
		snprintf(name, sizeof(name), "btf_trace_%s", target);
		how = "btf_typedef";
		kind = BTF_KIND_TYPEDEF;
	} else if (!strcmp(p->attach_kind, "kprobe") || !strcmp(p->attach_kind, "kretprobe")) {
		const char *plus = strchr(target, '+');

		snprintf(name, sizeof(name), "%.*s", plus ? (int)(plus - target) : (int)strlen(target), target);
		how = "system_map";
	} else {
		snprintf(name, sizeof(name), "%s", target);
	}
	if (how && !strcmp(how, "system_map")) {
		if (t->have_sysmap) {
			status = nameset_get(&t->sysmap, name) ? "present" : "missing";
			/* System.map is vmlinux's alone: a module's function is known by its BTF FUNC */
			if (!strcmp(status, "missing") && find_module_type(t, name, BTF_KIND_FUNC, &where) > 0) {
				how = "btf_func";
				status = "present";
				found = where;
			}
		} else if (find_kernel_type(t, name, BTF_KIND_FUNC, &where) > 0) {
			/* without System.map a BTF FUNC still proves the function exists; its absence proves nothing */
			how = "btf_func";
			status = "present";
			found = where;
		}
	} else if (how) {
		status = find_kernel_type(t, name, kind, &where) > 0 ? "present" : "missing";
		found = strcmp(status, "missing") ? where : NULL;
	}
	json_obj_begin(j);
	json_kv_str(j, "kind", p->attach_kind);
	json_kv_str(j, "target", p->attach_target);
	json_kv_str(j, "looked_up", how ? name : "");
	json_kv_str(j, "how", how ? how : "none");
	json_kv_str(j, "status", status);
	if (found)
		json_kv_module(j, t, found);
	json_obj_end(j);
}

static void check_program(struct json *j, const struct scr_obj *o, const struct scr_prog *p, const struct target *t,
			  const struct kenum *helpers, const struct kenum *ptypes, const struct kenum *atypes,
			  struct scr_core_cache *cache)
{
	int resolved = 0, total = 0, existence = 0;
	bool used_mod[64] = { false };

	json_obj_begin(j);
	json_kv_str(j, "name", p->name);
	json_kv_tri(j, "prog_type_known", enum_has(t->vmlinux, ptypes, p->type));
	json_kv_tri(j, "attach_type_known", p->attach_type == 0 ? 1 : enum_has(t->vmlinux, atypes, p->attach_type));
	check_attach(j, p, t);
	json_key(j, "helpers_missing");
	json_arr_begin(j);
	for (int f = 0; f < o->n_funcs; f++) {
		if (!p->reach[f])
			continue;
		for (int h = 0; h < o->funcs[f].n_helpers; h++) {
			int id = o->funcs[f].helpers[h];

			if (helpers->id > 0 && id > helpers->max) {
				json_obj_begin(j);
				json_kv_int(j, "id", id);
				json_kv_str(j, "function", o->funcs[f].name);
				json_obj_end(j);
			}
		}
	}
	json_arr_end(j);
	json_kv_bool(j, "helpers_checked", helpers->id > 0);
	json_key(j, "externs");
	json_arr_begin(j);
	for (int e = 0; e < o->n_externs; e++) {
		bool used = false;

		for (int f = 0; f < o->n_funcs && !used; f++)
			for (int k = 0; p->reach[f] && k < o->funcs[f].n_externs; k++)
				used |= o->funcs[f].externs[k] == e;
		if (used && o->externs[e].kind != EXT_KCONFIG)
			check_extern(j, o, &o->externs[e], t);
	}
	json_arr_end(j);
	json_key(j, "core");
	json_obj_begin(j);
	json_key(j, "unresolved");
	json_arr_begin(j);
	for (int i = 0; i < o->n_relos; i++) {
		const struct scr_relo *r = &o->relos[i];
		char spec[256];
		uint64_t val = 0;
		const struct btf *cand, *cands[65];
		int err, rc, n_cands;

		if (r->func < 0 || !p->reach[r->func])
			continue;
		total++;
		existence += relo_is_existence(r->kind);
		rc = scr_core_relo(o, r, t->vmlinux, (struct btf **)t->mods, t->n_mods_ok, cache, &val, spec, sizeof(spec), &err);
		n_cands = scr_core_cand_btfs(cache, r, cands, 65);
		cand = NULL;
		for (int c = 0; c < n_cands; c++)
			for (int m = 0; m < t->n_mods_ok; m++)
				if (t->mods[m] == cands[c]) {
					used_mod[m] = true;
					cand = cand ? cand : cands[c];
				}
		if (rc == 0 && !(relo_is_existence(r->kind) && val == 0)) {
			resolved++;
			continue;
		}
		json_obj_begin(j);
		json_kv_str(j, "outcome", rc == 0 ? "absent" : rc == 1 ? "poisoned" : "error");
		json_kv_str(j, "kind", relo_kind_str(r->kind));
		json_kv_str(j, "spec", spec);
		json_kv_str(j, "function", o->funcs[r->func].name);
		json_kv_int(j, "insn", r->insn);
		if (rc < 0)
			json_kv_int(j, "errno", -err);
		if (cand)
			json_kv_module(j, t, cand);
		json_obj_end(j);
	}
	json_arr_end(j);
	/* modules whose types the program's relocations were computed against (resolved or not) */
	json_key(j, "modules");
	json_arr_begin(j);
	for (int m = 0; m < t->n_mods_ok; m++)
		if (used_mod[m])
			json_str(j, t->mod_paths_ok[m]);
	json_arr_end(j);
	json_kv_int(j, "total", total);
	json_kv_int(j, "resolved", resolved);
	/* existence tests (field/type/enumval exists, type matches) whatever their value here: code written for variation */
	json_kv_int(j, "existence_checks", existence);
	json_obj_end(j);
	json_obj_end(j);
}

static void target_close(struct target *t)
{
	for (int i = 0; i < t->n_mods_ok; i++)
		btf__free(t->mods[i]);
	btf__free(t->vmlinux);
	free(t->btf_error);
	if (t->have_sysmap)
		nameset_free(&t->sysmap);
	if (t->have_config)
		nameset_free(&t->config);
}

static void screen_target(struct json *j, const struct scr_obj *o, struct target *t)
{
	struct kenum helpers, ptypes, atypes, maps;
	struct scr_core_cache *cache;

	json_init(j, stdout);
	json_obj_begin(j);
	json_kv_str(j, "kind", "target");
	json_kv_str(j, "name", t->name);
	if (t->sysmap_path && nameset_load(t->sysmap_path, true, &t->sysmap) == 0)
		t->have_sysmap = true;
	if (t->config_path && nameset_load(t->config_path, false, &t->config) == 0)
		t->have_config = true;
	json_kv_bool(j, "system_map", t->have_sysmap);
	json_kv_bool(j, "config", t->have_config);
	json_key(j, "btf");
	json_obj_begin(j);
	if (!t->btf_path) {
		json_kv_str(j, "status", "absent");
	} else {
		t->vmlinux = btf__parse(t->btf_path, NULL);
		if (!t->vmlinux) {
			t->btf_error = errstr(-errno);
			json_kv_str(j, "status", "unparsable");
			json_kv_str(j, "error", t->btf_error);
		} else {
			json_kv_str(j, "status", "ok");
			json_kv_int(j, "types", btf__type_cnt(t->vmlinux) - 1);
		}
		json_kv_str(j, "path", t->btf_path);
	}
	json_key(j, "modules");
	json_arr_begin(j);
	for (int i = 0; t->vmlinux && i < t->n_mods; i++) {
		struct btf *m = btf__parse_split(t->mod_paths[i], t->vmlinux);

		json_obj_begin(j);
		json_kv_str(j, "path", t->mod_paths[i]);
		if (m) {
			t->mod_paths_ok[t->n_mods_ok] = t->mod_paths[i];
			t->mods[t->n_mods_ok++] = m;
			json_kv_str(j, "status", "ok");
		} else {
			char *e = errstr(-errno);

			json_kv_str(j, "status", "unparsable");
			json_kv_str(j, "error", e);
			free(e);
		}
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	if (!t->vmlinux) {
		json_obj_end(j);
		fputc('\n', j->f);
		target_close(t);
		return;
	}
	helpers = find_enum(t->vmlinux, "bpf_func_id");
	ptypes = find_enum(t->vmlinux, "bpf_prog_type");
	atypes = find_enum(t->vmlinux, "bpf_attach_type");
	maps = find_enum(t->vmlinux, "bpf_map_type");
	json_key(j, "maps");
	json_arr_begin(j);
	for (int i = 0; i < o->n_maps; i++) {
		const char *mn = libbpf_bpf_map_type_str(o->maps[i].type);

		json_obj_begin(j);
		json_kv_str(j, "name", o->maps[i].name);
		json_kv_str(j, "type", mn ? mn : "unknown");
		json_kv_tri(j, "known", enum_has(t->vmlinux, &maps, o->maps[i].type));
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "kconfig");
	json_arr_begin(j);
	for (int e = 0; e < o->n_externs; e++)
		if (o->externs[e].kind == EXT_KCONFIG)
			check_extern(j, o, &o->externs[e], t);
	json_arr_end(j);
	json_key(j, "programs");
	json_arr_begin(j);
	cache = scr_core_cache_new(o);
	scr_core_prefetch(o, t->vmlinux, cache);
	for (int i = 0; i < o->n_progs; i++)
		if (o->progs[i].autoload)
			check_program(j, o, &o->progs[i], t, &helpers, &ptypes, &atypes, cache);
	scr_core_cache_free(cache);
	json_arr_end(j);
	json_obj_end(j);
	fputc('\n', j->f);
	target_close(t);
}

static char *field(char **cursor)
{
	char *s = *cursor, *tab;

	if (!s)
		return NULL;
	tab = strchr(s, '\t');
	if (tab) {
		*tab = '\0';
		*cursor = tab + 1;
	} else {
		*cursor = NULL;
	}
	return strcmp(s, "-") && *s ? s : NULL;
}

static int screen_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "bpfcompat-validator screen: %s%s\n"
		"usage: bpfcompat-validator screen --object FILE (--btf FILE [--module-btf FILE]... [--system-map FILE] "
		"[--kconfig FILE] | --targets FILE)\n"
		"  --targets: one kernel per line: name<TAB>btf<TAB>system.map<TAB>config<TAB>module btf,...  (- for none)\n",
		msg, arg ? arg : "");
	return 1;
}

int screen_main(int argc, char **argv)
{
	const char *object = NULL, *targets = NULL;
	struct target single = { .name = "btf" };
	bool have_single = false;
	struct scr_obj o;
	struct json j;
	char *err = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			screen_usage("", NULL);
			return 0;
		}
		if (!v)
			return screen_usage("flag needs a value: ", a);
		i++;
		if (!strcmp(a, "--object")) {
			object = v;
		} else if (!strcmp(a, "--targets")) {
			targets = v;
		} else if (!strcmp(a, "--btf")) {
			single.btf_path = v;
			single.name = v;
			have_single = true;
		} else if (!strcmp(a, "--module-btf")) {
			if (single.n_mods == 64)
				return screen_usage("too many --module-btf flags", NULL);
			single.mod_paths[single.n_mods++] = (char *)v;
		} else if (!strcmp(a, "--system-map")) {
			single.sysmap_path = v;
		} else if (!strcmp(a, "--kconfig")) {
			single.config_path = v;
		} else {
			return screen_usage("unknown flag ", a);
		}
	}
	if (!object)
		return screen_usage("--object FILE is required", NULL);
	if (!targets && !have_single)
		return screen_usage("--btf FILE or --targets FILE is required", NULL);
	libbpf_set_print(NULL);
	/* every kernel's BTF is a few MB, parsed and freed in turn: keep those buffers in the heap for reuse instead of
	 * a fresh mmap (and its page faults) per kernel */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	if (scr_obj_open(object, &o, &err)) {
		fprintf(stderr, "bpfcompat-validator screen: --object %s\n", err);
		return 1;
	}
	json_init(&j, stdout);
	write_object(&j, &o);
	if (have_single)
		screen_target(&j, &o, &single);
	if (targets) {
		FILE *f = fopen(targets, "r");
		char *line = NULL;
		size_t cap = 0;

		if (!f) {
			fprintf(stderr, "bpfcompat-validator screen: --targets %s: %s\n", targets, strerror(errno));
			return 1;
		}
		while (getline(&line, &cap, f) > 0) {
			struct target t = { 0 };
			char *cur = line, *nl = strchr(line, '\n'), *mods, *m;

			if (nl)
				*nl = '\0';
			if (!*line)
				continue;
			t.name = field(&cur);
			t.btf_path = field(&cur);
			t.sysmap_path = field(&cur);
			t.config_path = field(&cur);
			mods = field(&cur);
			if (!t.name)
				t.name = "";
			for (m = mods ? strtok(mods, ",") : NULL; m && t.n_mods < 64; m = strtok(NULL, ","))
				t.mod_paths[t.n_mods++] = m;
			screen_target(&j, &o, &t);
			fflush(stdout);
		}
		free(line);
		fclose(f);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
