import { access, constants, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, release as hostRelease } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import type { ResolvedKernel } from '../kernels/types.ts';
import { BpfcompatError, usageError } from '../../../history/vocabulary/errors.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { cacheRoot } from '../infra/xdg.ts';
import { qemuBinary, qemuPackage } from './qemu-args.ts';
import type { KernelArch } from '../kernels/types.ts';
import { probeBoot } from './runner.ts';
import type { Accel } from './types.ts';

// KVM is used only when a real short boot proves it works: on some hosts /dev/kvm exists but guests hang.
// The verdict is cached per host kernel and QEMU version for a day, so the probe's cost is paid rarely.

const CACHE_TTL_MS = 24 * 60 * 60 * 1000;
const PROBE_TIMEOUT_MS = 5000;

const AccelCache = z.object({
  host_kernel: z.string(),
  qemu_version: z.string(),
  accel: z.enum(['kvm', 'tcg']),
  reason: z.string(),
  checked_at: z.number(),
});

export interface AccelVerdict {
  accel: Accel;
  reason: string;
}

export interface DetectAccelOptions {
  cacheDir?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Clock for the cache's age; tests move it. */
  now?: () => number;
  /** Device to check; tests point it elsewhere. */
  kvmDevice?: string;
  /** Host CPU in Node's naming (process.arch); tests change it. */
  hostArch?: string;
}

async function qemuVersion(arch: KernelArch): Promise<string> {
  try {
    const r = await execa(qemuBinary(arch), ['--version']);
    return r.stdout.split('\n')[0] ?? '';
  } catch (err) {
    throw new BpfcompatError('TOOL_MISSING', `${qemuBinary(arch)} cannot be run: ${(err as Error).message.split('\n')[0]}`, { hint: `install Debian package ${qemuPackage(arch)}` });
  }
}

/** The guest CPU this host can run under KVM (Node's process.arch names: x64, arm64). */
export function nativeArch(nodeArch: string = process.arch): KernelArch | null {
  return nodeArch === 'x64' ? 'x86_64' : nodeArch === 'arm64' ? 'arm64' : null;
}

export async function detectAccel(kernel: ResolvedKernel, opts: DetectAccelOptions = {}): Promise<AccelVerdict> {
  const env = opts.env ?? process.env;
  // Another CPU than the host's can only be emulated: no probe, no cache, and BPFCOMPAT_ACCEL=kvm cannot change that.
  const native = nativeArch(opts.hostArch);
  if (kernel.arch !== native) return { accel: 'tcg', reason: `${kernel.arch} guest on a ${native ?? opts.hostArch ?? process.arch} host: emulated (TCG)` };
  const forced = env.BPFCOMPAT_ACCEL;
  if (forced !== undefined && forced !== '') {
    if (forced !== 'kvm' && forced !== 'tcg') throw usageError(`BPFCOMPAT_ACCEL=${forced} is not kvm or tcg`, 'unset it to let bpfcompat probe, or set kvm or tcg');
    return { accel: forced, reason: `forced by BPFCOMPAT_ACCEL=${forced}` };
  }
  const device = opts.kvmDevice ?? '/dev/kvm';
  try {
    await access(device, constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', reason: `${device} is missing or not accessible` };
  }

  const now = opts.now ?? Date.now;
  const cachePath = join(opts.cacheDir ?? cacheRoot(), 'accel.json');
  const key = { host_kernel: hostRelease(), qemu_version: await qemuVersion(kernel.arch) };
  const cached = await readCache(cachePath);
  if (cached && cached.host_kernel === key.host_kernel && cached.qemu_version === key.qemu_version && now() - cached.checked_at < CACHE_TTL_MS && now() >= cached.checked_at) {
    return { accel: cached.accel, reason: `${cached.reason} (cached)` };
  }

  const workDir = await mkdtemp(join(tmpdir(), 'bpfcompat-kvm-probe-'));
  let verdict: AccelVerdict;
  try {
    const r = await probeBoot(kernel, 'kvm', workDir, { timeoutMs: PROBE_TIMEOUT_MS, cacheDir: opts.cacheDir });
    verdict = r.ok ? { accel: 'kvm', reason: `a KVM probe boot succeeded in ${r.ms} ms` } : { accel: 'tcg', reason: `a KVM probe boot failed: ${r.reason}` };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  await writeFileAtomic(cachePath, `${JSON.stringify({ ...key, ...verdict, checked_at: now() }, null, 2)}\n`);
  return verdict;
}

async function readCache(path: string): Promise<z.infer<typeof AccelCache> | null> {
  try {
    const parsed = AccelCache.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
