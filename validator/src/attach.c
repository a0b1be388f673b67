/* Real attaches per program family; each attachment is torn down right away unless functional tests need it alive. */
#define _GNU_SOURCE
#include "validator.h"
#include "probe-rules.h"
#include <bpf/bpf.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CGROUP_ROOT "/sys/fs/cgroup"
#define NET_IFACE "lo"

enum family { FAM_AUTO, FAM_KPROBE, FAM_LSM, FAM_XDP, FAM_TC, FAM_TCX, FAM_CGROUP, FAM_SKIP };

struct attachment {
	int prog_idx;
	struct bpf_link *link;
	bool is_tc;
	bool tc_created_hook;     /* this attachment created clsact, so it removes it */
	struct bpf_tc_hook hook;
	struct bpf_tc_opts tc_opts;
	bool is_xdp;
	int legacy_xdp_ifindex;   /* attached with bpf_xdp_attach (netlink): detach the same way */
	int legacy_cgroup_fd;     /* attached with BPF_PROG_ATTACH: detach with BPF_PROG_DETACH */
	int legacy_prog_fd;
	enum bpf_attach_type legacy_type;
};

struct attachments {
	struct attachment *items;
	int n;
	int cgroup_fd;
	bool cgroup_made;
	char cgroup_path[300];
	char *cgroup_error;
};

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Sections libbpf auto-attaches from the name alone, given a target after the slash. */
static const char *const auto_prefixes[] = {
	"kprobe/", "kretprobe/", "ksyscall/", "kretsyscall/", "kprobe.multi/", "kretprobe.multi/",
	"kprobe.session/", "tracepoint/", "tp/", "raw_tracepoint/", "raw_tp/", "raw_tracepoint.w/", "raw_tp.w/",
	"tp_btf/", "fentry/", "fexit/", "fmod_ret/", "fentry.s/", "fexit.s/", "fmod_ret.s/",
	"uprobe/", "uretprobe/", "uprobe.s/", "uretprobe.s/", "uprobe.multi/", "uretprobe.multi/",
	"uprobe.multi.s/", "uretprobe.multi.s/", "uprobe.session/", "usdt/", "usdt.s/",
};

static enum family classify(const struct bpf_program *prog, const char **reason)
{
	const char *sec = bpf_program__section_name(prog);
	enum bpf_prog_type type = bpf_program__type(prog);
	enum bpf_attach_type eat = bpf_program__expected_attach_type(prog);

