/* Is a symbol in /proc/kallsyms? Under TCG the kernel takes about a second to format that file, so kprobe targets
 * ask the kernel first (kprobe_resolves below) and read it only when that cannot tell. With a probe cache, the first
 * run of a boot keeps the symbol names in a file beside the cache ("\nname\nname\n…"), keyed like the cache plus the
 * loaded module list (module symbols come and go), and later runs search that copy. */
#define _GNU_SOURCE
#include "validator.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct names {
	char *buf;
	size_t len, cap;
};

static void names_add(struct names *n, const char *s, size_t len)
{
	if (n->len + len + 2 > n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 1 << 20;
		char *b;

		while (cap < n->len + len + 2)
			cap *= 2;
		b = realloc(n->buf, cap);
		if (!b)
			abort();
		n->buf = b;
		n->cap = cap;
	}
	memcpy(n->buf + n->len, s, len);
	n->len += len;
	n->buf[n->len++] = '\n';
	n->buf[n->len] = '\0';
}

/* Names of loaded modules, hashed (FNV-1a): the cached copy is valid only for this set. */
static uint64_t modules_fingerprint(void)
{
	FILE *f = fopen("/proc/modules", "r");
	char line[512];
	uint64_t h = 1469598103934665603ULL;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		for (const char *p = line; *p && *p != ' '; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ '\n') * 1099511628211ULL;
	}
	fclose(f);
	return h;
}

/* The name in a /proc/kallsyms line, "addr type name[\tmodule]\n"; *len 0 when the line has none. Parsed by
 * hand: sscanf over ~190k lines took most of a second under TCG, as long as the kernel takes to format them. */
static const char *symbol_of(const char *line, size_t *len)
{
	const char *p = strchr(line, ' ');

	*len = 0;
	if (!p || !(p = strchr(p + 1, ' ')))
		return NULL;
	p++;
	*len = strcspn(p, " \t\n");
	return p;
}

/* Reads /proc/kallsyms: every name into `all` when given, else stops at `name`. */
static bool scan_proc(const char *name, struct names *all, bool *readable)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	size_t name_len = strlen(name);
	char line[512];
	bool found = false;

	*readable = f != NULL;
	if (!f)
		return false;
	/* one read per 256 KiB instead of per 4 KiB */
	setvbuf(f, NULL, _IOFBF, 256 * 1024);
	while ((all || !found) && fgets(line, sizeof(line), f)) {
		size_t len;
		const char *sym = symbol_of(line, &len);

		if (len == 0 || len > 255)
			continue;
		if (len == name_len && memcmp(sym, name, len) == 0)
			found = true;
		if (all)
			names_add(all, sym, len);
	}
	fclose(f);
	return found;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size + 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[size] = '\0';
			*len = (size_t)size;
		}
	}
	fclose(f);
	return buf;
}

static bool names_have(const char *names, size_t len, const char *name)
{
	char *needle = xasprintf("\n%s\n", name);
	bool found = memmem(names, len, needle, strlen(needle)) != NULL;

	free(needle);
	return found;
}

static void write_copy(const char *path, const char *header, const struct names *all)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");

	if (f) {
		bool ok = fprintf(f, "%s\n", header) > 0 && fwrite(all->buf, 1, all->len, f) == all->len;

		if (fclose(f) != 0 || !ok || rename(tmp, path) != 0)
			unlink(tmp);
	}
	free(tmp);
}

bool kallsyms_has(const char *name, bool *readable)
{
	const char *cache = probe_cache_path();
	char *header, *path, *data;
	struct names all = { 0 };
	size_t len = 0;
	bool found;

	if (!cache)
		return scan_proc(name, NULL, readable);
	header = probe_cache_header();
	if (!header)
		return scan_proc(name, NULL, readable);
	{
		char *h = xasprintf("%s %016llx", header, (unsigned long long)modules_fingerprint());

		free(header);
		header = h;
	}
	path = xasprintf("%s.ksyms", cache);
	data = read_file(path, &len);
	if (data) {
		size_t hl = strlen(header);

		/* header line, then "\nname\n…": the header's own newline starts the list */
		if (len > hl && strncmp(data, header, hl) == 0 && data[hl] == '\n') {
			*readable = true;
			found = names_have(data + hl, len - hl, name);
			free(data);
			free(path);
			free(header);
			return found;
		}
		free(data);
	}
	found = scan_proc(name, &all, readable);
	if (*readable)
		write_copy(path, header, &all);
	free(all.buf);
	free(path);
	free(header);
	return found;
}

/* Asks the kernel whether a kprobe on `name` would find its symbol: a kprobe perf event (the PMU libbpf attaches
 * kprobes through), opened disabled and closed at once. The kernel resolves the name itself instead of formatting
 * all of /proc/kallsyms (over a second under TCG). 1 present, 0 missing, -1 not known this way (no kprobe PMU,
 * or an error that is not about the name, e.g. a function kprobes refuse): the caller reads kallsyms then. */
int kprobe_resolves(const char *name)
{
	FILE *f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");
	struct perf_event_attr attr = { 0 };
	int type = -1, fd;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &type) != 1)
		type = -1;
	fclose(f);
	if (type < 0)
		return -1;
	attr.size = sizeof(attr);
	attr.type = (__u32)type;
	attr.config1 = (__u64)(uintptr_t)name; /* kprobe_func */
	attr.config2 = 0;                      /* probe_offset */
	attr.disabled = 1;
	fd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (errno == ENOENT)
		return 0;
	if (errno == EADDRNOTAVAIL) /* several symbols of that name: present, ambiguous for a kprobe */
		return 1;
	return -1;
}
