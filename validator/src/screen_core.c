/* CO-RE through libbpf's own relocation logic: the .BTF.ext records are walked as libbpf walks them and each is
 * computed by bpf_core_calc_relo_insn() against the target BTF, with candidates found by bpf_core_add_cands()
 * (vmlinux first, then module BTF only when vmlinux has none), the path bpftool's `gen min_core_btf` takes. */
#define _GNU_SOURCE
#include "screen.h"

#include <errno.h>
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
	for (int i = 0; !*err && !cands->len && i < n_mods; i++)
		*err = bpf_core_add_cands(&local_cand, len, mods[i], "module", btf__type_cnt(vmlinux), cands);
	if (*err) {
		bpf_core_free_cands(cands);
		return NULL;
	}
	return cands;
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
