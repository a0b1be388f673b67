/* The object side of the screen: programs, the functions each reaches (bpf-to-bpf calls and callbacks, through
 * the ELF relocations as libbpf resolves them), the helpers, kfuncs and ksyms each calls, maps and externs. */
#define _GNU_SOURCE
#include "validator.h"
#include "screen.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct elf_sym { char *name; int shndx, type, bind; uint64_t value; };
struct elf_rel { int sec; uint32_t insn; int sym; };

struct elf_view {
	Elf *elf;
	size_t shstrndx;
	struct elf_sym *syms; int n_syms;
	struct elf_rel *rels; int n_rels;
	struct bpf_insn **code;  /* per section index, NULL unless executable */
	uint32_t *code_cnt;
	size_t n_secs;
};

static void push(void **arr, int *n, size_t sz, const void *item)
{
	*arr = realloc(*arr, (*n + 1) * sz);
	if (!*arr)
		abort();
	memcpy((char *)*arr + *n * sz, item, sz);
	(*n)++;
}

static void push_int_unique(int **arr, int *n, int v)
{
	for (int i = 0; i < *n; i++)
		if ((*arr)[i] == v)
			return;
	push((void **)arr, n, sizeof(int), &v);
}

static int read_elf(int fd, struct elf_view *v, int *text_sec, char **license)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	elf_version(EV_CURRENT);
	v->elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!v->elf || elf_getshdrstrndx(v->elf, &v->shstrndx) || elf_getshdrnum(v->elf, &v->n_secs))
		return -EINVAL;
	v->code = calloc(v->n_secs, sizeof(*v->code));
	v->code_cnt = calloc(v->n_secs, sizeof(*v->code_cnt));
	*text_sec = -1;
	while ((scn = elf_nextscn(v->elf, scn))) {
		int idx = elf_ndxscn(scn);
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		name = elf_strptr(v->elf, v->shstrndx, sh.sh_name);
		d = elf_getdata(scn, NULL);
		if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR) && d && d->d_size) {
			v->code[idx] = d->d_buf;
			v->code_cnt[idx] = d->d_size / sizeof(struct bpf_insn);
			if (name && !strcmp(name, ".text"))
				*text_sec = idx;
		} else if (name && !strcmp(name, "license") && d && d->d_size) {
			*license = strndup(d->d_buf, d->d_size);
		} else if (sh.sh_type == SHT_SYMTAB && d) {
			int n = sh.sh_size / sh.sh_entsize;

			for (int i = 0; i < n; i++) {
				GElf_Sym s;
				struct elf_sym e;
				const char *sn;

				if (!gelf_getsym(d, i, &s))
					return -EINVAL;
				sn = elf_strptr(v->elf, sh.sh_link, s.st_name);
				e.name = xstrdup(sn ? sn : "");
				e.shndx = s.st_shndx;
				e.type = GELF_ST_TYPE(s.st_info);
				e.bind = GELF_ST_BIND(s.st_info);
				e.value = s.st_value;
				push((void **)&v->syms, &v->n_syms, sizeof(e), &e);
			}
		}
	}
	/* relocations second: they name the sections they apply to, which must be known by then */
	scn = NULL;
	while ((scn = elf_nextscn(v->elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_REL || sh.sh_info >= v->n_secs || !v->code[sh.sh_info])
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rel r;
			struct elf_rel e;

			if (!gelf_getrel(d, i, &r))
				return -EINVAL;
			e.sec = sh.sh_info;
			e.insn = r.r_offset / sizeof(struct bpf_insn);
			e.sym = GELF_R_SYM(r.r_info);
			push((void **)&v->rels, &v->n_rels, sizeof(e), &e);
		}
	}
	return 0;
}

static int func_at(const struct scr_obj *o, int sec, uint32_t insn)
{
	for (int i = 0; i < o->n_funcs; i++)
		if (o->funcs[i].sec == sec && insn >= o->funcs[i].off && insn < o->funcs[i].off + o->funcs[i].cnt)
			return i;
	return -1;
}

static const struct elf_rel *rel_at(const struct elf_view *v, int sec, uint32_t insn)
{
	for (int i = 0; i < v->n_rels; i++)
		if (v->rels[i].sec == sec && v->rels[i].insn == insn)
			return &v->rels[i];
	return NULL;
}

static int extern_index(const struct scr_obj *o, const char *name)
{
	for (int i = 0; i < o->n_externs; i++)
		if (!strcmp(o->externs[i].name, name))
			return i;
	return -1;
}

