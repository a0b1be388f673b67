/* CO-RE through libbpf's own relocation logic: the .BTF.ext records are walked as libbpf walks them and each is
 * computed by bpf_core_calc_relo_insn() against the target BTF, with candidates found by bpf_core_add_cands()
 * (vmlinux first, then module BTF only when vmlinux has none), the path bpftool's `gen min_core_btf` takes. */
#define _GNU_SOURCE
#include "screen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libbpf_internal.h"
#include "relo_core.h"

char *xstrdup(const char *s);

int scr_core_collect(struct scr_obj *o)
{
	const struct btf_ext *ext = o->btf_ext;
	const struct btf_ext_info *seg = &ext->core_relo_info;
	const struct btf_ext_info_sec *sec;
	const struct bpf_core_relo *rec;
	unsigned int i;

	if (!seg->len)
		return 0;
	o->has_core = true;
	for_each_btf_ext_sec(seg, sec) {
		const char *sec_name = btf__name_by_offset(o->btf, sec->sec_name_off);

		if (!sec_name || !*sec_name)
			return -EINVAL;
		for_each_btf_ext_rec(seg, sec, i, rec) {
			struct scr_relo r = { 0 };

			if (rec->insn_off % sizeof(struct bpf_insn))
				return -EINVAL;
			r.insn = rec->insn_off / sizeof(struct bpf_insn);
			r.kind = rec->kind;
			r.index = i;
			r.rec = rec;
			r.sec_name = sec_name;
			o->relos = realloc(o->relos, (o->n_relos + 1) * sizeof(r));
			if (!o->relos)
				return -ENOMEM;
			o->relos[o->n_relos++] = r;
		}
	}
	return 0;
}

struct scr_core_cache {
	int n;
	struct bpf_core_cand_list **cands; /* by local type id; NULL = not looked up yet */
};

struct scr_core_cache *scr_core_cache_new(const struct scr_obj *o)
{
	struct scr_core_cache *c = calloc(1, sizeof(*c));

	c->n = o->btf ? btf__type_cnt(o->btf) : 0;
	c->cands = calloc(c->n ? c->n : 1, sizeof(*c->cands));
	return c;
}

void scr_core_cache_free(struct scr_core_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n; i++)
		bpf_core_free_cands(c->cands[i]);
	free(c->cands);
	free(c);
}

static struct bpf_core_cand_list *find_cands(const struct btf *local, __u32 local_id, const struct btf *vmlinux,
					     struct btf **mods, int n_mods, int *err)
{
	struct bpf_core_cand local_cand = { .btf = local, .id = local_id };
	const struct btf_type *t = btf__type_by_id(local, local_id);
	struct bpf_core_cand_list *cands;
	const char *name;
	size_t len;

	if (!t) {
		*err = -EINVAL;
		return NULL;
	}
	name = btf__name_by_offset(local, t->name_off);
	if (!name || !*name) {
		*err = -EINVAL;
		return NULL;
	}
	len = bpf_core_essential_name_len(name);
	cands = calloc(1, sizeof(*cands));
	*err = bpf_core_add_cands(&local_cand, len, vmlinux, "vmlinux", 1, cands);
	/* nothing in vmlinux: libbpf adds the candidates of every loaded module (bpf_core_find_cands) */
	if (!*err && !cands->len)
		for (int i = 0; !*err && i < n_mods; i++)
			*err = bpf_core_add_cands(&local_cand, len, mods[i], "module", btf__type_cnt(vmlinux), cands);
	if (*err) {
		bpf_core_free_cands(cands);
		return NULL;
	}
	return cands;
}

/* One pass over the target's types finds the candidates of every local type the object relocates, with the filter
 * bpf_core_add_cands() applies (core-compatible kind, same essential name) and in the same id order; a relocation
 * per local type no longer costs a scan of the whole kernel BTF. BPFCOMPAT_SCREEN_CHECK_CANDS=1 recomputes every list
 * with bpf_core_add_cands() itself and aborts on any difference (the tests run with it). */
struct local_name { const char *name; size_t len; __u32 id; const struct btf_type *t; };

static unsigned long name_hash(const char *s, size_t n)
{
	unsigned long h = 5381;

	for (size_t i = 0; i < n; i++)
		h = h * 33 + (unsigned char)s[i];
	return h;
}

