/* Captures everything libbpf prints (all levels) so it becomes evidence instead of noise on stdout/stderr. */
#define _GNU_SOURCE
#include "validator.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIBLOG_KEEP (64 * 1024)

static char *log_buf;
static size_t log_len, log_cap;
static size_t log_dropped;        /* bytes dropped from the head, so marks stay valid */
static bool log_muted;

void liblog_mute(bool mute)
{
	log_muted = mute;
}

static void liblog_append(const char *s, size_t n)
{
	if (log_len + n + 1 > log_cap) {
		/* keep memory bounded: once past twice the kept size, drop the head */
		if (log_len > 2 * LIBLOG_KEEP) {
			size_t drop = log_len - LIBLOG_KEEP;

			memmove(log_buf, log_buf + drop, log_len - drop);
			log_len -= drop;
			log_dropped += drop;
		}
		if (log_len + n + 1 > log_cap) {
			size_t cap = log_cap ? log_cap : 16384;
			char *nb;

			while (cap < log_len + n + 1)
				cap *= 2;
			nb = realloc(log_buf, cap);
			if (!nb)
				return;
			log_buf = nb;
			log_cap = cap;
		}
	}
	memcpy(log_buf + log_len, s, n);
	log_len += n;
	log_buf[log_len] = '\0';
}

static int liblog_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char stack[1024];
	char *s = stack;
	va_list ap2;
	int n;

	if (log_muted)
		return 0;
	va_copy(ap2, ap);
	n = vsnprintf(stack, sizeof(stack), fmt, ap);
	if (n < 0) {
		va_end(ap2);
		return 0;
	}
	if ((size_t)n >= sizeof(stack)) {
		s = malloc((size_t)n + 1);
		if (s)
			vsnprintf(s, (size_t)n + 1, fmt, ap2);
	}
	va_end(ap2);
	if (s) {
		liblog_append(s, (size_t)n);
		if (s != stack)
			free(s);
	}
	return n;
}

void liblog_install(void)
{
	libbpf_set_print(liblog_print);
}

size_t liblog_mark(void)
{
	return log_dropped + log_len;
}

bool liblog_contains_since(size_t mark, const char *needle)
{
	size_t from = mark > log_dropped ? mark - log_dropped : 0;

	if (!log_buf || from >= log_len)
		return false;
	return strstr(log_buf + from, needle) != NULL;
}

const char *liblog_text(size_t *len)
{
	*len = log_len;
	return log_buf ? log_buf : "";
}
