#!/bin/busybox sh
# bpfcompat guest init (PID 1 of the generated initramfs). busybox installs its applets (command jobs run under a
# shell with the usual tools on PATH), then the agent (validator/agent/, static C) takes over as PID 1: it mounts
# what BPF programs need (sysfs, devtmpfs, tmpfs, tracefs, debugfs, bpffs, cgroup2, securityfs), brings lo up, loads
# the staged modules, opens the result channel (/dev/ttyS1, or hvc0 on arm64), runs the jobs listed in
# /bpfcompat/jobs.list and returns every result in frames the host verifies (format: collector/src/vm/frames.ts),
# then powers off. The console (ttyS0) only carries evidence.
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ TERM=dumb
exec /bpfcompat/bin/bpfcompat-agent --init /bpfcompat/jobs.list
