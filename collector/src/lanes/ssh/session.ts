import { posix } from 'node:path';
import type { KernelArch, ResolvedKernel } from '../../kernels/types.ts';
import type { Accel, GuestJob, GuestOutcome, JobOutput } from '../../vm/types.ts';
import type { LaneSession } from '../types.ts';
import { LaneError } from '../errors.ts';
import { canonicalJson, sha256Hex } from '../../../../history/vocabulary/hash.ts';
import { shJoin, shQuote } from './shquote.ts';
import type { SshConnection } from './connect.ts';

// Runs guest jobs on a machine reached over SSH, the way init.sh runs them in a direct boot: each job in
// its own directory, as root, under a timeout (exit 124), with stdout/stderr tails and its out/ files
// returned. Everything lives in one mktemp directory that is removed afterwards; only files the guest
// would find under /bpfcompat are staged (the machine's own userspace stands in for the staged bash,
// tools and libraries of a direct boot).

export interface SshSessionOptions {
  kernel: ResolvedKernel;
  accel: Accel | 'none';
  bootMs: number;
  consoleLogPath: string | null;
  /** Parent of the scratch directory on the machine (profile.ssh.workdir). */
  scratchParent: string;
  /** Prefix the job with sudo -n (a non-root user with passwordless sudo). */
  sudo: boolean;
  onClose?: () => Promise<void>;
}

const GUEST_ROOT = '/bpfcompat';
const VALIDATOR = `${GUEST_ROOT}/bin/bpfcompat-validator`;
const TAIL_BYTES = 65536;
/** Beyond the job's own budget (enforced by timeout(1) on the machine), for SSH round trips. */
const SSH_HEADROOM_MS = 30_000;
const KILL_AFTER_S = 5;
const SHORT_MS = 60_000;

/** /bpfcompat/… (a guest path, alone or after "NAME=") under the scratch root; other strings unchanged. */
export function remapGuestPath(text: string, scratch: string): string {
  return text.replace(/^([A-Za-z_][A-Za-z0-9_]*=)?\/bpfcompat(?=\/|$)/, (_m, pre: string | undefined) => `${pre ?? ''}${scratch}${GUEST_ROOT}`);
}

/** The argv a job runs on the machine (after cd into its directory): pure, unit-tested. */
export function remoteJobArgv(job: GuestJob, scratch: string, sudo: boolean): string[] {
  const secs = Math.max(1, Math.ceil(job.timeoutMs / 1000));
  const env = Object.entries(job.env ?? {}).map(([k, v]) => `${k}=${remapGuestPath(v, scratch)}`);
  const inner = job.kind === 'validator'
    ? [`${scratch}${VALIDATOR}`, ...(job.argv ?? []).map((a) => remapGuestPath(a, scratch))]
    : ['bash', '-lc', job.command ?? ''];
  return [...(sudo ? ['sudo', '-n'] : []), ...(env.length > 0 ? ['env', ...env] : []), 'timeout', '-k', String(KILL_AFTER_S), String(secs), ...inner];
}

/** A scratch path mktemp printed is used in rm -rf only if it is what we asked for. */
export function checkScratch(printed: string, parent: string): string {
  const p = printed.trim();
  const base = posix.normalize(parent).replace(/\/+$/, '');
  if (!/^[A-Za-z0-9._-]+$/.test(posix.basename(p)) || !posix.basename(p).startsWith('bpfcompat.') || posix.dirname(p) !== (base === '' ? '/' : base)) {
    throw new LaneError('ssh_setup_failed', `mktemp on the host printed ${JSON.stringify(p)}, not a directory under ${parent}`);
  }
  return p;
}

const reasonOf = (err: unknown): LaneError => (err instanceof LaneError ? err : new LaneError('ssh_setup_failed', err instanceof Error ? err.message : String(err)));

