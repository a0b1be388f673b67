/* Static inspection of the object: ELF sections, programs (type, instructions, helper calls) and maps. */
#define _GNU_SOURCE
#include "validator.h"
#include <bpf/bpf.h>

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Uses libelf directly so BTF presence, the license, kfunc calls and CO-RE relocations are known even when
 * libbpf cannot open the object: one walk over the sections. */
void inspect_elf(const char *path, struct evidence *ev)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) != 0)
		goto out;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		scan_extern_section(elf, shstrndx, scn, &sh, name, path, ev);
		if (!name)
			continue;
		if (strcmp(name, ".BTF") == 0)
			ev->artifact_has_btf = true;
		else if (strcmp(name, ".BTF.ext") == 0)
			ev->artifact_has_btf_ext = true;
		else if (strcmp(name, "license") == 0 && !ev->license) {
			Elf_Data *d = elf_getdata(scn, NULL);

			if (d && d->d_buf && d->d_size > 0)
				ev->license = strndup(d->d_buf, d->d_size);
		}
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Helper calls are BPF_JMP|BPF_CALL with src_reg 0 (1 is a bpf-to-bpf call, 2 a kfunc). Merges into pe->helpers. */
void collect_helpers(const struct bpf_program *prog, struct program_ev *pe)
{
	const struct bpf_insn *insns = bpf_program__insns(prog);
	size_t cnt = bpf_program__insn_cnt(prog);

	if (!insns)
		return;
	for (size_t i = 0; i < cnt; i++) {
		const struct bpf_insn *in = &insns[i];
		bool seen = false;
		int *grown;

		if (in->code != (BPF_JMP | BPF_CALL) || in->src_reg != 0)
			continue;
		if (in->imm == 0xbad2310 || in->imm >= 2002000000)
			continue; /* libbpf's markers for a failed CO-RE relocation / an unresolved weak kfunc */
		for (int k = 0; k < pe->n_helpers; k++)
			if (pe->helpers[k] == in->imm)
				seen = true;
		if (seen)
			continue;
		grown = realloc(pe->helpers, sizeof(int) * (size_t)(pe->n_helpers + 1));
		if (!grown)
			return;
		pe->helpers = grown;
		pe->helpers[pe->n_helpers++] = in->imm;
	}
	qsort(pe->helpers, (size_t)pe->n_helpers, sizeof(int), cmp_int);
}

static bool is_required(const struct options *opts, const char *name)
{
	if (opts->attach_mode == ATTACH_REQUIRED)
		return true;
	for (int i = 0; i < opts->n_require_attach; i++)
		if (strcmp(opts->require_attach[i], name) == 0)
			return true;
	return false;
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

int inspect_programs(struct bpf_object *obj, struct evidence *ev, const struct options *opts)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, obj)
		n++;
	ev->programs = calloc((size_t)(n ? n : 1), sizeof(*ev->programs));
	if (!ev->programs)
		return -ENOMEM;
	bpf_object__for_each_program(prog, obj) {
		struct program_ev *pe = &ev->programs[ev->n_programs++];

		pe->name = xstrdup(bpf_program__name(prog));
		pe->section = xstrdup(bpf_program__section_name(prog));
		pe->type = str_or_empty(libbpf_bpf_prog_type_str(bpf_program__type(prog)));
		/* attach type 0 is cgroup_inet_ingress; for other program types 0 just means "none set" */
		pe->expected_attach_type = "";
		if (bpf_program__expected_attach_type(prog) != 0 || bpf_program__type(prog) == BPF_PROG_TYPE_CGROUP_SKB)
			pe->expected_attach_type = str_or_empty(libbpf_bpf_attach_type_str(bpf_program__expected_attach_type(prog)));
		pe->insn_count = (int)bpf_program__insn_cnt(prog);
		pe->prog_type = bpf_program__type(prog);
		pe->eat = bpf_program__expected_attach_type(prog);
		pe->attach_type_status = "";
		pe->target_kind = "";
		pe->target_status = "";
		pe->target_override = attach_target_override(opts, pe->name);
		pe->trial.rejected_insn_idx = -1;
		pe->autoload = bpf_program__autoload(prog);
		pe->required = is_required(opts, pe->name);
		pe->trial.status = OUT_SKIPPED;
		pe->trial.error = xstrdup("");
		pe->trial.verifier_log_tail = xstrdup("");
		pe->load.status = OUT_SKIPPED;
		pe->attach.status = OUT_SKIPPED;
		pe->attach.method = "none";
		pe->attach.target = xstrdup("");
		pe->attach.error = xstrdup("");
		pe->attach.reason = xstrdup("");
		collect_helpers(prog, pe);
	}
	return 0;
}

