#!/bin/busybox sh
# bpfcompat guest init (PID 1 of the generated initramfs).
# Sets up the kernel interfaces BPF programs need, loads the staged modules, has the agent run the jobs listed in
# /bpfcompat/jobs.list and return every result over the dedicated channel (/dev/ttyS1, or hvc0 on arm64) in frames the
# host verifies (format: collector/src/vm/frames.ts). The console (ttyS0) only carries evidence.

/bin/busybox mkdir -p /proc /sys /dev /tmp /run /bin /sbin /usr/bin /usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ TERM=dumb

try_mount() { # type dir: a missing filesystem is evidence, not a reason to stop
  mkdir -p "$2"
  mount -t "$1" "$1" "$2" 2>/dev/null || echo "bpfcompat-init: cannot mount $1 on $2"
}
try_mount tmpfs /tmp
try_mount tracefs /sys/kernel/tracing
try_mount debugfs /sys/kernel/debug
try_mount bpf /sys/fs/bpf
try_mount cgroup2 /sys/fs/cgroup
try_mount securityfs /sys/kernel/security
ip link set lo up 2>/dev/null || echo "bpfcompat-init: cannot bring lo up"

# Modules are listed dependencies first by the host (collector/src/guest/modules.ts);
# they come before the channel, which may itself be a module (virtio_console on arm64).
if [ -f /bpfcompat/modules.list ]; then
  while read -r m; do
    [ -n "$m" ] || continue
    insmod "$m" 2>&1 || echo "bpfcompat-init: insmod $m failed"
  done < /bpfcompat/modules.list
fi

# raw: no newline translation or echo on the result channel. The host names the channel on the kernel
# command line (bpfcompat_channel=hvc0 on arm64, which has one UART); ttyS1 otherwise. A module's
# device node can appear a moment after insmod returns.
CH=/dev/${bpfcompat_channel:-ttyS1}
i=0
while [ ! -e "$CH" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
stty -F "$CH" raw -echo 2>/dev/null
exec 3>"$CH"
frame() { echo "@@BPFC $*" >&3; }

frame booted

# The jobs: the agent (validator/agent/agent.c) runs each in its own session with its deadline, sends its output
# and resets what it left (pinned objects, kprobe events, XDP/tc on lo) before the next one. It writes frames on
# fd 3 and keeps it from the jobs.
[ -f /bpfcompat/jobs.list ] && /bpfcompat/bin/bpfcompat-agent /bpfcompat/jobs.list

frame done
exec 3>&-
sync
poweroff -f
