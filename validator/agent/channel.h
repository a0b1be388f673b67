#ifndef BPFCOMPAT_AGENT_CHANNEL_H
#define BPFCOMPAT_AGENT_CHANNEL_H

#include <stddef.h>

/* The result channel's framing, as collector/src/vm/frames.ts decodes it:
 *   @@BPFC job-start <id>
 *   @@BPFC zfile <id> <byte length> <sha256> <name>   then raw deflate of the bytes as base64 lines, then
 *   @@BPFC end <id>
 *   @@BPFC job-end <id> <exit code>
 * Length and sha256 are of the uncompressed bytes, so the host checks what it finally reads. */

/* The descriptor frames go to (inherited from init.sh); set once at start. */
void channel_open(int fd);

/* Writes "@@BPFC " + the formatted line + "\n". Returns 0, or -1 when the channel is gone. */
int channel_frame(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sends len bytes as file `name` of job `id`. Returns 0, or -1 when the channel is gone. */
int channel_send_file(const char *id, const char *name, const void *data, size_t len);

#endif
