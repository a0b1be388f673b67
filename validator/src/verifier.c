/* The verifier's own words for a rejection: the last instruction it reached and the message right after it. */
#define _GNU_SOURCE
#include "validator.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* "12: (85) call unknown#181" or libbpf's "3: <invalid CO-RE relocation>"; "12: R1=ctx()" is register state. */
static bool insn_line(const char *l, int *idx)
{
	const char *p = l;

	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (p[0] != ':' || p[1] != ' ' || (p[2] != '(' && p[2] != '<'))
		return false;
	*idx = atoi(l);
	return true;
}

/* Lines that accompany every log and never say why. */
static bool noise(const char *l)
{
	static const char *const prefixes[] = { "processed ", "verification time", "stack depth", "-- ", "; ", "from ", "func#", "libbpf:" };
	int idx;

	if (!*l)
		return true;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(l, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	if (isdigit((unsigned char)*l) && strstr(l, ": R") && !insn_line(l, &idx))
		return true; /* "12: R0=... R1=..." state dump */
	return false;
}

void verifier_summary(const char *log, int *insn_idx, char **insn, char **reason)
{
	char *copy = xstrdup(log ? log : ""), *save = NULL;
	char *last_insn = NULL, *after = NULL, *last_meaningful = NULL;
	int idx = -1;

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int i;

		while (*l == ' ' || *l == '\t')
			l++;
		if (insn_line(l, &i)) {
			last_insn = l;
			idx = i;
			after = NULL;
			continue;
		}
		if (noise(l))
			continue;
		if (last_insn && !after)
			after = l;
		last_meaningful = l;
	}
	free(*insn);
	free(*reason);
	*insn_idx = last_insn ? idx : -1;
	*insn = xstrdup(last_insn ? last_insn : "");
	*reason = xstrdup(after ? after : last_meaningful ? last_meaningful : "");
	free(copy);
}
