import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { qemuArgs, qemuBinary, type QemuSpec } from './qemu-args.ts';
import { diesWithParent } from './parent-death.ts';

// One QEMU process with its two serial ports on inherited descriptors: the console on stdout and the
// result channel on fd 3 (a socket chardev on an fd), so no path on disk or listening socket is involved.

export interface QemuExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when QEMU could not be started at all (binary missing …). */
  spawnError: Error | null;
  stderr: string;
}

export interface QemuProcess {
  pid: number | undefined;
  console: Readable;
  results: Readable;
  /** Settles once the process has exited and all its pipes are drained. */
  exited: Promise<QemuExit>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  stop(graceMs?: number): Promise<QemuExit>;
}

// Last line of defence: if the host process exits while guests run, take them down with it.
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export function startQemu(spec: Omit<QemuSpec, 'console' | 'results'>): QemuProcess {
  const args = qemuArgs({ ...spec, console: { kind: 'stdio' }, results: { kind: 'fd', fd: 3 } });
  const [command, argv] = diesWithParent(qemuBinary(spec.arch), args);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    if (stderr.length < 64 * 1024) stderr += s;
  });
  let spawnError: Error | null = null;
  const exited = new Promise<QemuExit>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      // 'close' does not follow an 'error' from a failed spawn.
      if (child.pid === undefined) {
        live.delete(child);
        resolve({ code: null, signal: null, spawnError: err, stderr });
      }
    });
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal, spawnError, stderr });
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });

  const stop = async (graceMs = 3000): Promise<QemuExit> => {
    if (!done) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return exited;
  };
  return { pid: child.pid, console: child.stdout!, results: child.stdio[3] as Readable, exited, stop };
}