/* Externs from the object's BTF datasecs .ksyms and .kconfig; weak from the ELF symbol. */
static void collect_externs(struct scr_obj *o, const struct elf_view *v)
{
	int n = o->btf ? (int)btf__type_cnt(o->btf) : 0;

	for (int id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(o->btf, id);
		const char *sec = btf__name_by_offset(o->btf, t->name_off);
		const struct btf_var_secinfo *vsi;
		bool kconfig;

		if (!btf_is_datasec(t) || !sec || (strcmp(sec, ".ksyms") && strcmp(sec, ".kconfig")))
			continue;
		kconfig = !strcmp(sec, ".kconfig");
		vsi = btf_var_secinfos(t);
		for (int i = 0; i < btf_vlen(t); i++, vsi++) {
			const struct btf_type *vt = btf__type_by_id(o->btf, vsi->type);
			struct scr_extern e = { 0 };

			e.name = xstrdup(btf__name_by_offset(o->btf, vt->name_off));
			e.btf_id = vsi->type;
			if (kconfig)
				e.kind = EXT_KCONFIG;
			else if (btf_is_func(vt))
				e.kind = EXT_KFUNC;
			else {
				const struct btf_type *tt = btf__type_by_id(o->btf, btf__resolve_type(o->btf, vt->type) > 0 ? (__u32)btf__resolve_type(o->btf, vt->type) : 0);

				e.kind = (!tt || btf_kind(tt) == BTF_KIND_UNKN || btf_is_void(tt)) ? EXT_KSYM_UNTYPED : EXT_KSYM_VAR;
			}
			for (int s = 0; s < v->n_syms; s++)
				if (v->syms[s].shndx == SHN_UNDEF && !strcmp(v->syms[s].name, e.name))
					e.weak = v->syms[s].bind == STB_WEAK;
			push((void **)&o->externs, &o->n_externs, sizeof(e), &e);
		}
	}
}

/* Every call, callback reference, kfunc call and ksym load of one function. */
static void scan_func(struct scr_obj *o, const struct elf_view *v, int fi)
{
	struct scr_func *f = &o->funcs[fi];
	const struct bpf_insn *code = v->code[f->sec];

	for (uint32_t i = f->off; i < f->off + f->cnt; i++) {
		const struct bpf_insn *in = &code[i];
		const struct elf_rel *r = rel_at(v, f->sec, i);
		const struct elf_sym *s = r && r->sym < v->n_syms ? &v->syms[r->sym] : NULL;
		int target_sec = f->sec;
		long target = -1;

		/* a call or load relocated against an undefined symbol is a kfunc call or a ksym/kconfig load */
		if (s && s->shndx == SHN_UNDEF && (in->code == (BPF_JMP | BPF_CALL) || in->code == (BPF_LD | BPF_IMM | BPF_DW))) {
			int e = extern_index(o, s->name);

			if (e >= 0)
				push_int_unique(&f->externs, &f->n_externs, e);
			if (in->code == (BPF_LD | BPF_IMM | BPF_DW))
				i++;
			continue;
		}
		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == 0 && !r) {
			push_int_unique(&f->helpers, &f->n_helpers, in->imm);
			continue;
		}
		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL) {
			if (s && s->shndx > 0 && s->shndx < (int)v->n_secs && v->code[s->shndx]) {
				target_sec = s->shndx;
				target = (long)(s->value / sizeof(struct bpf_insn)) + in->imm + 1;
			} else if (!s) {
				target = (long)i + in->imm + 1;
			}
		} else if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && in->src_reg == BPF_PSEUDO_FUNC) {
			target = (long)i + in->imm + 1;
		} else if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && s && s->shndx > 0 && s->shndx < (int)v->n_secs &&
			   v->code[s->shndx]) {
			/* a callback's address (bpf_loop, timers, for_each_map_elem), as libbpf's RELO_SUBPROG_ADDR */
			target_sec = s->shndx;
			target = (long)((s->value + in->imm) / sizeof(struct bpf_insn));
		} else {
			if (in->code == (BPF_LD | BPF_IMM | BPF_DW))
				i++;
			continue;
		}
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
		{
			int callee = target >= 0 ? func_at(o, target_sec, (uint32_t)target) : -1;

			if (callee >= 0)
				push_int_unique(&f->callees, &f->n_callees, callee);
			else
				f->calls_unresolved = true;
		}
	}
}

static void mark_reach(struct scr_obj *o, bool *reach, int fi)
{
	if (reach[fi])
		return;
	reach[fi] = true;
	if (o->funcs[fi].calls_unresolved)
		for (int i = 0; i < o->n_funcs; i++)
			if (o->funcs[i].sec == o->text_sec)
				mark_reach(o, reach, i);
	for (int i = 0; i < o->funcs[fi].n_callees; i++)
		mark_reach(o, reach, o->funcs[fi].callees[i]);
}

/* "fentry/do_unlinkat" -> kind fentry, target do_unlinkat (module prefix "mod:" kept) */
static void split_section(struct scr_prog *p)
{
	static const char *kinds[][2] = {
		{ "fentry.s/", "fentry" }, { "fexit.s/", "fexit" }, { "fmod_ret.s/", "fmod_ret" },
		{ "fentry/", "fentry" }, { "fexit/", "fexit" }, { "fmod_ret/", "fmod_ret" },
		{ "lsm.s/", "lsm" }, { "lsm/", "lsm" }, { "lsm_cgroup/", "lsm" }, { "tp_btf/", "tp_btf" },
		{ "iter.s/", "iter" }, { "iter/", "iter" }, { "raw_tracepoint.w/", "raw_tp" }, { "raw_tp.w/", "raw_tp" },
		{ "raw_tracepoint/", "raw_tp" }, { "raw_tp/", "raw_tp" }, { "kprobe/", "kprobe" },
		{ "kretprobe/", "kretprobe" }, { "tracepoint/", "tracepoint" }, { "tp/", "tracepoint" },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i][0]);

		if (!strncmp(p->section, kinds[i][0], n) && p->section[n]) {
			p->attach_kind = xstrdup(kinds[i][1]);
			p->attach_target = xstrdup(p->section + n);
			return;
		}
	}
}