	if (starts_with(sec, "lsm/") || starts_with(sec, "lsm.s/"))
		return FAM_LSM;
	for (size_t i = 0; i < sizeof(auto_prefixes) / sizeof(auto_prefixes[0]); i++) {
		const char *target;

		if (!starts_with(sec, auto_prefixes[i]))
			continue;
		target = sec + strlen(auto_prefixes[i]);
		if (!*target) {
			*reason = "section names no attach target; the loader supplies it at runtime";
			return FAM_SKIP;
		}
		if ((starts_with(sec, "uprobe") || starts_with(sec, "uretprobe") || starts_with(sec, "usdt")) &&
		    !strchr(target, ':')) {
			*reason = "uprobe/usdt section names no binary; the loader supplies it at runtime";
			return FAM_SKIP;
		}
		return FAM_AUTO;
	}
	switch (type) {
	case BPF_PROG_TYPE_XDP:
		if (eat == BPF_XDP_DEVMAP || eat == BPF_XDP_CPUMAP) {
			*reason = "XDP devmap/cpumap programs run from a map entry the loader fills";
			return FAM_SKIP;
		}
		return FAM_XDP;
	case BPF_PROG_TYPE_SCHED_CLS:
		if (starts_with(sec, "tcx"))
			return FAM_TCX;
		if (starts_with(sec, "netkit")) {
			*reason = "netkit programs need a netkit device the loader creates";
			return FAM_SKIP;
		}
		return FAM_TC;
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_CGROUP_SOCK:
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
	case BPF_PROG_TYPE_CGROUP_SYSCTL:
	case BPF_PROG_TYPE_CGROUP_DEVICE:
	case BPF_PROG_TYPE_SOCK_OPS:
		return FAM_CGROUP;
	case BPF_PROG_TYPE_LSM:
		if (starts_with(sec, "lsm_cgroup"))
			return FAM_CGROUP;
		*reason = "LSM section names no hook";
		return FAM_SKIP;
	case BPF_PROG_TYPE_TRACING:
		*reason = starts_with(sec, "iter") ? "iterator programs run when the loader reads an iterator it creates"
			: "tracing program has no target in its section (e.g. fentry on a BPF program the loader supplies)";
		return FAM_SKIP;
	case BPF_PROG_TYPE_EXT:
		*reason = "freplace programs need a target BPF program the loader supplies";
		return FAM_SKIP;
	case BPF_PROG_TYPE_STRUCT_OPS:
		*reason = "struct_ops programs are registered through their struct_ops map";
		return FAM_SKIP;
	case BPF_PROG_TYPE_SK_MSG:
	case BPF_PROG_TYPE_SK_SKB:
		*reason = "sk_msg/sk_skb programs attach to a sockmap the loader fills";
		return FAM_SKIP;
	case BPF_PROG_TYPE_SOCKET_FILTER:
		*reason = "socket filters attach to a socket the loader owns";
		return FAM_SKIP;
	case BPF_PROG_TYPE_PERF_EVENT:
		*reason = "perf_event programs attach to a perf event the loader opens";
		return FAM_SKIP;
	case BPF_PROG_TYPE_SYSCALL:
		*reason = "syscall programs are run with BPF_PROG_RUN, not attached";
		return FAM_SKIP;
	case BPF_PROG_TYPE_NETFILTER:
		*reason = "netfilter programs need a protocol family and hook the loader supplies";
		return FAM_SKIP;
	case BPF_PROG_TYPE_SCHED_ACT:
		*reason = "tc action programs run from a filter's action list the loader builds";
		return FAM_SKIP;
	default:
		*reason = "no attach method for this program type";
		return FAM_SKIP;
	}
}

static bool cgroup2_at(const char *path)
{
	struct statfs s;

	return statfs(path, &s) == 0 && (long)s.f_type == CGROUP2_SUPER_MAGIC;
}

/* Lazily prepares the cgroup v2 directory cgroup programs attach to; returns its fd or -errno.
 * An existing cgroup2 mount is reused (hybrid hosts have it at /sys/fs/cgroup/unified); else it is mounted. */
static int cgroup_fd(struct attachments *a, struct evidence *ev)
{
	char root[256];
	int err;

	if (a->cgroup_fd >= 0)
		return a->cgroup_fd;
	if (a->cgroup_error)
		return -EIO;
	if (!cgroup2_at(CGROUP_ROOT) && !mount_find("cgroup2", root, sizeof(root))) {
		err = mount_tracked("cgroup2", CGROUP_ROOT);
		if (err) {
			a->cgroup_error = xasprintf("mount cgroup2 at " CGROUP_ROOT ": %s", strerror(-err));
			return err;
		}
		env_set(&ev->env, "cgroup2_mounted_by_validator", "yes");
	}
	if (cgroup2_at(CGROUP_ROOT))
		snprintf(root, sizeof(root), "%s", CGROUP_ROOT);
	snprintf(a->cgroup_path, sizeof(a->cgroup_path), "%s/bpfcompat", root);
	if (mkdir(a->cgroup_path, 0755) == 0)
		a->cgroup_made = true;
	else if (errno != EEXIST) {
		err = errno;
		a->cgroup_error = xasprintf("mkdir %s: %s", a->cgroup_path, strerror(err));
		return -err;
	}
	a->cgroup_fd = open(a->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->cgroup_fd < 0) {
		err = errno;
		a->cgroup_error = xasprintf("open %s: %s", a->cgroup_path, strerror(err));
		return -err;
	}
	return a->cgroup_fd;
}

