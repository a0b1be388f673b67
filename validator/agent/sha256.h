#ifndef BPFCOMPAT_AGENT_SHA256_H
#define BPFCOMPAT_AGENT_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex digest of len bytes at data, NUL-terminated. */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
