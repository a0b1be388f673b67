import { existsSync } from 'node:fs';

// A QEMU must not outlive the bpfcompat that started it: a SIGKILLed CLI runs no exit handler, and a TCG guest
// running a long job would go on for minutes under init. util-linux's setpriv (Essential in Debian) sets
// PR_SET_PDEATHSIG, which survives its exec of QEMU: the kernel sends SIGKILL to QEMU when its parent dies.

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) ?? null;

/** The command and arguments that run `binary args…` killed with its parent (as is when setpriv is missing). */
export function diesWithParent(binary: string, args: readonly string[], setpriv: string | null = SETPRIV): [string, string[]] {
  return setpriv === null ? [binary, [...args]] : [setpriv, ['--pdeathsig', 'KILL', '--', binary, ...args]];
}
