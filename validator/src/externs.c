/* What the object needs from the kernel, read from the ELF before any load: kfunc calls (relocations of call
 * instructions against undefined symbols) and CO-RE relocations (.BTF.ext core_relo records). */
#define _GNU_SOURCE
#include "validator.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

struct btf_ext_hdr {
	__u16 magic;
	__u8 version;
	__u8 flags;
	__u32 hdr_len;
	__u32 func_info_off, func_info_len;
	__u32 line_info_off, line_info_len;
	__u32 core_relo_off, core_relo_len;
};

struct core_relo_rec {
	__u32 insn_off, type_id, access_str_off, kind;
};

static void add_kfunc(struct evidence *ev, const char *section, const char *name, bool weak)
{
	struct kfunc_ref *grown;

	for (int i = 0; i < ev->n_kfunc_refs; i++)
		if (strcmp(ev->kfunc_refs[i].section, section) == 0 && strcmp(ev->kfunc_refs[i].name, name) == 0)
			return;
	grown = realloc(ev->kfunc_refs, sizeof(*grown) * (size_t)(ev->n_kfunc_refs + 1));
	if (!grown)
		return;
	ev->kfunc_refs = grown;
	ev->kfunc_refs[ev->n_kfunc_refs++] = (struct kfunc_ref){ xstrdup(section), xstrdup(name), weak };
}

/* A call instruction relocated against an undefined symbol is a kfunc call (helpers are plain ids). */
static void scan_rel(Elf *elf, size_t shstrndx, Elf_Scn *rel, const GElf_Shdr *rsh, struct evidence *ev)
{
	Elf_Scn *target = elf_getscn(elf, rsh->sh_info), *symscn = elf_getscn(elf, rsh->sh_link);
	GElf_Shdr tsh, ssh;
	Elf_Data *rd = elf_getdata(rel, NULL), *td, *sd;
	const char *secname;

	if (!target || !symscn || !rd || !gelf_getshdr(target, &tsh) || !gelf_getshdr(symscn, &ssh))
		return;
	if (!(tsh.sh_flags & SHF_EXECINSTR))
		return;
	td = elf_getdata(target, NULL);
	sd = elf_getdata(symscn, NULL);
	secname = elf_strptr(elf, shstrndx, tsh.sh_name);
	if (!td || !sd || !secname)
		return;
	for (size_t i = 0; i < rsh->sh_size / rsh->sh_entsize; i++) {
		GElf_Rel r;
		GElf_Sym sym;
		const struct bpf_insn *insn;
		const char *name;

		if (!gelf_getrel(rd, (int)i, &r) || !gelf_getsym(sd, (int)GELF_R_SYM(r.r_info), &sym))
			continue;
		if (sym.st_shndx != SHN_UNDEF || r.r_offset + sizeof(*insn) > td->d_size)
			continue;
		insn = (const struct bpf_insn *)((const char *)td->d_buf + r.r_offset);
		if (insn->code != (BPF_JMP | BPF_CALL))
			continue;
		name = elf_strptr(elf, ssh.sh_link, sym.st_name);
		if (name && *name)
			add_kfunc(ev, secname, name, GELF_ST_BIND(sym.st_info) == STB_WEAK);
	}
}

static const struct btf_type *skip_mods(const struct btf *btf, __u32 id, __u32 *out_id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (out_id)
		*out_id = id;
	return t;
}

/* "0:1:2" on the local type → "state.field" member path (array indices as [n]). */
static char *access_path(const struct btf *btf, __u32 type_id, const char *spec, bool enumval)
{
	char *path = xstrdup(""), *copy = xstrdup(spec), *save = NULL;
	const struct btf_type *t = skip_mods(btf, type_id, NULL);
	int n = 0;

	for (char *tok = strtok_r(copy, ":", &save); tok && t; tok = strtok_r(NULL, ":", &save), n++) {
		int idx = atoi(tok);
		char *next = NULL;

		if (enumval && btf_is_any_enum(t)) {
			const char *vname = btf_is_enum(t) ? btf__name_by_offset(btf, btf_enum(t)[idx].name_off)
							   : btf__name_by_offset(btf, btf_enum64(t)[idx].name_off);
			next = xasprintf("%s", vname ? vname : "?");
			t = NULL;
		} else if (n == 0) {
			continue; /* the first index is into the root pointer */
		} else if (btf_is_composite(t) && idx < btf_vlen(t)) {
			const struct btf_member *m = btf_members(t) + idx;
			const char *mname = btf__name_by_offset(btf, m->name_off);

			next = xasprintf("%s%s%s", path, *path ? "." : "", mname && *mname ? mname : "<anon>");
			t = skip_mods(btf, m->type, NULL);
		} else if (btf_is_array(t)) {
			next = xasprintf("%s[%d]", path, idx);
			t = skip_mods(btf, btf_array(t)->type, NULL);
		} else {
			break;
		}
		free(path);
		path = next;
	}
	free(copy);
	return path;
}

static void scan_core_relos(const char *path, const Elf_Data *ext, struct evidence *ev)
{
	const struct btf_ext_hdr *h = ext->d_buf;
	struct btf *btf;
	const char *p, *end;
	__u32 rec_size;

	if (ext->d_size < sizeof(*h) || h->magic != 0xeB9F || h->hdr_len < sizeof(*h) || h->core_relo_len < 4)
		return;
	if ((size_t)h->hdr_len + h->core_relo_off + h->core_relo_len > ext->d_size)
		return;
	btf = btf__parse_elf(path, NULL);
	if (!btf)
		return;
	p = (const char *)ext->d_buf + h->hdr_len + h->core_relo_off;
	end = p + h->core_relo_len;
	rec_size = *(const __u32 *)p;
	p += 4;
	while (rec_size >= sizeof(struct core_relo_rec) && p + 8 <= end) {
		const char *sec = btf__name_by_offset(btf, ((const __u32 *)p)[0]);
		__u32 num = ((const __u32 *)p)[1];

		p += 8;
		for (__u32 i = 0; i < num && p + rec_size <= end; i++, p += rec_size) {
			const struct core_relo_rec *r = (const void *)p;
			const struct btf_type *t = skip_mods(btf, r->type_id, NULL);
			const char *tname = t ? btf__name_by_offset(btf, t->name_off) : NULL;
			const char *spec = btf__name_by_offset(btf, r->access_str_off);
			struct core_ref *grown = realloc(ev->core_refs, sizeof(*grown) * (size_t)(ev->n_core_refs + 1));

			if (!grown)
				break;
			ev->core_refs = grown;
			ev->core_refs[ev->n_core_refs++] = (struct core_ref){
				.section = xstrdup(sec ? sec : ""),
				.kind = (int)r->kind,
				.btf_kind = t ? (int)btf_kind(t) : 0,
				.type = xstrdup(tname ? tname : ""),
				.access = xstrdup(spec ? spec : ""),
				.field = access_path(btf, r->type_id, spec ? spec : "0", r->kind == 10 || r->kind == 11),
			};
		}
	}
	btf__free(btf);
}

/* Called by inspect_elf for each section of its single walk over the object. */
void scan_extern_section(Elf *elf, size_t shstrndx, Elf_Scn *scn, const GElf_Shdr *sh, const char *name, const char *path, struct evidence *ev)
{
	if (sh->sh_type == SHT_REL && sh->sh_entsize)
		scan_rel(elf, shstrndx, scn, sh, ev);
	else if (name && strcmp(name, ".BTF.ext") == 0) {
		Elf_Data *d = elf_getdata(scn, NULL);

		if (d && d->d_buf)
			scan_core_relos(path, d, ev);
	}
}