static void release(struct attachment *at)
{
	if (at->link) {
		bpf_link__destroy(at->link);
		at->link = NULL;
	}
	if (at->legacy_xdp_ifindex) {
		bpf_xdp_detach(at->legacy_xdp_ifindex, 0, NULL);
		at->legacy_xdp_ifindex = 0;
	}
	if (at->legacy_cgroup_fd > 0) {
		bpf_prog_detach2(at->legacy_prog_fd, at->legacy_cgroup_fd, at->legacy_type);
		at->legacy_cgroup_fd = 0;
	}
	if (at->is_tc) {
		at->tc_opts.flags = at->tc_opts.prog_fd = at->tc_opts.prog_id = 0;
		bpf_tc_detach(&at->hook, &at->tc_opts);
		if (at->tc_created_hook) {
			at->hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&at->hook);
		}
		at->is_tc = false;
	}
}

static int attach_tc(const struct bpf_program *prog, int ifindex, bool egress, struct attachment *at)
{
	int err;

	memset(&at->hook, 0, sizeof(at->hook));
	at->hook.sz = sizeof(at->hook);
	at->hook.ifindex = ifindex;
	at->hook.attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
	err = bpf_tc_hook_create(&at->hook);
	if (err && err != -EEXIST)
		return err;
	at->tc_created_hook = err == 0;
	memset(&at->tc_opts, 0, sizeof(at->tc_opts));
	at->tc_opts.sz = sizeof(at->tc_opts);
	at->tc_opts.prog_fd = bpf_program__fd(prog);
	err = bpf_tc_attach(&at->hook, &at->tc_opts);
	if (err) {
		if (at->tc_created_hook) {
			at->hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&at->hook);
		}
		return err;
	}
	at->is_tc = true;
	return 0;
}

static struct bpf_link *link_or_err(struct bpf_link *link, int *err)
{
	*err = link ? 0 : (errno ? -errno : -EINVAL);
	return link;
}

/* XDP the way loaders for kernels before 5.9 attach it: bpf_xdp_attach() over netlink (generic mode on the guest's
 * interface). Returns 0 or -errno. */
static int attach_xdp_legacy(const struct bpf_program *prog, int ifindex, struct attachment *at)
{
	int err = bpf_xdp_attach(ifindex, bpf_program__fd(prog), 0, NULL);

	if (!err)
		at->legacy_xdp_ifindex = ifindex;
	return err;
}

/* cgroup programs the way loaders for kernels before 5.7 attach them: BPF_PROG_ATTACH with BPF_F_ALLOW_MULTI
 * (4.15+), and without flags on kernels older than that. Returns 0 or -errno. */
static int attach_cgroup_legacy(const struct bpf_program *prog, int cgroup, struct attachment *at)
{
	enum bpf_attach_type type = bpf_program__expected_attach_type(prog);
	int fd = bpf_program__fd(prog);
	int err = bpf_prog_attach(fd, cgroup, type, BPF_F_ALLOW_MULTI);

	if (err == -EINVAL)
		err = bpf_prog_attach(fd, cgroup, type, 0);
	if (!err) {
		at->legacy_cgroup_fd = cgroup;
		at->legacy_prog_fd = fd;
		at->legacy_type = type;
	}
	return err;
}

typedef struct bpf_link *(*link_attach_fn)(const struct bpf_program *prog, int where);
typedef int (*legacy_attach_fn)(const struct bpf_program *prog, int where, struct attachment *at);

/* Attaches with a bpf_link, and where the kernel has no link for the type (its BPF_LINK_CREATE answers as for an
 * unknown type, kernel_refuses_unknown) with the call loaders for that kernel use; --attach-api legacy uses only
 * that call. attach.reason says which call attached. Returns 0 or -errno. */
static int attach_link_or_legacy(const struct bpf_program *prog, int where, struct attachment *at, const struct options *opts,
				 struct program_ev *pe, link_attach_fn link, legacy_attach_fn legacy, const char *how, const char *links_since)
{
	int err;
	char *e;

