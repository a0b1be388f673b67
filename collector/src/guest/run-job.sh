#!/bin/busybox sh
# Runs one command job of the guest (the agent starts it in a session of its own; validator jobs it runs itself).
# The exit code is written to .rc because xargs, which applies the NUL-separated env file, rewrites its child's exit status.
d=$1
cd "$d" || exit 127
read -r kind < kind
if [ "$kind" != command ]; then
  echo "bpfcompat run-job: unknown job kind in $d/kind" >&2
  echo 127 > .rc
  exit 127
fi
# Command mode stages Debian's bash (collector/src/guest/tools.ts): the command is one `bash -lc` operand,
# read from the job's file here, so nothing in it passes through a host shell.
sh=/bin/sh
[ -x /usr/bin/bash ] && sh=/usr/bin/bash
flag=-c
[ "$sh" = /usr/bin/bash ] && flag=-lc
xargs -0 sh -c 'f=$1; shift; env "$@" "$0" "$f" "$(cat command)"; echo $? > .rc' "$sh" "$flag" < env
