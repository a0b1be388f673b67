/* What the validator (probe.c) and the host probe (tools/host-probe.c) share, so the host profile and the
 * validator's evidence always agree: the map and program types they probe, and how a probe's answer is read. */
#ifndef BPFCOMPAT_PROBE_RULES_H
#define BPFCOMPAT_PROBE_RULES_H

#include <errno.h>
#include <stdbool.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

/* errno → probe status. Only the kernel's own "no such type" answers say a feature is missing (kernel_answer turns
 * those into 0); a refusal for another reason (ENOMEM, E2BIG, EBUSY, a permission) says nothing about support:
 * inconclusive, with the errno kept as evidence. */
static inline const char *status_for_errno(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return "permission_denied";
	case EOPNOTSUPP:
	case ENOSYS:
		return "unsupported";
	default:
		return "inconclusive";
	}
}

/* libbpf's type probes answer 0 for any refusal. The kernel refuses an unknown map or program type with EINVAL
 * (and a type it has but cannot offer here with EOPNOTSUPP/ENOTSUPP); any other errno is returned as -errno so
 * that it is recorded as inconclusive, never as "unsupported". errno is read before anything else can touch it
 * (set it to 0 before the probe). */
/* The kernel's own answer to something it does not know (a map or program type, an attach type for links):
 * EINVAL, or EOPNOTSUPP/ENOTSUPP for what it has but cannot offer here. e is a positive errno. */
static inline bool kernel_refuses_unknown(int e)
{
	return e == EINVAL || e == EOPNOTSUPP || e == 524 /* ENOTSUPP */;
}

static inline int kernel_answer(int ret)
{
	int e = errno;

	if (ret != 0)
		return ret;
	return e == 0 || kernel_refuses_unknown(e) ? 0 : -e;
}

/* A probe's 1, 0 or -errno as a status. */
static inline const char *probe_status(int ret)
{
	return ret == 1 ? "supported" : ret == 0 ? "unsupported" : status_for_errno(-ret);
}

/* libbpf's tracing/LSM probes match a verifier message that newer kernels word differently; a real fentry/LSM load
 * against a kernel BTF function settles it. Returns 1, 0 or -errno like libbpf's probes. */
static inline int probe_btf_prog(enum bpf_prog_type type, enum bpf_attach_type eat, const char *func)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int id, fd, err;

	if (!vmlinux)
		return -errno;
	id = btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC);
	btf__free(vmlinux);
	if (id <= 0)
		return -ENOENT;
	{
		LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = eat, .attach_btf_id = (__u32)id);

		fd = bpf_prog_load(type, NULL, "GPL", insns, 2, &o);
	}
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	err = errno;
	return kernel_refuses_unknown(err) ? 0 : -err;
}

/* A program type's 1, 0 or -errno: libbpf's probe as the kernel answered it, and for tracing and LSM programs a
 * real load when libbpf's probe says no. */
static inline int probe_prog_type(enum bpf_prog_type t)
{
	int ret;

	errno = 0;
	ret = kernel_answer(libbpf_probe_bpf_prog_type(t, NULL));
	if (ret == 1)
		return ret;
	if (t == BPF_PROG_TYPE_TRACING)
		return probe_btf_prog(t, BPF_TRACE_FENTRY, "bpf_fentry_test1");
	if (t == BPF_PROG_TYPE_LSM)
		return probe_btf_prog(t, BPF_LSM_MAC, "bpf_lsm_file_open");
	return ret;
}

static inline int probe_map_type(int t)
{
	errno = 0;
	return kernel_answer(libbpf_probe_bpf_map_type((enum bpf_map_type)t, NULL));
}

static const enum bpf_map_type probed_maps[] = {
	BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH,
	BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH,
	BPF_MAP_TYPE_LPM_TRIE, BPF_MAP_TYPE_STACK_TRACE, BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS,
	BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_SK_STORAGE, BPF_MAP_TYPE_TASK_STORAGE, BPF_MAP_TYPE_INODE_STORAGE,
	BPF_MAP_TYPE_CGRP_STORAGE, BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_USER_RINGBUF, BPF_MAP_TYPE_ARENA,
	BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_XSKMAP,
	BPF_MAP_TYPE_SOCKMAP,
};

static const enum bpf_prog_type probed_progs[] = {
	BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_TRACING,
	BPF_PROG_TYPE_XDP, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_CGROUP_SKB,
	BPF_PROG_TYPE_CGROUP_SOCK, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_PROG_TYPE_SOCK_OPS, BPF_PROG_TYPE_LSM,
	BPF_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_NETFILTER, BPF_PROG_TYPE_STRUCT_OPS, BPF_PROG_TYPE_PERF_EVENT,
	BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_SK_MSG, BPF_PROG_TYPE_SK_SKB, BPF_PROG_TYPE_EXT,
};

#endif
