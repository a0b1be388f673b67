/* `bpfcompat-validator screen-modules`: the names each kernel module's split BTF adds to vmlinux, so the collector
 * can index ~1,000 modules once per kernel and hand the screen only the few an object needs. Each module's BTF is
 * parsed with btf__parse_split() on top of vmlinux, as libbpf reads /sys/kernel/btf/<module>. One JSON line per
 * module: the FUNC names, VAR names and named struct/union/enum/typedef/fwd names that vmlinux lacks (the only
 * ones libbpf ever looks up in a module: fentry targets, kfuncs, ksyms and CO-RE candidates are searched in vmlinux
 * first). Exit 0, or 1 on bad arguments or an unreadable vmlinux BTF / list (one line on stderr naming the file). */
#define _GNU_SOURCE
#include "validator.h"
#include "screen.h"
#include "json.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 'f' function, 'v' variable, 't' type, 0 for kinds nobody looks up by name */
static char name_class(const struct btf_type *t)
{
	switch (btf_kind(t)) {
	case BTF_KIND_FUNC:
		return 'f';
	case BTF_KIND_VAR:
		return 'v';
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_FWD:
		return 't';
	default:
		return 0;
	}
}

struct classed { char **keys; int n, cap; };

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void classed_add(struct classed *s, char cls, const char *name)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->keys = realloc(s->keys, s->cap * sizeof(char *));
	}
	s->keys[s->n++] = xasprintf("%c%s", cls, name);
}

static void classed_free(struct classed *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->keys[i]);
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

/* The class+name keys of btf's types with ids in [from, type count), sorted, duplicates dropped. */
static void collect(const struct btf *btf, int from, struct classed *s)
{
	int n = btf__type_cnt(btf), w = 0;

	for (int id = from; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;
		char cls = t ? name_class(t) : 0;

		if (!cls || !t->name_off)
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (name && *name)
			classed_add(s, cls, name);
	}
	qsort(s->keys, s->n, sizeof(char *), cmp_key);
	for (int i = 0; i < s->n; i++) {
		if (w && !strcmp(s->keys[w - 1], s->keys[i]))
			free(s->keys[i]);
		else
			s->keys[w++] = s->keys[i];
	}
	s->n = w;
}

static void write_names(struct json *j, const char *key, char cls, const struct classed *mod, const struct classed *base)
{
	json_key(j, key);
	json_arr_begin(j);
	for (int i = 0; i < mod->n; i++) {
		const char *k = mod->keys[i];

		if (k[0] != cls || (base->n && bsearch(&k, base->keys, base->n, sizeof(char *), cmp_key)))
			continue;
		json_str(j, k + 1);
	}
	json_arr_end(j);
}

static void index_module(struct json *j, const char *path, const struct btf *vmlinux, const struct classed *base)
{
	struct btf *m = btf__parse_split(path, (struct btf *)vmlinux);
	struct classed own = { 0 };

	json_init(j, stdout);
	json_obj_begin(j);
	json_kv_str(j, "path", path);
	if (!m) {
		char *e = errstr(-errno);

		json_kv_str(j, "status", "unparsable");
		json_kv_str(j, "error", e);
		free(e);
	} else {
		json_kv_str(j, "status", "ok");
		collect(m, btf__type_cnt(vmlinux), &own);
		write_names(j, "funcs", 'f', &own, base);
		write_names(j, "vars", 'v', &own, base);
		write_names(j, "types", 't', &own, base);
		classed_free(&own);
		btf__free(m);
	}
	json_obj_end(j);
	fputc('\n', stdout);
}

static int modules_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "bpfcompat-validator screen-modules: %s%s\n"
		"usage: bpfcompat-validator screen-modules --base VMLINUX.btf --list FILE  (one module BTF path a line)\n",
		msg, arg ? arg : "");
	return 1;
}

int screen_modules_main(int argc, char **argv)
{
	const char *base_path = NULL, *list = NULL;
	struct classed base = { 0 };
	struct btf *vmlinux;
	struct json j;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			modules_usage("", NULL);
			return 0;
		}
		if (!v)
			return modules_usage("flag needs a value: ", a);
		i++;
		if (!strcmp(a, "--base"))
			base_path = v;
		else if (!strcmp(a, "--list"))
			list = v;
		else
			return modules_usage("unknown flag ", a);
	}
	if (!base_path || !list)
		return modules_usage("--base and --list are required", NULL);
	libbpf_set_print(NULL);
	vmlinux = btf__parse(base_path, NULL);
	if (!vmlinux) {
		char *e = errstr(-errno);

		fprintf(stderr, "bpfcompat-validator screen-modules: --base %s: %s\n", base_path, e);
		free(e);
		return 1;
	}
	f = fopen(list, "r");
	if (!f) {
		fprintf(stderr, "bpfcompat-validator screen-modules: --list %s: %s\n", list, strerror(errno));
		btf__free(vmlinux);
		return 1;
	}
	collect(vmlinux, 1, &base);
	while (getline(&line, &cap, f) > 0) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (*line)
			index_module(&j, line, vmlinux, &base);
	}
	free(line);
	fclose(f);
	classed_free(&base);
	btf__free(vmlinux);
	return fflush(stdout) == 0 ? 0 : 1;
}