/* errno from libbpf's rendering of it: "-ENOMEM", "-ENOTSUPP" or "-12" (libbpf_errstr). */
static int parse_errstr(const char *s)
{
	char name[32];
	size_t n = 0;

	if (*s == '-')
		s++;
	if (*s >= '0' && *s <= '9')
		return atoi(s);
	while (n + 1 < sizeof(name) && ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9')))
		n++;
	memcpy(name, s, n);
	name[n] = '\0';
	if (strcmp(name, "ENOTSUPP") == 0)
		return 524; /* kernel-internal, unknown to libc */
	for (int e = 1; e < 200; e++) {
		const char *en = strerrorname_np(e);

		if (en && strcmp(en, name) == 0)
			return e;
	}
	return 0;
}

/* "map 'NAME': failed to create: -ENOMEM" is libbpf's only per-map evidence when the whole load fails: true when
 * the line is there, with the errno it names in *err (0 when unreadable). */
static bool log_says_create_failed(const char *log, const char *name, int *err)
{
	char *needle = xasprintf("map '%s': failed to create: ", name);
	const char *at = log ? strstr(log, needle) : NULL;

	*err = at ? parse_errstr(at + strlen(needle)) : 0;
	free(needle);
	return at != NULL;
}

void inspect_maps(struct bpf_object *obj, struct evidence *ev, const char *libbpf_log)
{
	struct bpf_map *map;
	int n = 0;

	bpf_object__for_each_map(map, obj)
		n++;
	ev->maps = calloc((size_t)(n ? n : 1), sizeof(*ev->maps));
	if (!ev->maps)
		return;
	bpf_object__for_each_map(map, obj) {
		struct map_ev *me = &ev->maps[ev->n_maps++];

		me->name = xstrdup(bpf_map__name(map));
		me->type_id = (int)bpf_map__type(map);
		me->type = str_or_empty(libbpf_bpf_map_type_str(bpf_map__type(map)));
		me->key_size = bpf_map__key_size(map);
		me->value_size = bpf_map__value_size(map);
		me->max_entries = bpf_map__max_entries(map);
		if (bpf_map__fd(map) >= 0)
			me->create = OUT_PASS;
		else if (bpf_map__autocreate(map) && log_says_create_failed(libbpf_log, me->name, &me->create_err))
			me->create = OUT_FAIL;
		else
			me->create = OUT_SKIPPED;
	}
}

/* Types whose create attributes are plain sizes (no BTF value type, inner map or flags the retry could miss). */
static bool plain_sized(enum bpf_map_type t)
{
	switch (t) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_STACK_TRACE:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
	case BPF_MAP_TYPE_BLOOM_FILTER:
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_RINGBUF:
		return true;
	default:
		return false;
	}
}

static int create_alone(const struct bpf_map *map, unsigned int key, unsigned int value, unsigned int entries,
			__u32 flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags, .map_extra = bpf_map__map_extra(map));
	int fd = bpf_map_create(bpf_map__type(map), NULL, key, value, entries, &o);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/*
 * Which attribute did the kernel refuse? A map that failed to create is re-created alone, as it is (the refusal must
 * repeat), then with one attribute at a time replaced by a small valid one, zero sizes first (the sizes a loader sets
 * before load: bpf_map__set_value_size, _key_size, _max_entries), then sizes too large (E2BIG), then the flags. The
 * attribute whose change alone makes the kernel accept the map is the one it refused.
 */
void analyse_map_refusals(struct bpf_object *obj, struct evidence *ev)
{
	for (int i = 0; i < ev->n_maps; i++) {
		struct map_ev *me = &ev->maps[i];
		const struct bpf_map *map = bpf_object__find_map_by_name(obj, me->name);
		unsigned int k = me->key_size, v = me->value_size, n = me->max_entries;
		bool ringbuf = me->type_id == BPF_MAP_TYPE_RINGBUF;
		/* a queue/stack/bloom filter has no key; a ringbuf has neither key nor value */
		bool keyless = me->type_id == BPF_MAP_TYPE_QUEUE || me->type_id == BPF_MAP_TYPE_STACK ||
			       me->type_id == BPF_MAP_TYPE_BLOOM_FILTER || ringbuf;
		unsigned int small_n = ringbuf ? 4096 : 1;
		__u32 flags;

		if (me->create != OUT_FAIL || !map || !plain_sized(bpf_map__type(map)))
			continue;
		flags = bpf_map__map_flags(map);
		if (create_alone(map, k, v, n, flags) == 0)
			continue; /* accepted alone: the refusal depended on something else (memory, other maps) */
		for (int pass = 0; pass < 2 && !me->refused_field; pass++) {
			/* pass 0: zero sizes; pass 1: any size that differs from a small valid one */
			if (!keyless && (pass ? k > 4 : k == 0) && create_alone(map, 4, v, n, flags) == 0) {
				me->refused_field = "key_size";
				me->refused_value = k;
			} else if (!ringbuf && (pass ? v > 8 : v == 0) && create_alone(map, k, 8, n, flags) == 0) {
				me->refused_field = "value_size";
				me->refused_value = v;
			} else if ((pass ? n > small_n : n == 0) && create_alone(map, k, v, small_n, flags) == 0) {
				me->refused_field = "max_entries";
				me->refused_value = n;
			}
		}
		if (!me->refused_field && flags && create_alone(map, k, v, n, 0) == 0) {
			me->refused_field = "map_flags";
			me->refused_value = flags;
		}
	}
}