	if (opts->attach_api == ATTACH_API_LEGACY) {
		err = legacy(prog, where, at);
		if (!err) {
			free(pe->attach.reason);
			pe->attach.reason = xasprintf("attached with %s (--attach-api legacy)", how);
		}
		return err;
	}
	at->link = link_or_err(link(prog, where), &err);
	if (!err || !kernel_refuses_unknown(-err) || legacy(prog, where, at))
		return err;
	e = errstr(err);
	free(pe->attach.reason);
	pe->attach.reason = xasprintf("attached with %s, as loaders do on kernels without %s (bpf_link_create: %s)", how, links_since, e);
	free(e);
	return 0;
}

static void set_skipped(struct program_ev *pe, const char *reason)
{
	pe->attach.status = OUT_SKIPPED;
	free(pe->attach.reason);
	pe->attach.reason = xstrdup(reason);
}

static bool explicitly_required(const struct options *opts, const char *name)
{
	for (int i = 0; i < opts->n_require_attach; i++)
		if (strcmp(opts->require_attach[i], name) == 0)
			return true;
	return false;
}

/* Detaches the XDP program already on the interface: it holds one XDP program at a time. */
static void free_xdp_slot(struct attachments *a, struct evidence *ev)
{
	for (int i = 0; i < a->n; i++) {
		struct attachment *at = &a->items[i];
		struct program_ev *prev;

		if (!at->is_xdp || (!at->link && !at->legacy_xdp_ifindex))
			continue;
		release(at);
		prev = &ev->programs[at->prog_idx];
		free(prev->attach.reason);
		prev->attach.reason = xstrdup("detached before functional tests: " NET_IFACE " holds one XDP program at a time");
	}
}

static void attach_one(struct bpf_program *prog, int idx, struct attachments *a, const struct options *opts,
		       struct evidence *ev, bool keep)
{
	struct program_ev *pe = &ev->programs[idx];
	const char *reason = NULL, *sec = pe->section, *slash = strchr(sec, '/');
	enum family fam = classify(prog, &reason);
	struct attachment *at = &a->items[a->n];
	int ifindex = 0, err = 0, fd;

	memset(at, 0, sizeof(*at));
	at->prog_idx = idx;
	if (pe->target_override) {
		/* the manifest names the target its loader sets: kprobes take it now, BTF targets were set before load */
		enum bpf_prog_type type = bpf_program__type(prog);

		if (type == BPF_PROG_TYPE_KPROBE)
			fam = FAM_KPROBE;
		else if (type == BPF_PROG_TYPE_TRACING || type == BPF_PROG_TYPE_EXT)
			fam = FAM_AUTO;
		else if (type == BPF_PROG_TYPE_LSM && fam == FAM_SKIP && !starts_with(sec, "lsm_cgroup"))
			fam = FAM_LSM;
	}
	if (fam == FAM_LSM && !ev->env.bpf_lsm_active) {
		fam = FAM_SKIP;
		reason = "BPF LSM not active";
	}
	if (fam == FAM_SKIP) {
		set_skipped(pe, reason);
		if (explicitly_required(opts, pe->name)) {
			/* the user named this program as one that must attach: not being able to is a failure */
			pe->attach.status = OUT_FAIL;
			free(pe->attach.error);
			pe->attach.error = xasprintf("required attach not possible: %s", reason);
			ev->attach_attempted++;
			ev->attach_failed++;
		}
		return;
	}
	if (fam == FAM_XDP || fam == FAM_TC || fam == FAM_TCX) {
		ifindex = (int)if_nametoindex(NET_IFACE);
		if (!ifindex)
			err = -errno;
		free(pe->attach.target);
		pe->attach.target = xstrdup(NET_IFACE);
	}
	switch (fam) {
	case FAM_AUTO:
	case FAM_LSM:
		pe->attach.method = fam == FAM_LSM ? "lsm" : "auto";
		free(pe->attach.target);
		pe->attach.target = xstrdup(pe->target_override ? pe->target_override : slash ? slash + 1 : "");
		at->link = link_or_err(bpf_program__attach(prog), &err);
		break;
	case FAM_KPROBE:
		pe->attach.method = "kprobe";
		free(pe->attach.target);
		pe->attach.target = xstrdup(pe->target_override);
		at->link = link_or_err(bpf_program__attach_kprobe(prog, starts_with(sec, "kretprobe"), pe->target_override), &err);
		break;
	case FAM_XDP:
		pe->attach.method = "xdp";
		if (!err) {
			if (keep)
				free_xdp_slot(a, ev);
			at->is_xdp = true;
			err = attach_link_or_legacy(prog, ifindex, at, opts, pe, bpf_program__attach_xdp, attach_xdp_legacy,
						    "bpf_xdp_attach (netlink)", "XDP links (5.9+)");
		}
		break;
	case FAM_TC:
		pe->attach.method = "tc";
		if (!err)
			err = attach_tc(prog, ifindex, strstr(sec, "egress") != NULL, at);
		break;
	case FAM_TCX:
		pe->attach.method = "tcx";
		if (!err)
			at->link = link_or_err(bpf_program__attach_tcx(prog, ifindex, NULL), &err);
		break;
	case FAM_CGROUP:
		pe->attach.method = "cgroup";
		fd = cgroup_fd(a, ev);
		free(pe->attach.target);
		pe->attach.target = xstrdup(a->cgroup_path);
		if (fd < 0)
			err = fd;
		else
			err = attach_link_or_legacy(prog, fd, at, opts, pe, bpf_program__attach_cgroup, attach_cgroup_legacy,
						    "BPF_PROG_ATTACH", "cgroup links (5.7+)");
		break;
	case FAM_SKIP:
		break;
	}
	ev->attach_attempted++;
	if (!err) {
		pe->attach.status = OUT_PASS;
		ev->attach_passed++;
		if (keep)
			a->n++;
		else
			release(at);
		return;
	}
	pe->attach.status = pe->required ? OUT_FAIL : OUT_WARN;
	pe->attach.err = -err;
	free(pe->attach.error);
	pe->attach.error = fam == FAM_CGROUP && a->cgroup_error ? xstrdup(a->cgroup_error) : errstr(err);
	ev->attach_failed++;
}

