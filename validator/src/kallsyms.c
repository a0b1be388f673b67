/* Is a symbol in /proc/kallsyms? Under TCG the kernel takes over a second to format that file, and kprobe targets
 * are looked up in it. With a probe cache, the first run of a boot keeps the symbol names in a file beside the cache
 * ("\nname\nname\n…"), keyed like the cache plus the loaded module list (module symbols come and go), and later
 * runs search that copy. */
#define _GNU_SOURCE
#include "validator.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Reads /proc/kallsyms: every name into `all` when given, else stops at `name`. */
static bool scan_proc(const char *name, struct names *all, bool *readable)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512];
	bool found = false;

	*readable = f != NULL;
	if (!f)
		return false;
	while ((all || !found) && fgets(line, sizeof(line), f)) {
		char sym[256];

		/* "addr type name [module]" */
		if (sscanf(line, "%*s %*s %255s", sym) == 1) {
			if (strcmp(sym, name) == 0)
				found = true;
			if (all)
				names_add(all, sym, strlen(sym));
		}
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