export function sshLaneSession(conn: SshConnection, o: SshSessionOptions): LaneSession {
  const scratches = new Set<string>();
  let closed = false;
  const asRoot = (argv: string[]): string[] => (o.sudo ? ['sudo', '-n', ...argv] : argv);

  const removeScratch = async (dir: string): Promise<void> => {
    // The exact path mktemp created, checked by checkScratch; root-owned files need root to go.
    const r = await conn.exec(asRoot(['rm', '-rf', '--', dir]), { timeoutMs: SHORT_MS });
    if (r.code === 0) scratches.delete(dir);
  };

  const must = async (argv: string[], what: string): Promise<Buffer> => {
    const r = await conn.exec(argv, { timeoutMs: SHORT_MS });
    if (r.code !== 0) throw new LaneError('ssh_setup_failed', `${what} failed on the host (exit ${r.code}): ${r.stderr.toString('utf8').trim().split('\n')[0] ?? ''}`);
    return r.stdout;
  };

  const runOne = async (job: GuestJob, scratch: string): Promise<JobOutput> => {
    const dir = `${scratch}${GUEST_ROOT}/jobs/${job.id}`;
    const started = Date.now();
    const argv = remoteJobArgv(job, scratch, o.sudo);
    // The user's shell only does cd and the redirections; every word in argv is quoted.
    const line = `cd ${shQuote(dir)} && ${shJoin(argv)} > .stdout 2> .stderr < /dev/null`;
    const r = await conn.execLine(line, { timeoutMs: job.timeoutMs + SSH_HEADROOM_MS });
    const files: Record<string, Buffer> = {};
    for (const name of ['stdout', 'stderr'] as const) files[name] = (await conn.exec(['tail', '-c', String(TAIL_BYTES), `${dir}/.${name}`], { timeoutMs: SHORT_MS })).stdout;
    const listed = (await must(asRoot(['find', `${dir}/out`, '-type', 'f', '-print0']), 'listing the job\'s out/ files')).toString('utf8').split('\0').filter((f) => f !== '');
    for (const f of listed.sort()) files[`out/${posix.relative(`${dir}/out`, f)}`] = await must(asRoot(['cat', '--', f]), `reading ${f}`);
    // timeout(1) exits 124, or 137 when the job ignored TERM and had to be killed; the guest reports both as 124.
    const exitCode = r.code === 137 && Date.now() - started >= job.timeoutMs ? 124 : (r.code ?? 128);
    return { id: job.id, exitCode, files, durationMs: Date.now() - started };
  };

  return {
    kernel: o.kernel,
    accel: o.accel,
    bootMs: o.bootMs,
    consoleLogPath: o.consoleLogPath,
    async runJobs(jobs, opts): Promise<GuestOutcome> {
      const started = Date.now();
      const done: JobOutput[] = [];
      let scratch: string | null = null;
      const infra = (err: unknown): GuestOutcome => {
        const e = reasonOf(err);
        return { kind: 'infra_error', accel: o.accel, reason: e.reason, message: e.message, consoleTail: '', consoleLogPath: o.consoleLogPath ?? '', jobs: done, totalMs: Date.now() - started };
      };
      try {
        if (closed) throw new LaneError('ssh_lost', 'the session is closed');
        scratch = checkScratch((await must(['mktemp', '-d', `${o.scratchParent.replace(/\/+$/, '')}/bpfcompat.XXXXXXXXXX`], 'mktemp -d')).toString('utf8'), o.scratchParent);
        scratches.add(scratch);
        const uploads: Array<{ remote: string; src: string | Buffer; mode: number }> = [];
        if (jobs.some((j) => j.kind === 'validator')) {
          if (!opts.validatorPath) throw new LaneError('ssh_setup_failed', 'a validator job needs the validator binary, and none was given');
          uploads.push({ remote: `${scratch}${VALIDATOR}`, src: opts.validatorPath, mode: 0o755 });
        }
        const dirs = new Set<string>();
        for (const job of jobs) {
          if (!/^[A-Za-z0-9._-]+$/.test(job.id)) throw new LaneError('ssh_setup_failed', `job id ${JSON.stringify(job.id)} is not a plain file name`);
          dirs.add(`${scratch}${GUEST_ROOT}/jobs/${job.id}/out`);
          for (const f of job.files) {
            if (!f.guestPath.startsWith(`${GUEST_ROOT}/`) || f.guestPath.split('/').includes('..')) continue;
            const src = f.hostPath ?? (typeof f.data === 'string' ? Buffer.from(f.data) : Buffer.from(f.data ?? new Uint8Array()));
            uploads.push({ remote: remapGuestPath(f.guestPath, scratch), src, mode: f.mode ?? 0o644 });
          }
        }
        for (const u of uploads) dirs.add(posix.dirname(u.remote));
        await must(['mkdir', '-p', '--', ...dirs], 'creating the scratch directories');
        for (const u of uploads) await conn.putFile(u.src, u.remote, u.mode);
        for (const job of jobs) {
          if (opts.signal?.aborted) throw new LaneError('ssh_lost', 'cancelled');
          done.push(await runOne(job, scratch));
        }
        return { kind: 'completed', accel: o.accel, bootMs: o.bootMs, totalMs: Date.now() - started, jobs: done, consoleLogPath: o.consoleLogPath ?? '' };
      } catch (err) {
        return infra(err);
      } finally {
        if (scratch) await removeScratch(scratch).catch(() => {});
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const dir of [...scratches]) await removeScratch(dir).catch(() => {});
      await conn.close().catch(() => {});
      await o.onClose?.().catch(() => {});
    },
  };
}

/** The machine's kernel as the result key sees it: uname -r, /proc/version and the kernel's BTF. */
export async function probeRemoteKernel(conn: SshConnection): Promise<{ release: string; arch: KernelArch; kernelSha256: string }> {
  // One round trip; sha256sum of the BTF is optional (no BTF, no coreutils sha256sum → empty).
  const script = 'uname -r; uname -m; cat /proc/version; if [ -r /sys/kernel/btf/vmlinux ]; then sha256sum /sys/kernel/btf/vmlinux 2>/dev/null | cut -d" " -f1; else echo; fi';
  const r = await conn.exec(['sh', '-c', script], { timeoutMs: SHORT_MS });
  if (r.code !== 0) throw new LaneError('ssh_setup_failed', `probing the host's kernel (uname) failed with exit ${r.code}: ${r.stderr.toString('utf8').trim().split('\n')[0] ?? ''}`);
  const [release = '', machine = '', version = '', btf = ''] = r.stdout.toString('utf8').split('\n').map((l) => l.trim());
  const arch: KernelArch | null = machine === 'x86_64' ? 'x86_64' : machine === 'aarch64' || machine === 'arm64' ? 'arm64' : null;
  if (!release || !arch) throw new LaneError('ssh_setup_failed', `the host runs ${machine || 'an unknown CPU'} (uname -m): bpfcompat validates x86_64 and arm64 kernels`);
  return { release, arch, kernelSha256: sha256Hex(canonicalJson({ release, proc_version: version, btf_sha256: btf })) };
}
