/* Functional plan (functional_plan.v0.1): BEGIN/END blocks of key=value lines, one test per block. */
#define _GNU_SOURCE
#include "validator.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int plan_error(const char *path, int line, const char *msg, const char *detail)
{
	fprintf(stderr, "bpfcompat-validator: --functional-plan %s line %d: %s%s%s\n", path, line, msg,
		detail ? ": " : "", detail ? detail : "");
	return -1;
}

static int parse_int_field(const char *v, int min, int max, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max)
		return -1;
	*out = (int)n;
	return 0;
}

static int set_field(struct functional_test *t, const char *key, const char *v)
{
	if (!strcmp(key, "name"))
		t->name = xstrdup(v);
	else if (!strcmp(key, "command"))
		t->command = xstrdup(v);
	else if (!strcmp(key, "expect_stdout_contains"))
		t->expect_stdout_contains = xstrdup(v);
	else if (!strcmp(key, "expect_stderr_contains"))
		t->expect_stderr_contains = xstrdup(v);
	else if (!strcmp(key, "required")) {
		if (!strcmp(v, "true"))
			t->required = true;
		else if (!strcmp(v, "false"))
			t->required = false;
		else
			return -1;
	} else if (!strcmp(key, "timeout_seconds"))
		return parse_int_field(v, 1, 3600, &t->timeout_seconds);
	else if (!strcmp(key, "expect_exit_code"))
		return parse_int_field(v, 0, 255, &t->expect_exit_code);
	else
		return -2;
	return 0;
}

int parse_functional_plan(const char *path, struct options *opts)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, rc = 0;
	struct functional_test *cur = NULL;

	if (!f) {
		fprintf(stderr, "bpfcompat-validator: --functional-plan %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *eq;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (lineno == 1) {
			if (strcmp(line, "functional_plan.v0.1") != 0) {
				rc = plan_error(path, lineno, "first line must be functional_plan.v0.1", line);
				break;
			}
			continue;
		}
		if (!cur && n == 0)
			continue;
		if (!strcmp(line, "BEGIN")) {
			if (cur) {
				rc = plan_error(path, lineno, "BEGIN inside a block", NULL);
				break;
			}
			if (opts->n_tests >= MAX_TESTS) {
				rc = plan_error(path, lineno, "more than 32 tests", NULL);
				break;
			}
			cur = &opts->tests[opts->n_tests];
			memset(cur, 0, sizeof(*cur));
			cur->required = true;
			cur->timeout_seconds = 10;
			continue;
		}
		if (!strcmp(line, "END")) {
			if (!cur) {
				rc = plan_error(path, lineno, "END without BEGIN", NULL);
				break;
			}
			if (!cur->name || !*cur->name || !cur->command || !*cur->command) {
				rc = plan_error(path, lineno, "block needs name= and command=", NULL);
				break;
			}
			if (!cur->expect_stdout_contains)
				cur->expect_stdout_contains = xstrdup("");
			if (!cur->expect_stderr_contains)
				cur->expect_stderr_contains = xstrdup("");
			opts->n_tests++;
			cur = NULL;
			continue;
		}
		eq = strchr(line, '=');
		if (!cur || !eq) {
			rc = plan_error(path, lineno, "expected BEGIN, END or key=value inside a block", line);
			break;
		}
		*eq = '\0';
		switch (set_field(cur, line, eq + 1)) {
		case 0:
			break;
		case -2:
			rc = plan_error(path, lineno, "unknown key", line);
			break;
		default:
			rc = plan_error(path, lineno, "invalid value for key", line);
			break;
		}
		if (rc)
			break;
	}
	if (!rc && lineno == 0)
		rc = plan_error(path, 1, "empty file; first line must be functional_plan.v0.1", NULL);
	if (!rc && cur)
		rc = plan_error(path, lineno, "missing END", NULL);
	free(line);
	fclose(f);
	return rc;
}