void scr_core_prefetch(const struct scr_obj *o, const struct btf *vmlinux, struct scr_core_cache *c)
{
	struct local_name *names = calloc(c->n ? c->n : 1, sizeof(*names));
	int *slots, n_names = 0, n_slots;
	bool *want = calloc(c->n ? c->n : 1, sizeof(bool));
	bool first[256] = { false };
	unsigned int kinds = 0;

	for (int i = 0; i < o->n_relos; i++) {
		const struct bpf_core_relo *rec = o->relos[i].rec;

		if (rec->kind != BPF_CORE_TYPE_ID_LOCAL && rec->type_id < (__u32)c->n)
			want[rec->type_id] = true;
	}
	for (int id = 1; id < c->n; id++) {
		const struct btf_type *t = btf__type_by_id(o->btf, id);
		const char *name;

		if (!want[id] || c->cands[id] || !t)
			continue;
		name = btf__name_by_offset(o->btf, t->name_off);
		if (!name || !*name)
			continue;
		names[n_names++] = (struct local_name){ name, bpf_core_essential_name_len(name), id, t };
	}
	n_slots = 1;
	while (n_slots < 2 * n_names + 1)
		n_slots <<= 1;
	slots = malloc(n_slots * sizeof(int));
	memset(slots, -1, n_slots * sizeof(int));
	for (int i = 0; i < n_names; i++) {
		unsigned long h = name_hash(names[i].name, names[i].len) & (n_slots - 1);

		while (slots[h] >= 0)
			h = (h + 1) & (n_slots - 1);
		slots[h] = i;
		c->cands[names[i].id] = calloc(1, sizeof(struct bpf_core_cand_list));
	}
	/* cheap rejections first, as most kernel types are of a kind or initial no local type has */
	for (int i = 0; i < n_names; i++) {
		int k = btf_kind(names[i].t);

		if (k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64)
			kinds |= 1u << BTF_KIND_ENUM | 1u << BTF_KIND_ENUM64;
		else
			kinds |= 1u << k;
		first[(unsigned char)names[i].name[0]] = true;
	}
	for (int i = 1, n = btf__type_cnt(vmlinux); n_names && i < n; i++) {
		const struct btf_type *t = btf__type_by_id(vmlinux, i);
		const char *tn;
		size_t len;
		unsigned long h;

		if (!(kinds & (1u << btf_kind(t))) || !t->name_off)
			continue;
		tn = btf__name_by_offset(vmlinux, t->name_off);
		if (!tn || !*tn || !first[(unsigned char)tn[0]])
			continue;
		len = bpf_core_essential_name_len(tn);
		for (h = name_hash(tn, len) & (n_slots - 1); slots[h] >= 0; h = (h + 1) & (n_slots - 1)) {
			struct local_name *ln = &names[slots[h]];
			struct bpf_core_cand_list *cl;

			if (ln->len != len || strncmp(ln->name, tn, len) || !btf_kind_core_compat(t, ln->t))
				continue;
			cl = c->cands[ln->id];
			cl->cands = realloc(cl->cands, (cl->len + 1) * sizeof(*cl->cands));
			cl->cands[cl->len++] = (struct bpf_core_cand){ .btf = vmlinux, .id = i };
		}
	}
	if (getenv("BPFCOMPAT_SCREEN_CHECK_CANDS")) {
		for (int k = 0; k < n_names; k++) {
			struct bpf_core_cand local = { .btf = o->btf, .id = names[k].id };
			struct bpf_core_cand_list ref = { 0 };
			const struct bpf_core_cand_list *got = c->cands[names[k].id];

			bpf_core_add_cands(&local, names[k].len, vmlinux, "vmlinux", 1, &ref);
			if (ref.len != got->len || (ref.len && memcmp(ref.cands, got->cands, ref.len * sizeof(*ref.cands)))) {
				fprintf(stderr, "bpfcompat-validator screen: candidates of %s differ from bpf_core_add_cands (%d vs %d)\n", names[k].name, got->len, ref.len);
				abort();
			}
			free(ref.cands);
		}
	}
	free(slots);
	free(names);
	free(want);
}

size_t scr_core_local_name(const struct scr_obj *o, const struct scr_relo *r, const char **name)
{
	const struct bpf_core_relo *rec = r->rec;
	const struct btf_type *t = rec->kind == BPF_CORE_TYPE_ID_LOCAL ? NULL : btf__type_by_id(o->btf, rec->type_id);

	*name = t ? btf__name_by_offset(o->btf, t->name_off) : NULL;
	return *name && **name ? bpf_core_essential_name_len(*name) : 0;
}

int scr_core_cand_btfs(const struct scr_core_cache *c, const struct scr_relo *r, const struct btf **out, int max)
{
	const struct bpf_core_relo *rec = r->rec;
	const struct bpf_core_cand_list *cl;
	int n = 0;

	if (rec->kind == BPF_CORE_TYPE_ID_LOCAL || rec->type_id >= (__u32)c->n)
		return 0;
	cl = c->cands[rec->type_id];
	for (int i = 0; cl && i < cl->len; i++) {
		bool seen = false;

		for (int k = 0; k < n && !seen; k++)
			seen = out[k] == cl->cands[i].btf;
		if (!seen && n < max)
			out[n++] = cl->cands[i].btf;
	}
	return n;
}

int scr_core_relo(const struct scr_obj *o, const struct scr_relo *r, const struct btf *vmlinux,
		  struct btf **mods, int n_mods, struct scr_core_cache *c, uint64_t *new_val,
		  char *spec, size_t spec_sz, int *err)
{
	const struct bpf_core_relo *rec = r->rec;
	struct bpf_core_spec specs[3] = {};
	struct bpf_core_relo_res res = {};
	struct bpf_core_cand_list *cands = NULL;

	*err = 0;
	spec[0] = '\0';
	if (rec->kind != BPF_CORE_TYPE_ID_LOCAL) {
		if (rec->type_id >= (__u32)c->n) {
			*err = -EINVAL;
			return -1;
		}
		if (c->cands[rec->type_id] && !c->cands[rec->type_id]->len && n_mods) {
			/* nothing in vmlinux: libbpf looks in the modules next */
			bpf_core_free_cands(c->cands[rec->type_id]);
			c->cands[rec->type_id] = NULL;
		}
		if (!c->cands[rec->type_id]) {
			c->cands[rec->type_id] = find_cands(o->btf, rec->type_id, vmlinux, mods, n_mods, err);
			if (!c->cands[rec->type_id])
				return -1;
		}
		cands = c->cands[rec->type_id];
	}
	*err = bpf_core_calc_relo_insn(r->sec_name, rec, r->index, o->btf, cands, specs, &res);
	bpf_core_format_spec(spec, spec_sz, &specs[0]);
	if (*err)
		return -1;
	*new_val = res.new_val;
	return res.poison ? 1 : 0;
}
