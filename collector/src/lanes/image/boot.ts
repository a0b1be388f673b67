import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { ConsoleTap } from '../../vm/console-tap.ts';
import { QEMU_BINARY } from '../../vm/qemu-args.ts';
import { diesWithParent } from '../../vm/parent-death.ts';
import { imageQemuArgs, type ImageQemuSpec } from './qemu-args.ts';

// One QEMU process of the image lane: console on stdout into a ConsoleTap (log file + tail + panic), stderr
// kept for the error message, and a stop that always ends in SIGKILL.

export interface ImageVmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export interface ImageVm {
  tap: ConsoleTap;
  exited: Promise<ImageVmExit>;
  /** True once QEMU has exited (guest powered off, rebooted under -no-reboot, or crashed). */
  readonly done: boolean;
  stop(graceMs?: number): Promise<ImageVmExit>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** A TCP port on 127.0.0.1 free right now (QEMU binds it a moment later; a lost race is retried by the caller). */
export function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function startImageVm(spec: Omit<ImageQemuSpec, 'console'>, consoleLogPath: string, onLine: (line: string) => void): ImageVm {
  const [command, argv] = diesWithParent(QEMU_BINARY, imageQemuArgs({ ...spec, console: { kind: 'stdio' } }));
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const tap = new ConsoleTap(consoleLogPath, onLine);
  child.stdout!.on('data', (c: Buffer) => tap.push(c));
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    if (stderr.length < 64 * 1024) stderr += s;
  });
  let done = false;
  const exited = new Promise<ImageVmExit>((resolve) => {
    child.once('error', (err) => {
      if (child.pid === undefined) {
        done = true;
        live.delete(child);
        resolve({ code: null, signal: null, stderr: `cannot start ${QEMU_BINARY}: ${err.message}` });
      }
    });
    child.once('close', (code, signal) => {
      done = true;
      live.delete(child);
      resolve({ code, signal, stderr });
    });
  });
  return {
    tap,
    exited,
    get done() {
      return done;
    },
    async stop(graceMs = 3000) {
      if (!done) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        try {
          await exited;
        } finally {
          clearTimeout(t);
        }
      }
      await tap.close();
      return exited;
    },
  };
}
