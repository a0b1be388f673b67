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
				 : f->kind == FIXUP_VALUE_SIZE ? "value_size"
				 : f->kind == FIXUP_KEY_SIZE ? "key_size"
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
		case FIXUP_VALUE_SIZE:
			err = bpf_map__set_value_size(map, f->value);
			record_result(rec, kind, f->map, err, xasprintf("value_size=%u", f->value));
			break;
		case FIXUP_KEY_SIZE:
			err = bpf_map__set_key_size(map, f->value);
			record_result(rec, kind, f->map, err, xasprintf("key_size=%u", f->value));
			break;
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

/*
 * Sizes a loader sets before load, chosen here so the object can be validated alone; every one is recorded as an
 * auto_* fixup. A stack-trace map's key is a u32 stack id and its value the frames (perf_event_max_stack × 8).
 * Only the sizes the manifest left alone (a manifest fixup runs first and wins).
 */
static void auto_size_maps(struct bpf_object *obj, struct evidence *rec)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		enum bpf_map_type type = bpf_map__type(map);

		if (type == BPF_MAP_TYPE_STACK_TRACE && bpf_map__key_size(map) == 0)
			record_result(rec, "auto_key_size", bpf_map__name(map), bpf_map__set_key_size(map, 4),
				      xstrdup("key_size 0 -> 4 (a stack id)"));
		if (type == BPF_MAP_TYPE_STACK_TRACE && bpf_map__value_size(map) == 0)
			record_result(rec, "auto_value_size", bpf_map__name(map),
				      bpf_map__set_value_size(map, AUTO_STACK_DEPTH * 8),
				      xasprintf("value_size 0 -> %d (%d frames x 8 bytes, the kernel's default perf_event_max_stack)",
						AUTO_STACK_DEPTH * 8, AUTO_STACK_DEPTH));
		if (bpf_map__max_entries(map) != 0 || !auto_sizable(type))
			continue;
		record_result(rec, "auto_max_entries", bpf_map__name(map),
			      bpf_map__set_max_entries(map, AUTO_MAX_ENTRIES),
			      xasprintf("max_entries 0 -> %d", AUTO_MAX_ENTRIES));
	}
}

const char *attach_target_override(const struct options *opts, const char *prog)
{
	for (int i = 0; i < opts->n_attach_targets; i++)
		if (strcmp(opts->attach_targets[i].prog, prog) == 0)
			return opts->attach_targets[i].target;
	return NULL;
}

/*
 * The manifest's attach targets: BTF-resolved programs (fentry/fexit/fmod_ret, lsm, tp_btf, freplace) get theirs
 * before load, as their loader's bpf_program__set_attach_target() does; kprobes take theirs when attached (attach.c).
 */
static void apply_attach_targets(struct bpf_object *obj, const struct options *opts, struct evidence *rec)
{
	for (int i = 0; i < opts->n_attach_targets; i++) {
		const struct attach_target_override *t = &opts->attach_targets[i];
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, t->prog);
		enum bpf_prog_type type;

		if (!prog) {
			fixup_add(rec, "attach_target", t->prog, "not_found", "no program with this name");
			continue;
		}
		type = bpf_program__type(prog);
		if (type == BPF_PROG_TYPE_TRACING || type == BPF_PROG_TYPE_LSM || type == BPF_PROG_TYPE_EXT) {
			int err = bpf_program__set_attach_target(prog, 0, t->target);

			/* libbpf resolves the name in the kernel's BTF now: -ESRCH when this kernel has no such function */
			record_result(rec, "attach_target", t->prog, err, xasprintf("%s (set before load)", t->target));
		} else if (type == BPF_PROG_TYPE_KPROBE) {
			fixup_add(rec, "attach_target", t->prog, "applied", t->target);
		} else {
			char *d = xasprintf("%s: %s programs take no attach target from the loader", t->target,
					    libbpf_bpf_prog_type_str(type) ? libbpf_bpf_prog_type_str(type) : "these");

			fixup_add(rec, "attach_target", t->prog, "fail", d);
			free(d);
		}
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
			record_result(rec, "auto_prog_type", bpf_program__name(prog),
				      bpf_program__set_type(prog, BPF_PROG_TYPE_SOCKET_FILTER),
				      xstrdup("type=socket_filter (inferred from section)"));
	}
}

void prepare_object(struct bpf_object *obj, const struct options *opts, struct evidence *rec, struct prepare_ctx *ctx)
{
	apply_map_fixups(obj, opts, rec, ctx);
	auto_size_maps(obj, rec);
	apply_prog_types(obj, opts, rec);
	apply_attach_targets(obj, opts, rec);
}

void prepare_release(struct prepare_ctx *ctx)
{
	for (int i = 0; i < ctx->n_inner_fds; i++)
		close(ctx->inner_fds[i]);
	ctx->n_inner_fds = 0;
}
