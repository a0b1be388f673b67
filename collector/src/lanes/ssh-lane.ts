import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ResolvedKernel } from '../kernels/types.ts';
import type { Lane, LaneIdentity, LaneOptions, LaneSession } from './types.ts';
import { LaneError } from './errors.ts';
import { connectSsh, type SshConnection, type SshEndpoint } from './ssh/connect.ts';
import { probeRemoteKernel, sshLaneSession } from './ssh/session.ts';

// The remote-host lane: profile.ssh names an existing machine (real hardware, an ARM box). Its kernel is
// whatever it runs; the result key's kernel part is a hash over uname -r, /proc/version and the kernel BTF.

/** One attempt of this budget: a remote host is up or it is not (no retry loop as for a booting guest). */
const READY_TIMEOUT_MS = 20_000;

export function sshLane(opts: LaneOptions): Lane {
  const src = opts.profile.ssh;
  if (!src) throw new Error(`profile ${opts.profile.id} has no ssh section`);
  // "~/.ssh/…" as users write it in YAML (no shell expands it here).
  const keyPath = src.key.startsWith('~/') ? join(homedir(), src.key.slice(2)) : resolve(src.key);

  const connect = async (): Promise<SshConnection> => {
    let privateKey: Buffer;
    try {
      privateKey = await readFile(keyPath);
    } catch (err) {
      throw new LaneError('ssh_setup_failed', `ssh.key ${keyPath} of profile ${opts.profile.id} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const ep: SshEndpoint = { host: src.host, port: src.port, user: src.user, privateKey, hostKey: src.host_key };
    return connectSsh(ep, { readyTimeoutMs: READY_TIMEOUT_MS, ...(opts.signal ? { signal: opts.signal } : {}) });
  };

  return {
    // A connection of its own, closed at once: when the verdict is reused, no session is ever opened.
    async identify(): Promise<LaneIdentity> {
      const conn = await connect();
      try {
        const k = await probeRemoteKernel(conn);
        return { kernelSha256: k.kernelSha256, arch: k.arch };
      } finally {
        await conn.close();
      }
    },
    async open(): Promise<LaneSession> {
      const started = Date.now();
      const conn = await connect();
      try {
        const k = await probeRemoteKernel(conn);
        const kernel: ResolvedKernel = { release: k.release, arch: k.arch, imagePath: '', imageSha256: k.kernelSha256, modulesDir: null, configPath: null, origin: { kind: 'ssh', host: src.host, port: src.port } };
        return sshLaneSession(conn, { kernel, accel: 'none', bootMs: Date.now() - started, consoleLogPath: null, scratchParent: src.workdir, sudo: src.sudo });
      } catch (err) {
        await conn.close();
        throw err;
      }
    },
  };
}
