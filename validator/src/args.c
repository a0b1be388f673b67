/* Command-line parsing. Bad arguments are reported on stderr and make main exit 1. */
#define _GNU_SOURCE
#include "validator.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ARGS 1024

struct argv_list {
	char *v[MAX_ARGS];
	int n;
};

static int usage_error(const char *fmt, const char *a, const char *b)
{
	fputs("bpfcompat-validator: ", stderr);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return -1;
}

static int push_arg(struct argv_list *l, char *a)
{
	if (l->n >= MAX_ARGS)
		return usage_error("too many arguments (more than %s)%s", "1024", "");
	l->v[l->n++] = a;
	return 0;
}

/* The host writes further arguments NUL-separated: the guest has no shell to re-quote them. */
static int read_args_file(const char *path, struct argv_list *l, int depth);

static int expand(int argc, char **argv, struct argv_list *l, int depth)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--args-file") == 0 || strncmp(a, "--args-file=", 12) == 0) {
			const char *path = a[11] == '=' ? a + 12 : (i + 1 < argc ? argv[++i] : NULL);

			if (!path)
				return usage_error("--args-file needs a PATH%s%s", "", "");
			if (read_args_file(path, l, depth + 1))
				return -1;
			continue;
		}
		if (push_arg(l, argv[i]))
			return -1;
	}
	return 0;
}

static int read_args_file(const char *path, struct argv_list *l, int depth)
{
	char *buf, *p, *end, *tmp[MAX_ARGS];
	struct stat st;
	int fd, n = 0;
	ssize_t got;

	if (depth > 4)
		return usage_error("--args-file %s: nested too deeply%s", path, "");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return usage_error("--args-file %s: %s", path, strerror(errno));
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return usage_error("--args-file %s: out of memory%s", path, "");
	}
	got = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (got != st.st_size) {
		free(buf);
		return usage_error("--args-file %s: short read%s", path, "");
	}
	buf[got] = '\0';
	end = buf + got;
	/* one trailing NUL is a terminator, not an empty argument */
	if (got > 0 && end[-1] == '\0')
		end--;
	for (p = buf; p < end && got > 0;) {
		size_t len = strlen(p);

		if (n >= MAX_ARGS) {
			free(buf);
			return usage_error("--args-file %s: too many arguments%s", path, "");
		}
		tmp[n++] = p;
		p += len + 1;
	}
	/* buf is intentionally kept alive: argv entries point into it */
	return expand(n, tmp, l, depth);
}

static int parse_uint(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT_MAX)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int split_eq(const char *flag, const char *val, char **lhs, char **rhs)
{
	const char *eq = strchr(val, '=');

	if (!eq || eq == val || !eq[1])
		return usage_error("%s expects NAME=VALUE, got \"%s\"", flag, val);
	*lhs = strndup(val, (size_t)(eq - val));
	*rhs = xstrdup(eq + 1);
	return 0;
}

static int map_type_by_name(const char *name, enum bpf_map_type *out)
{
	for (int t = 1; t < 64; t++) {
		const char *s = libbpf_bpf_map_type_str((enum bpf_map_type)t);

		if (s && strcmp(s, name) == 0) {
			*out = (enum bpf_map_type)t;
			return 0;
		}
	}
	return -1;
}

static int prog_type_by_name(const char *name, enum bpf_prog_type *out)
{
	for (int t = 1; t < 64; t++) {
		const char *s = libbpf_bpf_prog_type_str((enum bpf_prog_type)t);

		if (s && strcmp(s, name) == 0) {
			*out = (enum bpf_prog_type)t;
			return 0;
		}
	}
	return -1;
}

