/* Shared data model of the validator: options from the command line and the evidence gathered. */
#ifndef BPFCOMPAT_VALIDATOR_H
#define BPFCOMPAT_VALIDATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <bpf/libbpf.h>
#include <gelf.h>

#include <sys/types.h>

#define MAX_LIST 64          /* entries per repeatable flag */
#define MAX_VARIANT_MEMBERS 16
#define MAX_TESTS 32
#define AUTO_MAX_ENTRIES 4096
/* a stack-trace map's value: 127 frames of 8 bytes, the kernel's default perf_event_max_stack */
#define AUTO_STACK_DEPTH 127

enum attach_mode { ATTACH_DISABLED, ATTACH_BEST_EFFORT, ATTACH_REQUIRED };
/* How XDP and cgroup programs attach: a bpf_link first and the pre-link call where the kernel has no link for the
 * type (auto), or the pre-link call only (legacy: netlink for XDP, BPF_PROG_ATTACH for cgroups), as loaders
 * written for kernels before 5.7/5.9 do. */
enum attach_api { ATTACH_API_AUTO, ATTACH_API_LEGACY };

enum map_fixup_kind { FIXUP_MAX_ENTRIES, FIXUP_VALUE_SIZE, FIXUP_KEY_SIZE, FIXUP_INNER_RINGBUF, FIXUP_INNER_MAP };

struct map_fixup {
	enum map_fixup_kind kind;
	char *map;
	bool cpus;                /* max_entries=cpus */
	unsigned int value;       /* max_entries, value_size, key_size or ringbuf bytes */
	enum bpf_map_type inner_type;
	unsigned int inner_key, inner_value, inner_entries;
};

struct prog_type_override {
	char *selector;           /* program name or ELF section */
	enum bpf_prog_type type;
};

/* The attach target a loader sets at run time (bpf_program__set_attach_target, or the kprobe's function). */
struct attach_target_override {
	char *prog;
	char *target;
};

struct variant_member {
	char *prog;
	int helper_id;            /* 0: unconditional */
	bool trial;
};

struct variant_group {
	char *group;
	struct variant_member members[MAX_VARIANT_MEMBERS];
	int n_members;
};

struct functional_test {
	char *name;
	bool required;
	int timeout_seconds;
	int expect_exit_code;
	char *expect_stdout_contains;
	char *expect_stderr_contains;
	char *command;
};

struct options {
	const char *artifact;
	const char *out;
	const char *functional_plan;
	const char *log_dir;
	const char *probe_cache; /* per-boot cache of kernel-only probe results (probecache.c) */
	bool open_only;          /* parse the object on the host and exit (opencheck.c) */
	bool probe_features;
	enum attach_mode attach_mode;
	enum attach_api attach_api;
	char *require_attach[MAX_LIST];
	int n_require_attach;
	struct map_fixup map_fixups[MAX_LIST];
	int n_map_fixups;
	struct prog_type_override prog_types[MAX_LIST];
	int n_prog_types;
	struct attach_target_override attach_targets[MAX_LIST];
	int n_attach_targets;
	struct variant_group variants[MAX_LIST];
	int n_variants;
	char *companions[MAX_LIST];
	int n_companions;
	struct functional_test tests[MAX_TESTS];
	int n_tests;
};

enum outcome { OUT_PASS, OUT_FAIL, OUT_SKIPPED, OUT_WARN };
const char *outcome_str(enum outcome o);

struct probe_result {
	const char *name;
	const char *status;       /* supported | unsupported | permission_denied | inconclusive | probe_error */
	int err;                  /* positive errno */
};

struct kv {
	char *key;
	char *value;
};

struct environment {
	struct kv facts[32];
	int n;
	bool bpf_lsm_active;
};

/* kfunc call and CO-RE relocation found in the ELF, keyed by the program section that holds them */
struct kfunc_ref {
	char *section;
	char *name;
	bool weak;                /* __weak __ksym: the program guards it with bpf_ksym_exists() */
};

