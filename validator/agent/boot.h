#ifndef BPFCOMPAT_AGENT_BOOT_H
#define BPFCOMPAT_AGENT_BOOT_H

/* Mounts, lo, the listed modules; returns the result channel's descriptor (raw mode), or -1. */
int boot_guest(const char *modules_list);

#endif
