/* Frames on the result channel. A file goes out deflated: the channel is a 16550 UART under emulation
 * (~120 KB/s measured under TCG), and a validator result (~10 KB of JSON) deflates about five-fold. */
#define _GNU_SOURCE
#include "channel.h"
#include "sha256.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define PREFIX "@@BPFC "
/* base64 characters per body line, as busybox base64 writes them */
#define LINE 76

static int channel_fd = -1;

void channel_open(int fd)
{
	channel_fd = fd;
}

static int write_all(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(channel_fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int channel_frame(const char *fmt, ...)
{
	char *line = NULL, *all = NULL;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	n = asprintf(&all, PREFIX "%s\n", line);
	free(line);
	if (n < 0)
		return -1;
	rc = write_all(all, (size_t)n);
	free(all);
	return rc;
}

/* Raw deflate (no zlib header), as the host's inflateRawSync reads it. NULL when zlib fails. */
static unsigned char *deflate_raw(const void *data, size_t len, size_t *out_len)
{
	z_stream z = { 0 };
	unsigned char *out;
	uLong cap;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&z, (uLong)len);
	out = malloc(cap ? cap : 1);
	if (!out) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(out);
		return NULL;
	}
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 in lines of LINE characters, each ending in "\n"; returns the text length. */
static size_t base64_lines(const unsigned char *in, size_t len, char *out)
{
	size_t o = 0, col = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < len ? in[i + 2] : 0);

		out[o++] = B64[v >> 18 & 63];
		out[o++] = B64[v >> 12 & 63];
		out[o++] = i + 1 < len ? B64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? B64[v & 63] : '=';
		col += 4;
		if (col == LINE) {
			out[o++] = '\n';
			col = 0;
		}
	}
	if (col > 0)
		out[o++] = '\n';
	return o;
}

int channel_send_file(const char *id, const char *name, const void *data, size_t len)
{
	char digest[65], *text;
	unsigned char *packed;
	size_t packed_len = 0, text_len, cap;
	int rc;

	sha256_hex(data, len, digest);
	packed = deflate_raw(data, len, &packed_len);
	if (!packed)
		return -1;
	cap = packed_len / 3 * 4 + 8 + (packed_len / 3 * 4 + 8) / LINE + 2;
	text = malloc(cap);
	if (!text) {
		free(packed);
		return -1;
	}
	text_len = base64_lines(packed, packed_len, text);
	free(packed);
	rc = channel_frame("zfile %s %zu %s %s", id, len, digest, name);
	if (rc == 0)
		rc = write_all(text, text_len);
	if (rc == 0)
		rc = channel_frame("end %s", id);
	free(text);
	return rc;
}