struct core_ref {
	char *section;
	int kind;                 /* enum bpf_core_relo_kind */
	int btf_kind;             /* BTF kind of the local root type */
	char *type;               /* local root type name, possibly with a ___flavour suffix */
	char *access;             /* raw access spec "0:1:2" */
	char *field;              /* member path "a.b[2]" or enumerator name */
};

struct kfunc_ev {
	const struct kfunc_ref *ref;
	const char *status;       /* present | missing | inconclusive */
};

struct core_ev {
	const struct core_ref *ref;
	const char *status;       /* present | missing | no_kernel_btf | inconclusive */
};

struct program_ev {
	char *name;
	char *section;
	const char *type;
	const char *expected_attach_type;
	int *helpers;
	int n_helpers;
	int insn_count;
	enum bpf_prog_type prog_type;
	enum bpf_attach_type eat;
	/* root-cause probes (rootcause.c); helper_status[i] belongs to helpers[i] */
	const char **helper_status;
	struct kfunc_ev *kfuncs;
	int n_kfuncs;
	struct core_ev *cores;
	int n_cores;
	const char *attach_type_status;
	int attach_type_err;
	/* enums.c: whether the kernel's BTF names the attach/program type (present | missing | inconclusive | "") */
	const char *attach_type_in_kernel;
	const char *prog_type_in_kernel;
	const char *target_kind;
	char *target_name;
	const char *target_override; /* the manifest's attach target, replacing the section's (NULL: none) */
	const char *target_status;
	bool autoload;            /* false when a variant group disabled it */
	bool required;
	struct {
		enum outcome status;
		int err;
		char *error;
		char *verifier_log_tail;
		int rejected_insn_idx;    /* -1: the verifier named no instruction */
		char *rejected_insn;
		char *verifier_reason;
	} trial;
	struct {
		enum outcome status;
		int err;
	} load;
	struct {
		enum outcome status;
		const char *method;
		char *target;
		int err;
		char *error;
		char *reason;
	} attach;
};

struct map_ev {
	char *name;
	const char *type;
	int type_id;
	unsigned int key_size, value_size, max_entries;
	enum outcome create;
	int create_err;
	const char *type_in_kernel;   /* enums.c: present | missing | inconclusive | "" (not refused) */
	/* the attribute the kernel refused, found by re-creating the map alone with only that field changed */
	const char *refused_field;    /* key_size | value_size | max_entries | NULL */
	unsigned int refused_value;
};

struct fixup_ev {
	const char *kind;
	char *target;
	const char *status;
	char *detail;
};

struct variant_ev {
	char *group;
	char *chosen;
	char *disabled[MAX_VARIANT_MEMBERS];
	int n_disabled;
};

struct test_ev {
	const struct functional_test *test;
	enum outcome status;
	int exit_code;
	bool timed_out;
	char *stdout_tail;
	size_t stdout_len;
	char *stderr_tail;
	size_t stderr_len;
	char *error;
};

struct evidence {
	char kernel_release[128], kernel_version[256], machine[80];
	bool kernel_btf_available;
	long long kernel_btf_size;
	bool artifact_has_btf, artifact_has_btf_ext;
	char *license;
	bool license_gpl_compatible;
	struct kfunc_ref *kfunc_refs;
	int n_kfunc_refs;
	struct core_ref *core_refs;
	int n_core_refs;
	struct probe_result map_probes[40];
	int n_map_probes;
	struct probe_result prog_probes[40];
	int n_prog_probes;
	struct environment env;

	bool open_ok;
	int open_err;
	char *open_error;

	struct program_ev *programs;
	int n_programs;
	struct map_ev *maps;
	int n_maps;
	struct fixup_ev fixups[4 * MAX_LIST];
	int n_fixups;
	struct variant_ev variants[MAX_LIST];
	int n_variants;

	bool load_ok;
	int load_err;
	char *load_error;

	enum outcome attach_status;
	int attach_attempted, attach_passed, attach_failed;

	enum outcome functional_status;
	struct test_ev tests[MAX_TESTS];
	int n_tests;

	bool pass;
	long long duration_ms;
};

/* main.c / args.c */
int parse_args(int argc, char **argv, struct options *opts);