struct attachments *attach_all(struct bpf_object *obj, const struct options *opts, struct evidence *ev)
{
	struct attachments *a = calloc(1, sizeof(*a));
	struct bpf_program *prog;
	bool any_required_fail = false, any_fail = false;
	/* links stay alive only when functional tests will exercise them */
	bool keep = opts->n_tests > 0;

	if (!a)
		return NULL;
	a->cgroup_fd = -1;
	a->items = calloc((size_t)(ev->n_programs ? ev->n_programs : 1), sizeof(*a->items));
	if (!a->items) {
		free(a);
		return NULL;
	}
	bpf_object__for_each_program(prog, obj) {
		int idx = find_program(ev, bpf_program__name(prog));

		if (idx < 0)
			continue;
		if (!ev->programs[idx].autoload) {
			set_skipped(&ev->programs[idx], "program not loaded (autoload disabled or another variant chosen)");
			continue;
		}
		attach_one(prog, idx, a, opts, ev, keep);
	}
	for (int i = 0; i < ev->n_programs; i++) {
		any_required_fail |= ev->programs[i].attach.status == OUT_FAIL;
		any_fail |= ev->programs[i].attach.status == OUT_WARN;
	}
	if (ev->attach_attempted == 0)
		ev->attach_status = OUT_SKIPPED;
	else if (any_required_fail)
		ev->attach_status = OUT_FAIL;
	else if (any_fail)
		ev->attach_status = OUT_WARN;
	else
		ev->attach_status = OUT_PASS;
	return a;
}

const char *attachments_cgroup_dir(const struct attachments *a)
{
	return a && a->cgroup_fd >= 0 ? a->cgroup_path : NULL;
}

void detach_all(struct attachments *a)
{
	if (!a)
		return;
	/* reverse order: a tc attachment that created clsact is removed after the filters added on top of it */
	for (int i = a->n - 1; i >= 0; i--)
		release(&a->items[i]);
	if (a->cgroup_fd >= 0)
		close(a->cgroup_fd);
	if (a->cgroup_made)
		rmdir(a->cgroup_path);
	free(a->cgroup_error);
	free(a->items);
	free(a);
}
