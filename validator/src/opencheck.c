/* --open-only: parse the object as libbpf would before any kernel sees it (ELF, sections, relocations, BTF),
 * so a malformed file is refused on the host instead of earning a verdict from a kernel. */
#define _GNU_SOURCE
#include "validator.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

/* The last warning libbpf printed: it names what it could not parse. */
static char *last_libbpf_line(void)
{
	size_t len;
	const char *log = liblog_text(&len);
	const char *end = log + len, *start;

	while (end > log && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	start = end;
	while (start > log && start[-1] != '\n')
		start--;
	if (start == end)
		return NULL;
	return strndup(start, (size_t)(end - start));
}

static int refuse(const char *path, const char *what, int err)
{
	char *why = errstr(err), *line = last_libbpf_line();

	if (line)
		fprintf(stderr, "bpfcompat-validator: %s: %s: %s (libbpf: %s)\n", path, what, why,
			strncmp(line, "libbpf: ", 8) == 0 ? line + 8 : line);
	else
		fprintf(stderr, "bpfcompat-validator: %s: %s: %s\n", path, what, why);
	free(why);
	free(line);
	return 2;
}

int open_check(const struct options *opts)
{
	struct bpf_object *obj;
	struct btf_ext *ext = NULL;
	struct btf *btf;
	int err;

	obj = open_object(opts->artifact, &err);
	if (!obj)
		return refuse(opts->artifact, "libbpf cannot open this BPF object", err);
	bpf_object__close(obj);
	/* libbpf's open ignores a corrupt .BTF the object does not need; a kernel would then judge other bytes */
	btf = btf__parse_elf(opts->artifact, &ext);
	err = libbpf_get_error(btf);
	if (err && err != -ENODATA && err != -ENOENT)
		return refuse(opts->artifact, "its .BTF/.BTF.ext sections do not parse", err);
	btf__free(btf);
	btf_ext__free(ext);
	return 0;
}