/* plan.c */
int parse_functional_plan(const char *path, struct options *opts);

/* probe.c */
void probe_kernel(struct evidence *ev);
void probe_features(struct evidence *ev);
void probe_environment(struct evidence *ev);
void env_set(struct environment *env, const char *key, const char *value);

/* mounts.c */
bool mount_find(const char *fstype, char *path, size_t size);
int mount_tracked(const char *fstype, const char *path);
void unmount_tracked(void);

/* inspect.c */
void inspect_elf(const char *path, struct evidence *ev);
int inspect_programs(struct bpf_object *obj, struct evidence *ev, const struct options *opts);
void inspect_maps(struct bpf_object *obj, struct evidence *ev, const char *libbpf_log);
void collect_helpers(const struct bpf_program *prog, struct program_ev *pe);
void analyse_map_refusals(struct bpf_object *obj, struct evidence *ev);

/* externs.c: kfunc calls and CO-RE relocations read from the ELF (per section of inspect_elf's walk) */
void scan_extern_section(Elf *elf, size_t shstrndx, Elf_Scn *scn, const GElf_Shdr *sh, const char *name, const char *path, struct evidence *ev);

/* probecache.c: kernel-only probe results shared by the validator runs of one boot */
void probe_cache_open(const char *path);
const char *probe_cache_path(void);
char *probe_cache_header(void);
const char *probe_cache_get(const char *key);
void probe_cache_put(const char *key, const char *value);
int probe_cache_save(void);
int probe_cached_int(const char *key, int (*probe)(int arg), int arg);

/* kallsyms.c */
bool kallsyms_has(const char *name, bool *readable);
int kprobe_resolves(const char *name);

/* enums.c */
void explain_refusals(struct evidence *ev);

/* rootcause.c */
void probe_root_causes(struct evidence *ev);
const char *helper_name(int id);
bool license_gpl_compatible(const char *license);
const char *core_kind_str(int kind);
bool core_kind_is_guard(int kind);

/* verifier.c */
void verifier_summary(const char *log, int *insn_idx, char **insn, char **reason);

/* prepare.c: fixups and program types applied to every opened copy of the object */
struct prepare_ctx {
	int inner_fds[MAX_LIST];
	int n_inner_fds;
};
void prepare_object(struct bpf_object *obj, const struct options *opts, struct evidence *record, struct prepare_ctx *ctx);
void prepare_release(struct prepare_ctx *ctx);
void fixup_add(struct evidence *ev, const char *kind, const char *target, const char *status, const char *detail);
const char *attach_target_override(const struct options *opts, const char *prog);

/* trial.c */
struct bpf_object *open_object(const char *path, int *err);
void trial_load_all(const struct options *opts, struct evidence *ev);
void select_variants(struct bpf_object *obj, const struct options *opts, struct evidence *ev);

/* attach.c */
struct attachments;
struct attachments *attach_all(struct bpf_object *obj, const struct options *opts, struct evidence *ev);
void detach_all(struct attachments *a);
const char *attachments_cgroup_dir(const struct attachments *a);

/* functional.c */
void run_functional_tests(const struct options *opts, struct evidence *ev, const char *cgroup_dir);
void skip_functional_tests(const struct options *opts, struct evidence *ev, const char *why);

/* report.c */
int write_report(const char *out, const struct evidence *ev, const struct options *opts);

/* opencheck.c: --open-only; 0 the object parses, 2 it does not (one line on stderr) */
int open_check(const struct options *opts);

/* liblog.c: everything libbpf prints is captured here */
void liblog_install(void);
/* Kernel-only probes run muted: what they print depends on whether the probe cache answered. */
void liblog_mute(bool mute);
size_t liblog_mark(void);
bool liblog_contains_since(size_t mark, const char *needle);
const char *liblog_text(size_t *len);

/* util.c */
/* Last max bytes of buf starting at a line, prefixed "(N lines omitted)" when cut. */
char *text_tail(const char *buf, size_t len, size_t max);
char *errstr(int err);   /* malloc'd text for a positive or negative errno (libbpf-aware) */
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int find_program(const struct evidence *ev, const char *name);

#endif
