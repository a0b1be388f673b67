/* Map fixups and program-type overrides, applied identically to the main object and every trial copy. */
#define _GNU_SOURCE
#include "validator.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fixup_add(struct evidence *ev, const char *kind, const char *target, const char *status, const char *detail)
{
	struct fixup_ev *f;

	if (!ev || ev->n_fixups >= (int)(sizeof(ev->fixups) / sizeof(ev->fixups[0])))
		return;
	f = &ev->fixups[ev->n_fixups++];
	f->kind = kind;
	f->target = xstrdup(target);
	f->status = status;
	f->detail = xstrdup(detail);
}

static void record_result(struct evidence *ev, const char *kind, const char *target, int err, char *detail)
{
	if (err) {
		char *e = errstr(err);
		char *d = xasprintf("%s: %s", detail, e);

		fixup_add(ev, kind, target, "fail", d);
		free(e);
		free(d);
	} else {
		fixup_add(ev, kind, target, "applied", detail);
	}
	free(detail);
}

/* An inner-map prototype: either resize the one declared in BTF, or create one and hand libbpf its fd. */
static int set_inner_map(struct bpf_map *map, enum bpf_map_type type, unsigned int key, unsigned int value,
			 unsigned int entries, struct prepare_ctx *ctx)
{
	struct bpf_map *inner = bpf_map__inner_map(map);
	int fd, err;

	if (inner) {
		err = bpf_map__set_type(inner, type);
		if (!err)
			err = bpf_map__set_key_size(inner, key);
		if (!err)
			err = bpf_map__set_value_size(inner, value);
		return err ? err : bpf_map__set_max_entries(inner, entries);
	}
	if (ctx->n_inner_fds >= MAX_LIST)
		return -E2BIG;
	fd = bpf_map_create(type, "bpfcompat_inner", key, value, entries, NULL);
	if (fd < 0)
		return -errno;
	err = bpf_map__set_inner_map_fd(map, fd);
	if (err) {
		close(fd);
		return err;
	}
	ctx->inner_fds[ctx->n_inner_fds++] = fd;
	return 0;
}

static void apply_map_fixups(struct bpf_object *obj, const struct options *opts, struct evidence *rec,
			     struct prepare_ctx *ctx)
{
	for (int i = 0; i < opts->n_map_fixups; i++) {
		const struct map_fixup *f = &opts->map_fixups[i];
		struct bpf_map *map = bpf_object__find_map_by_name(obj, f->map);
		const char *kind = f->kind == FIXUP_MAX_ENTRIES ? "max_entries"
				 : f->kind == FIXUP_INNER_RINGBUF ? "inner_ringbuf" : "inner_map";
		unsigned int n;
		int err;

		if (!map) {
			fixup_add(rec, kind, f->map, "not_found", "no map with this name in the object");
			continue;
		}
		switch (f->kind) {
		case FIXUP_MAX_ENTRIES: {
			int cpus = f->cpus ? libbpf_num_possible_cpus() : 0;

			if (f->cpus && cpus <= 0) {
				record_result(rec, kind, f->map, cpus ? cpus : -EINVAL, xstrdup("possible CPUs"));
				continue;
			}
			n = f->cpus ? (unsigned int)cpus : f->value;
			err = bpf_map__set_max_entries(map, n);
			record_result(rec, kind, f->map, err, xasprintf("max_entries=%u%s", n, f->cpus ? " (cpus)" : ""));
			break;
		}
		case FIXUP_INNER_RINGBUF:
			err = set_inner_map(map, BPF_MAP_TYPE_RINGBUF, 0, 0, f->value, ctx);
			record_result(rec, kind, f->map, err, xasprintf("ringbuf inner map of %u bytes", f->value));
			break;
		case FIXUP_INNER_MAP:
			err = set_inner_map(map, f->inner_type, f->inner_key, f->inner_value, f->inner_entries, ctx);
			record_result(rec, kind, f->map, err,
				      xasprintf("inner map %s key=%u value=%u max_entries=%u",
						libbpf_bpf_map_type_str(f->inner_type), f->inner_key, f->inner_value,
						f->inner_entries));
			break;
		}
	}
}

/* Only map types whose zero size is a "set me at runtime" placeholder; ringbufs, perf arrays and storage maps keep 0. */
static bool auto_sizable(enum bpf_map_type t)
{
	switch (t) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_STACK_TRACE:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_LPM_TRIE:
		return true;
	default:
		return false;
	}
}

static void auto_size_maps(struct bpf_object *obj, struct evidence *rec)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		if (bpf_map__max_entries(map) != 0 || !auto_sizable(bpf_map__type(map)))
			continue;
		record_result(rec, "auto_max_entries", bpf_map__name(map),
			      bpf_map__set_max_entries(map, AUTO_MAX_ENTRIES),
			      xasprintf("max_entries 0 -> %d", AUTO_MAX_ENTRIES));
	}
}

static void apply_prog_types(struct bpf_object *obj, const struct options *opts, struct evidence *rec)
{
	struct bpf_program *prog;

	for (int i = 0; i < opts->n_prog_types; i++) {
		const struct prog_type_override *t = &opts->prog_types[i];
		bool matched = false;

		bpf_object__for_each_program(prog, obj) {
			if (strcmp(bpf_program__name(prog), t->selector) != 0 &&
			    strcmp(bpf_program__section_name(prog), t->selector) != 0)
				continue;
			matched = true;
			record_result(rec, "prog_type", bpf_program__name(prog), bpf_program__set_type(prog, t->type),
				      xasprintf("type=%s", libbpf_bpf_prog_type_str(t->type)));
		}
		if (!matched)
			fixup_add(rec, "prog_type", t->selector, "not_found", "no program with this name or section");
	}
	/* libbpf leaves "socket*" sections it does not know as UNSPEC; Inspektor Gadget ships such programs */
	bpf_object__for_each_program(prog, obj) {
		if (bpf_program__type(prog) == BPF_PROG_TYPE_UNSPEC &&
		    strncmp(bpf_program__section_name(prog), "socket", 6) == 0)
			record_result(rec, "prog_type", bpf_program__name(prog),
				      bpf_program__set_type(prog, BPF_PROG_TYPE_SOCKET_FILTER),
				      xstrdup("type=socket_filter (inferred from section)"));
	}
}

void prepare_object(struct bpf_object *obj, const struct options *opts, struct evidence *rec, struct prepare_ctx *ctx)
{
	apply_map_fixups(obj, opts, rec, ctx);
	auto_size_maps(obj, rec);
	apply_prog_types(obj, opts, rec);
}

void prepare_release(struct prepare_ctx *ctx)
{
	for (int i = 0; i < ctx->n_inner_fds; i++)
		close(ctx->inner_fds[i]);
	ctx->n_inner_fds = 0;
}
