/* Per-boot probe cache (--probe-cache PATH): kernel-only facts (feature probes, helper and attach-type probes, vmlinux
 * BTF lookups) are the same for every validator run in one boot, and under TCG each run re-probing them costs most of
 * its time. The first run records them in a file on the guest's tmpfs; later runs of the same boot read them.
 * The file is keyed to the running kernel (release + boot id) and validator, and replaced atomically. Without the flag
 * (a standalone run) nothing is read or written and every fact is probed. */
#define _GNU_SOURCE
#include "validator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define CACHE_MAGIC "bpfcompat-probe-cache 1"

struct cache_entry {
	char *key;
	char *value;
};

static struct {
	char *path;        /* NULL: disabled */
	char *header;      /* first line the file must have to be trusted */
	struct cache_entry *entries;
	int n, cap;
	bool dirty;
} pc;

/* The boot id changes on every boot, so a cache can never outlive the kernel instance it describes. */
char *probe_cache_header(void)
{
	struct utsname u;
	char boot_id[64] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	if (f) {
		if (!fgets(boot_id, sizeof(boot_id), f))
			boot_id[0] = '\0';
		fclose(f);
	}
	boot_id[strcspn(boot_id, "\n")] = '\0';
	if (!boot_id[0] || uname(&u) != 0)
		return NULL;
	return xasprintf("%s %s %s %s %s", CACHE_MAGIC, u.release, boot_id, VALIDATOR_VERSION, LIBBPF_PINNED_VERSION);
}

static void add_entry(const char *key, const char *value)
{
	if (pc.n == pc.cap) {
		int cap = pc.cap ? pc.cap * 2 : 64;
		struct cache_entry *e = realloc(pc.entries, (size_t)cap * sizeof(*e));

		if (!e)
			return;
		pc.entries = e;
		pc.cap = cap;
	}
	pc.entries[pc.n++] = (struct cache_entry){ xstrdup(key), xstrdup(value) };
}

void probe_cache_open(const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;

	if (!path || !*path)
		return;
	pc.header = probe_cache_header();
	if (!pc.header)
		return; /* no boot id: nothing to key the cache to, so no cache */
	pc.path = xstrdup(path);
	f = fopen(path, "r");
	if (!f)
		return;
	len = getline(&line, &cap, f);
	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > 0 && strcmp(line, pc.header) == 0) {
		while ((len = getline(&line, &cap, f)) > 0) {
			char *tab = strchr(line, '\t');

			if (line[len - 1] != '\n' || !tab)
				break; /* a torn line cannot happen with rename, but never trust half an entry */
			line[len - 1] = '\0';
			*tab = '\0';
			add_entry(line, tab + 1);
		}
	}
	free(line);
	fclose(f);
}

const char *probe_cache_get(const char *key)
{
	if (!pc.path)
		return NULL;
	for (int i = 0; i < pc.n; i++)
		if (strcmp(pc.entries[i].key, key) == 0)
			return pc.entries[i].value;
	return NULL;
}

void probe_cache_put(const char *key, const char *value)
{
	if (!pc.path || strpbrk(key, "\t\n") || strchr(value, '\n') || probe_cache_get(key))
		return;
	add_entry(key, value);
	pc.dirty = true;
}

/* Write to a temporary file beside the cache, then rename: a reader sees the old file or the new one. */
int probe_cache_save(void)
{
	char *tmp;
	FILE *f;
	int err = 0;

	if (!pc.path || !pc.dirty)
		return 0;
	tmp = xasprintf("%s.tmp.%d", pc.path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		free(tmp);
		return -1;
	}
	fprintf(f, "%s\n", pc.header);
	for (int i = 0; i < pc.n; i++)
		fprintf(f, "%s\t%s\n", pc.entries[i].key, pc.entries[i].value);
	if (fclose(f) != 0 || rename(tmp, pc.path) != 0) {
		unlink(tmp);
		err = -1;
	}
	free(tmp);
	pc.dirty = false;
	return err;
}

const char *probe_cache_path(void)
{
	return pc.path;
}

/* Memoised int-valued probe (libbpf's 1 / 0 / -errno convention). */
int probe_cached_int(const char *key, int (*probe)(int arg), int arg)
{
	const char *v = probe_cache_get(key);
	int ret;

	if (v)
		return atoi(v);
	ret = probe(arg);
	{
		char buf[32];

		snprintf(buf, sizeof(buf), "%d", ret);
		probe_cache_put(key, buf);
	}
	return ret;
}
