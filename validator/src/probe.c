/* Kernel facts and feature probes: features are detected by trying them, never by version numbers. */
#define _GNU_SOURCE
#include "validator.h"
#include "probe-rules.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif
#ifndef SECURITYFS_MAGIC
#define SECURITYFS_MAGIC 0x73636673
#endif

void probe_kernel(struct evidence *ev)
{
	struct utsname u;
	struct stat st;

	if (uname(&u) == 0) {
		snprintf(ev->kernel_release, sizeof(ev->kernel_release), "%s", u.release);
		snprintf(ev->kernel_version, sizeof(ev->kernel_version), "%s", u.version);
		snprintf(ev->machine, sizeof(ev->machine), "%s", u.machine);
	}
	if (stat("/sys/kernel/btf/vmlinux", &st) == 0) {
		ev->kernel_btf_available = true;
		ev->kernel_btf_size = (long long)st.st_size;
	}
}

static void record_probe(struct probe_result *r, const char *name, int ret)
{
	r->name = name;
	r->err = ret < 0 ? -ret : 0;
	r->status = probe_status(ret);
}

static int probe_prog_type_int(int t)
{
	return probe_prog_type((enum bpf_prog_type)t);
}

/* Kernel-only: answered by the per-boot probe cache when there is one. */
void probe_features(struct evidence *ev)
{
	char key[96];

	liblog_mute(true);
	for (size_t i = 0; i < sizeof(probed_maps) / sizeof(probed_maps[0]) && ev->n_map_probes < 40; i++) {
		const char *name = libbpf_bpf_map_type_str(probed_maps[i]);

		if (!name)
			continue;
		snprintf(key, sizeof(key), "map:%s", name);
		record_probe(&ev->map_probes[ev->n_map_probes++], name, probe_cached_int(key, probe_map_type, (int)probed_maps[i]));
	}
	for (size_t i = 0; i < sizeof(probed_progs) / sizeof(probed_progs[0]) && ev->n_prog_probes < 40; i++) {
		const char *name = libbpf_bpf_prog_type_str(probed_progs[i]);

		if (!name)
			continue;
		snprintf(key, sizeof(key), "prog:%s", name);
		record_probe(&ev->prog_probes[ev->n_prog_probes++], name, probe_cached_int(key, probe_prog_type_int, (int)probed_progs[i]));
	}
	liblog_mute(false);
}

void env_set(struct environment *env, const char *key, const char *value)
{
	for (int i = 0; i < env->n; i++) {
		if (strcmp(env->facts[i].key, key) == 0) {
			free(env->facts[i].value);
			env->facts[i].value = xstrdup(value);
			return;
		}
	}
	if (env->n >= (int)(sizeof(env->facts) / sizeof(env->facts[0])))
		return;
	env->facts[env->n].key = xstrdup(key);
	env->facts[env->n].value = xstrdup(value);
	env->n++;
}

/* First line of a small sysfs/procfs file, or NULL. */
static char *read_first_line(const char *path)
{
	char buf[512];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return xstrdup("");
	}
	fclose(f);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return xstrdup(buf);
}

static bool fs_is(const char *path, long magic)
{
	struct statfs s;

	return statfs(path, &s) == 0 && (long)s.f_type == magic;
}

/* Mounts a pseudo-filesystem the validator itself needs (attach reads tracefs, LSM facts need securityfs). */
static void ensure_mount(struct environment *env, const char *fstype, const char *path, long magic, const char *fact)
{
	char existing[256];
	int err;

	if (fs_is(path, magic) || mount_find(fstype, existing, sizeof(existing)))
		return;
	err = mount_tracked(fstype, path);
	if (err == 0) {
		env_set(env, fact, "yes");
	} else {
		char *e = xasprintf("failed: %s", strerror(-err));

		env_set(env, fact, e);
		free(e);
	}
}

static void record_file(struct environment *env, const char *key, const char *path)
{
	char *v = read_first_line(path);

	env_set(env, key, v ? v : "unavailable");
	free(v);
}

void probe_environment(struct evidence *ev)
{
	struct environment *env = &ev->env;
	const char *tracefs = NULL;
	char *lsm;

	/* facts as the system presented them, before the validator mounts anything */
	env_set(env, "cgroup2", fs_is("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC) ? "mounted" : "not_mounted");
	env_set(env, "securityfs", fs_is("/sys/kernel/security", SECURITYFS_MAGIC) ? "mounted" : "not_mounted");
	env_set(env, "tracefs_mounted", fs_is("/sys/kernel/tracing", TRACEFS_MAGIC) ? "yes" : "no");

	ensure_mount(env, "tracefs", "/sys/kernel/tracing", TRACEFS_MAGIC, "tracefs_mounted_by_validator");
	ensure_mount(env, "securityfs", "/sys/kernel/security", SECURITYFS_MAGIC, "securityfs_mounted_by_validator");

	if (access("/sys/kernel/tracing/events", F_OK) == 0)
		tracefs = "/sys/kernel/tracing";
	else if (access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		tracefs = "/sys/kernel/debug/tracing";
	env_set(env, "tracefs", tracefs ? tracefs : "absent");
	if (tracefs) {
		char *p = xasprintf("%s/kprobe_events", tracefs);

		env_set(env, "kprobe_events", access(p, F_OK) == 0 ? "present" : "absent");
		free(p);
	}

	lsm = read_first_line("/sys/kernel/security/lsm");
	env_set(env, "lsm", lsm ? lsm : "unavailable");
	if (lsm) {
		/* the list is comma separated: "bpf" must be a whole entry */
		char *copy = xstrdup(lsm), *save = NULL;

		for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, "bpf") == 0)
				env->bpf_lsm_active = true;
		free(copy);
		free(lsm);
	}
	env_set(env, "bpf_lsm_active", env->bpf_lsm_active ? "yes" : "no");
	record_file(env, "lockdown", "/sys/kernel/security/lockdown");
	record_file(env, "unprivileged_bpf_disabled", "/proc/sys/kernel/unprivileged_bpf_disabled");
	record_file(env, "bpf_jit_enable", "/proc/sys/net/core/bpf_jit_enable");
	{
		int cpus = libbpf_num_possible_cpus();
		char *v = cpus > 0 ? xasprintf("%d", cpus) : xasprintf("error: %s", strerror(-cpus));

		env_set(env, "possible_cpus", v);
		free(v);
	}
}