int scr_obj_open(const char *path, struct scr_obj *o, char **errmsg)
{
	struct elf_view v = { 0 };
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	int fd, err;

	memset(o, 0, sizeof(*o));
	o->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*errmsg = xasprintf("%s: %s", path, strerror(errno));
		return -errno;
	}
	err = read_elf(fd, &v, &o->text_sec, &o->license);
	if (err) {
		*errmsg = xasprintf("%s: not a readable ELF file", path);
		close(fd);
		return err;
	}
	o->btf = btf__parse(path, (struct btf_ext **)&o->btf_ext);
	if (!o->btf) {
		o->btf_error = errstr(-errno);
		o->btf_ext = NULL;
	}
	o->has_btf_ext = o->btf_ext != NULL;
	collect_externs(o, &v);

	/* functions: every FUNC symbol of an executable section */
	for (int i = 0; i < v.n_syms; i++) {
		struct elf_sym *s = &v.syms[i];
		struct scr_func f = { 0 };

		if (s->type != STT_FUNC || s->shndx <= 0 || s->shndx >= (int)v.n_secs || !v.code[s->shndx])
			continue;
		f.name = xstrdup(s->name);
		f.sec = s->shndx;
		f.off = s->value / sizeof(struct bpf_insn);
		push((void **)&o->funcs, &o->n_funcs, sizeof(f), &f);
	}
	/* sizes: up to the next function of the section or its end (st_size is not always set for asm) */
	for (int i = 0; i < o->n_funcs; i++) {
		uint32_t end = v.code_cnt[o->funcs[i].sec];

		for (int j = 0; j < o->n_funcs; j++)
			if (o->funcs[j].sec == o->funcs[i].sec && o->funcs[j].off > o->funcs[i].off && o->funcs[j].off < end)
				end = o->funcs[j].off;
		o->funcs[i].cnt = end - o->funcs[i].off;
	}
	for (int i = 0; i < o->n_funcs; i++)
		scan_func(o, &v, i);

	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		err = -errno;
		*errmsg = xasprintf("%s: libbpf cannot open the object: %s", path, errstr(err));
		close(fd);
		return err;
	}
	bpf_object__for_each_program(prog, obj) {
		struct scr_prog p = { 0 };

		p.name = xstrdup(bpf_program__name(prog));
		p.section = xstrdup(bpf_program__section_name(prog));
		p.type = bpf_program__type(prog);
		p.attach_type = bpf_program__expected_attach_type(prog);
		p.autoload = bpf_program__autoload(prog);
		p.func = -1;
		for (int i = 0; i < o->n_funcs; i++)
			if (o->funcs[i].sec != o->text_sec && !strcmp(o->funcs[i].name, p.name))
				p.func = i;
		p.reach = calloc(o->n_funcs > 0 ? (size_t)o->n_funcs : 1, sizeof(bool));
		if (p.func >= 0)
			mark_reach(o, p.reach, p.func);
		split_section(&p);
		push((void **)&o->progs, &o->n_progs, sizeof(p), &p);
	}
	bpf_object__for_each_map(map, obj) {
		struct scr_map m = { xstrdup(bpf_map__name(map)), bpf_map__type(map), bpf_map__max_entries(map),
				      bpf_map__key_size(map), bpf_map__value_size(map) };

		if (!bpf_map__autocreate(map))
			continue;
		push((void **)&o->maps, &o->n_maps, sizeof(m), &m);
	}
	bpf_object__close(obj);
	if (o->btf_ext) {
		err = scr_core_collect(o);
		if (err) {
			*errmsg = xasprintf("%s: .BTF.ext CO-RE records do not parse", path);
			close(fd);
			return err;
		}
	}
	/* relocation records point into sections: place each in its function */
	for (int i = 0; i < o->n_relos; i++) {
		struct scr_relo *r = &o->relos[i];
		int sec = -1;
		Elf_Scn *scn = NULL;
		GElf_Shdr sh;

		while ((scn = elf_nextscn(v.elf, scn)))
			if (gelf_getshdr(scn, &sh) && !strcmp(elf_strptr(v.elf, v.shstrndx, sh.sh_name), r->sec_name))
				sec = elf_ndxscn(scn);
		r->func = sec >= 0 ? func_at(o, sec, r->insn) : -1;
		if (r->func >= 0)
			r->insn -= o->funcs[r->func].off;
	}
	elf_end(v.elf);
	close(fd);
	return 0;
}
