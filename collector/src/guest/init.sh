#!/bin/busybox sh
# bpfcompat guest init (PID 1 of the generated initramfs).
# Sets up the kernel interfaces BPF programs need, loads the staged modules, runs the jobs listed in
# /bpfcompat/jobs.list and returns every result over the dedicated channel (/dev/ttyS1, or hvc0 on arm64) in frames the
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

send_file() { # job name path
  [ -f "$3" ] || return 0
  len=$(stat -c %s "$3")
  sum=$(sha256sum "$3")
  frame "file $1 $len ${sum%% *} $2"
  base64 "$3" >&3
  frame "end $1"
}

frame booted

# Between jobs of one boot (a suite runs every case for a kernel in one guest): the job's processes are gone
# (so are its fd-held links); remove what outlives them: pinned objects, XDP and tc programs on lo, kprobe
# events. iproute2's ip/tc are staged when the host has them (busybox's lack XDP, so failures are evidence only).
# They are called by path: for a bare name busybox sh runs its own applet, whatever PATH says.
reset_between_jobs() { # light: the job cannot have left links on lo (see run_job)
  mode=$1
  set -- /sys/fs/bpf/*
  [ -e "$1" ] && rm -rf /sys/fs/bpf/* 2>/dev/null
  [ -w /sys/kernel/tracing/kprobe_events ] && echo > /sys/kernel/tracing/kprobe_events 2>/dev/null
  [ "$mode" = light ] && return 0
  ipr=ip; [ -x /usr/bin/ip ] && ipr=/usr/bin/ip
  tcr=tc; [ -x /usr/bin/tc ] && tcr=/usr/bin/tc
  # One ip process for the link resets (an exec of a dynamic binary costs ~10 ms under TCG); -force goes on
  # past an error. busybox's ip has no -batch: then lo is at least brought up.
  "$ipr" -force -batch - 2>/dev/null <<EOF || "$ipr" link set lo up 2>/dev/null
link set dev lo xdp off
link set dev lo xdpgeneric off
link set dev lo up
EOF
  "$tcr" qdisc del dev lo clsact 2>/dev/null
  return 0
}

# Each job runs in its own session so a timeout kills everything it started, not just its shell;
# exit 124 on timeout like timeout(1).
run_job() {
  id=$1
  d=/bpfcompat/jobs/$id
  # Shell builtins where they do: under TCG every fork+exec costs milliseconds, twenty jobs a boot.
  [ -d "$d/out" ] || mkdir -p "$d/out"
  t=60
  [ -s "$d/timeout" ] && read -r t < "$d/timeout"
  [ -e "$d/.rc" ] || [ -e "$d/.timedout" ] && rm -f "$d/.rc" "$d/.timedout"
  frame "job-start $id"
  setsid /bpfcompat/bin/run-job "$d" > "$d/.stdout" 2> "$d/.stderr" < /dev/null &
  pid=$!
  # The watchdog has a session of its own too, so stopping it also stops its sleep.
  setsid sh -c 'sleep "$1"; touch "$2/.timedout"; kill -TERM -"$3"; sleep 2; kill -KILL -"$3"' watchdog "$t" "$d" "$pid" > /dev/null 2>&1 &
  dog=$!
  wait "$pid"
  rc=$?
  kill -KILL -"$dog" 2>/dev/null
  # Whatever the job left running in its session goes too, so the next job starts clean.
  kill -KILL -"$pid" 2>/dev/null
  if [ -f "$d/.timedout" ]; then
    rc=124
  elif [ -s "$d/.rc" ]; then
    read -r rc < "$d/.rc"
  fi
  # Empty output is not sent (the host reads a missing stdout/stderr as empty).
  for s in stdout stderr; do
    [ -s "$d/.$s" ] || continue
    tail -c 65536 "$d/.$s" > "$d/.$s.tail"
    send_file "$id" "$s" "$d/.$s.tail"
  done
  (cd "$d/out" && find . -type f) | while read -r f; do
    send_file "$id" "out/${f#./}" "$d/out/${f#./}"
  done
  frame "job-end $id $rc"
  # A validator that exited normally (0 pass, 2 fail) without a functional plan (whose commands could attach
  # anything) detached what it attached itself: the iproute2 part of the reset, two dynamic execs, is skipped.
  read -r kind < "$d/kind"
  if [ "$kind" = validator ] && { [ "$rc" = 0 ] || [ "$rc" = 2 ]; } && [ ! -e "$d/functional-plan.txt" ]; then
    reset_between_jobs light
  else
    reset_between_jobs
  fi
}

if [ -f /bpfcompat/jobs.list ]; then
  while read -r id; do
    [ -n "$id" ] && run_job "$id"
  done < /bpfcompat/jobs.list
fi

frame done
exec 3>&-
sync
poweroff -f
