#!/bin/busybox sh
# Runs one job of the guest (started by init.sh in a session of its own). The exit code is written to
# .rc because xargs, which applies the NUL-separated env file, rewrites its child's exit status.
d=$1
cd "$d" || exit 127
case $(cat kind) in
  validator)
    /bpfcompat/bin/bpfcompat-validator --args-file "$d/args"
    echo $? > .rc
    ;;
  command)
    xargs -0 sh -c 'env "$@" /bin/sh -c "$(cat command)"; echo $? > .rc' run-job < env
    ;;
  *)
    echo "bpfcompat run-job: unknown job kind in $d/kind" >&2
    echo 127 > .rc
    ;;
esac