static int add_map_fixup(struct options *o, const char *flag, const char *val, enum map_fixup_kind kind)
{
	struct map_fixup *f;
	char *rhs;

	if (o->n_map_fixups >= MAX_LIST)
		return usage_error("too many %s flags%s", flag, "");
	f = &o->map_fixups[o->n_map_fixups];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	if (split_eq(flag, val, &f->map, &rhs))
		return -1;
	switch (kind) {
	case FIXUP_MAX_ENTRIES:
		if (strcmp(rhs, "cpus") == 0)
			f->cpus = true;
		else if (parse_uint(rhs, &f->value) || f->value == 0)
			return usage_error("%s: max_entries must be a positive integer or \"cpus\", got \"%s\"", flag, rhs);
		break;
	case FIXUP_VALUE_SIZE:
	case FIXUP_KEY_SIZE:
		if (parse_uint(rhs, &f->value) || f->value == 0)
			return usage_error("%s: size must be a positive number of bytes, got \"%s\"", flag, rhs);
		break;
	case FIXUP_INNER_RINGBUF:
		if (parse_uint(rhs, &f->value) || f->value == 0)
			return usage_error("%s: ring buffer bytes must be a positive integer, got \"%s\"", flag, rhs);
		break;
	case FIXUP_INNER_MAP: {
		char *parts[4], *save = NULL, *tok = strtok_r(rhs, ":", &save);
		int n = 0;

		while (tok && n < 4) {
			parts[n++] = tok;
			tok = strtok_r(NULL, ":", &save);
		}
		if (n != 4 || tok)
			return usage_error("%s expects map=type:key_size:value_size:max_entries, got \"%s\"", flag, val);
		if (map_type_by_name(parts[0], &f->inner_type))
			return usage_error("%s: unknown map type \"%s\"", flag, parts[0]);
		if (parse_uint(parts[1], &f->inner_key) || parse_uint(parts[2], &f->inner_value) ||
		    parse_uint(parts[3], &f->inner_entries) || f->inner_value == 0 || f->inner_entries == 0)
			return usage_error("%s: sizes must be integers (value_size and max_entries > 0), got \"%s\"", flag, val);
		break;
	}
	}
	o->n_map_fixups++;
	return 0;
}

