#define _GNU_SOURCE
#include "validator.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xalloc_check(void *p)
{
	if (!p) {
		fputs("bpfcompat-validator: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *xstrdup(const char *s)
{
	return xalloc_check(strdup(s ? s : ""));
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return xalloc_check(s);
}

/* libbpf_strerror knows libbpf's own error codes (LIBBPF_ERRNO__*) as well as errno values. */
char *errstr(int err)
{
	char buf[256];

	if (err < 0)
		err = -err;
	if (libbpf_strerror(err, buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "%s", strerror(err));
	return xstrdup(buf);
}

const char *outcome_str(enum outcome o)
{
	switch (o) {
	case OUT_PASS: return "pass";
	case OUT_FAIL: return "fail";
	case OUT_WARN: return "warn";
	case OUT_SKIPPED: return "skipped";
	}
	return "skipped";
}

int find_program(const struct evidence *ev, const char *name)
{
	for (int i = 0; i < ev->n_programs; i++)
		if (strcmp(ev->programs[i].name, name) == 0)
			return i;
	return -1;
}

char *text_tail(const char *buf, size_t len, size_t max)
{
	size_t start, omitted = 0;
	char *prefix, *out;

	if (len <= max) {
		out = xalloc_check(malloc(len + 1));
		memcpy(out, buf, len);
		out[len] = '\0';
		return out;
	}
	start = len - max;
	/* begin at a whole line so the tail reads cleanly */
	while (start < len && buf[start - 1] != '\n')
		start++;
	if (start == len)
		start = len - max;
	for (size_t i = 0; i < start; i++)
		if (buf[i] == '\n')
			omitted++;
	prefix = xasprintf("(%zu lines omitted)\n", omitted);
	out = xalloc_check(malloc(strlen(prefix) + (len - start) + 1));
	strcpy(out, prefix);
	memcpy(out + strlen(prefix), buf + start, len - start);
	out[strlen(prefix) + (len - start)] = '\0';
	free(prefix);
	return out;
}
