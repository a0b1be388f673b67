/* Host-side screen: what an object needs from a kernel, read once, checked against many kernels' BTF. */
#ifndef BPFCOMPAT_SCREEN_H
#define BPFCOMPAT_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;
struct json;

/* One function of an executable section: a program (outside .text) or a subprogram. */
struct scr_func {
	char *name;
	int sec;             /* ELF section index */
	uint32_t off, cnt;   /* in instructions, within the section */
	int *callees;        /* indexes into scr_obj.funcs */
	int n_callees;
	bool calls_unresolved; /* a bpf-to-bpf reference we could not place: assume every .text function */
	int *helpers;
	int n_helpers;
	int *externs;        /* indexes into scr_obj.externs (kfunc calls, ksym loads) */
	int n_externs;
};

enum scr_extern_kind { EXT_KFUNC, EXT_KSYM_VAR, EXT_KSYM_UNTYPED, EXT_KCONFIG };

struct scr_extern {
	char *name;
	enum scr_extern_kind kind;
	bool weak;
	int btf_id;          /* object BTF id of the FUNC (kfunc) or VAR (ksym) */
};

struct scr_relo {
	int func;            /* function holding the instruction, -1 if none (eliminated weak subprogram) */
	int kind;            /* enum bpf_core_relo_kind */
	int index;           /* record number within its .BTF.ext section */
	uint32_t insn;       /* instruction index within the function */
	const void *rec;     /* struct bpf_core_relo inside the object's btf_ext */
	const char *sec_name;
};

struct scr_prog {
	char *name, *section;
	int func;            /* index into funcs */
	int type, attach_type;
	bool autoload;
	char *attach_kind;   /* fentry, fexit, fmod_ret, lsm, tp_btf, iter, raw_tp, kprobe, kretprobe, tracepoint, NULL */
	char *attach_target;
	bool *reach;         /* reach[f]: function f is part of this program */
};

struct scr_map { char *name; int type; unsigned int max_entries, key_size, value_size; };

struct scr_obj {
	const char *path;
	struct btf *btf;     /* the object's BTF (NULL when it has none) */
	void *btf_ext;       /* struct btf_ext * */
	bool has_btf_ext, has_core;
	char *btf_error;
	struct scr_func *funcs; int n_funcs;
	struct scr_prog *progs; int n_progs;
	struct scr_map *maps; int n_maps;
	struct scr_extern *externs; int n_externs;
	struct scr_relo *relos; int n_relos;
	int text_sec;
	char *license;
};

/* screen_obj.c */
int scr_obj_open(const char *path, struct scr_obj *o, char **err);

/* screen_core.c */
int scr_core_collect(struct scr_obj *o);
struct scr_core_cache;
struct scr_core_cache *scr_core_cache_new(const struct scr_obj *o);
void scr_core_cache_free(struct scr_core_cache *c);
void scr_core_prefetch(const struct scr_obj *o, const struct btf *vmlinux, struct scr_core_cache *c);
/* Outcome of one relocation against the target: 0 resolved, 1 poisoned (libbpf poisons the instruction and the
 * load fails only if the verifier reaches it), -1 error (libbpf fails the whole load). */
/* The essential name (no ___flavour) of the type a relocation looks up in the kernel, its length; 0 when none. */
size_t scr_core_local_name(const struct scr_obj *o, const struct scr_relo *r, const char **name);
/* The BTFs (vmlinux, modules) the relocation's candidates came from, each once, in candidate order: at most max. */
int scr_core_cand_btfs(const struct scr_core_cache *c, const struct scr_relo *r, const struct btf **out, int max);
int scr_core_relo(const struct scr_obj *o, const struct scr_relo *r, const struct btf *vmlinux,
		  struct btf **mods, int n_mods, struct scr_core_cache *c, uint64_t *new_val,
		  char *spec, size_t spec_sz, int *err);

/* screen.c */
int screen_main(int argc, char **argv);

/* screen_modules.c: the names each module's split BTF adds to vmlinux */
int screen_modules_main(int argc, char **argv);

#endif
