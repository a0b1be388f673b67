#!/bin/busybox sh
# Runs one job of the guest (started by init.sh in a session of its own). The exit code is written to
# .rc because xargs, which applies the NUL-separated env file, rewrites its child's exit status.
d=$1
cd "$d" || exit 127
read -r kind < kind
case $kind in
  validator)
    /bpfcompat/bin/bpfcompat-validator --args-file "$d/args"
    echo $? > .rc
    ;;
  command)
    # Command mode stages Debian's bash (collector/src/guest/tools.ts): the command is one `bash -lc` operand,
    # read from the job's file here, so nothing in it passes through a host shell.
    sh=/bin/sh
    [ -x /usr/bin/bash ] && sh=/usr/bin/bash
    flag=-c
    [ "$sh" = /usr/bin/bash ] && flag=-lc
    xargs -0 sh -c 'f=$1; shift; env "$@" "$0" "$f" "$(cat command)"; echo $? > .rc' "$sh" "$flag" < env
    ;;
  *)
    echo "bpfcompat run-job: unknown job kind in $d/kind" >&2
    echo 127 > .rc
    ;;
esac