/* group=prog:helperid|trial,prog2:... ; a member without a condition (or :0) is unconditional */
static int add_variants(struct options *o, const char *val)
{
	struct variant_group *g;
	char *members, *save = NULL, *tok;

	if (o->n_variants >= MAX_LIST)
		return usage_error("too many --prog-variants flags%s%s", "", "");
	g = &o->variants[o->n_variants];
	memset(g, 0, sizeof(*g));
	if (split_eq("--prog-variants", val, &g->group, &members))
		return -1;
	for (tok = strtok_r(members, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct variant_member *m;
		char *colon = strchr(tok, ':');
		unsigned int id = 0;

		if (g->n_members >= MAX_VARIANT_MEMBERS)
			return usage_error("--prog-variants %s: too many members%s", g->group, "");
		m = &g->members[g->n_members];
		memset(m, 0, sizeof(*m));
		if (colon)
			*colon = '\0';
		if (!*tok)
			return usage_error("--prog-variants: empty program name in \"%s\"%s", val, "");
		m->prog = xstrdup(tok);
		if (colon) {
			if (strcmp(colon + 1, "trial") == 0)
				m->trial = true;
			else if (parse_uint(colon + 1, &id) || id > INT_MAX)
				return usage_error("--prog-variants: condition must be a helper id or \"trial\", got \"%s\"", colon + 1, "");
			m->helper_id = (int)id;
		}
		g->n_members++;
	}
	if (g->n_members == 0)
		return usage_error("--prog-variants %s: no programs%s", g->group, "");
	o->n_variants++;
	return 0;
}

static int add_list(char **list, int *n, const char *flag, const char *val)
{
	if (*n >= MAX_LIST)
		return usage_error("too many %s values%s", flag, "");
	list[(*n)++] = xstrdup(val);
	return 0;
}

static int parse_bool(const char *flag, const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no"))
		*out = false;
	else
		return usage_error("%s expects true or false, got \"%s\"", flag, v);
	return 0;
}

static int apply_flag(struct options *o, const char *flag, const char *v)
{
	if (!strcmp(flag, "--artifact"))
		o->artifact = v;
	else if (!strcmp(flag, "--out"))
		o->out = v;
	else if (!strcmp(flag, "--functional-plan"))
		o->functional_plan = v;
	else if (!strcmp(flag, "--log-dir"))
		o->log_dir = v;
	else if (!strcmp(flag, "--probe-cache"))
		o->probe_cache = v;
	else if (!strcmp(flag, "--manifest"))
		; /* recorded by the host; the validator acts only on the flags rendered from it */
	else if (!strcmp(flag, "--probe-features"))
		return parse_bool(flag, v, &o->probe_features);
	else if (!strcmp(flag, "--attach-mode")) {
		if (!strcmp(v, "disabled") || !strcmp(v, "off") || !strcmp(v, "none"))
			o->attach_mode = ATTACH_DISABLED;
		else if (!strcmp(v, "best-effort"))
			o->attach_mode = ATTACH_BEST_EFFORT;
		else if (!strcmp(v, "required") || !strcmp(v, "strict"))
			o->attach_mode = ATTACH_REQUIRED;
		else
			return usage_error("--attach-mode must be disabled, best-effort or required, got \"%s\"%s", v, "");
	} else if (!strcmp(flag, "--attach-api")) {
		if (!strcmp(v, "auto"))
			o->attach_api = ATTACH_API_AUTO;
		else if (!strcmp(v, "legacy"))
			o->attach_api = ATTACH_API_LEGACY;
		else
			return usage_error("--attach-api must be auto or legacy, got \"%s\"%s", v, "");
	} else if (!strcmp(flag, "--require-attach"))
		return add_list(o->require_attach, &o->n_require_attach, flag, v);
	else if (!strcmp(flag, "--set-map-max-entries"))
		return add_map_fixup(o, flag, v, FIXUP_MAX_ENTRIES);
	else if (!strcmp(flag, "--set-map-value-size"))
		return add_map_fixup(o, flag, v, FIXUP_VALUE_SIZE);
	else if (!strcmp(flag, "--set-map-key-size"))
		return add_map_fixup(o, flag, v, FIXUP_KEY_SIZE);
	else if (!strcmp(flag, "--set-attach-target")) {
		struct attach_target_override *t;

		if (o->n_attach_targets >= MAX_LIST)
			return usage_error("too many --set-attach-target flags%s%s", "", "");
		t = &o->attach_targets[o->n_attach_targets];
		if (split_eq(flag, v, &t->prog, &t->target))
			return -1;
		if (!*t->target)
			return usage_error("--set-attach-target %s: empty target%s", t->prog, "");
		o->n_attach_targets++;
	} else if (!strcmp(flag, "--set-map-inner-ringbuf"))
		return add_map_fixup(o, flag, v, FIXUP_INNER_RINGBUF);
	else if (!strcmp(flag, "--set-map-inner-map"))
		return add_map_fixup(o, flag, v, FIXUP_INNER_MAP);
	else if (!strcmp(flag, "--set-prog-type")) {
		struct prog_type_override *t;
		char *type;

		if (o->n_prog_types >= MAX_LIST)
			return usage_error("too many --set-prog-type flags%s%s", "", "");
		t = &o->prog_types[o->n_prog_types];
		if (split_eq(flag, v, &t->selector, &type))
			return -1;
		if (prog_type_by_name(type, &t->type))
			return usage_error("--set-prog-type: unknown program type \"%s\" (use libbpf names such as kprobe, xdp, sched_cls)%s", type, "");
		o->n_prog_types++;
	} else if (!strcmp(flag, "--prog-variants"))
		return add_variants(o, v);
	else if (!strcmp(flag, "--probe-companions")) {
		char *copy = xstrdup(v), *save = NULL;

		for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (add_list(o->companions, &o->n_companions, flag, tok))
				return -1;
	} else
		return usage_error("unknown flag %s%s", flag, "");
	return 0;
}

int parse_args(int argc, char **argv, struct options *o)
{
	static struct argv_list l;

	memset(o, 0, sizeof(*o));
	o->attach_mode = ATTACH_BEST_EFFORT;
	o->probe_features = true;
	l.n = 0;
	if (expand(argc - 1, argv + 1, &l, 0))
		return -1;
	for (int i = 0; i < l.n; i++) {
		char *a = l.v[i], *eq;
		const char *val;

		if (strcmp(a, "--open-only") == 0) {
			o->open_only = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0)
			return usage_error("unexpected argument \"%s\" (flags start with --)%s", a, "");
		eq = strchr(a, '=');
		if (eq) {
			*eq = '\0';
			val = eq + 1;
		} else if (i + 1 < l.n) {
			val = l.v[++i];
		} else {
			return usage_error("%s needs a value%s", a, "");
		}
		if (apply_flag(o, a, val))
			return -1;
	}
	if (!o->artifact)
		return usage_error("--artifact PATH is required%s%s", "", "");
	if (!o->out && !o->open_only)
		return usage_error("--out PATH (or - for stdout) is required%s%s", "", "");
	if (access(o->artifact, R_OK) != 0)
		return usage_error("--artifact %s: %s", o->artifact, strerror(errno));
	if (o->functional_plan && parse_functional_plan(o->functional_plan, o))
		return -1;
	return 0;
}
