import type { Profile } from '../config/matrix.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { cacheRoot } from '../infra/xdg.ts';
import type { ResolvedKernel } from './types.ts';
import { resolveDeb } from './deb-source.ts';
import { resolveApt } from './apt/apt-source.ts';
import { resolveDnf } from './dnf/dnf-source.ts';
import { repositoryPlan } from './presets/plans.ts';
import { resolveRpm } from './rpm-source.ts';
import { resolveFile } from './file-source.ts';
import { listKernelEntries } from './kernel-store.ts';

// The kernel catalog's entry points: a matrix profile's kernel source → a kernel in the cache.

export interface ResolveOptions {
  cacheDir?: string;
  /** Use only what is cached (also env BPFCOMPAT_OFFLINE=1). */
  offline?: boolean;
  signal?: AbortSignal;
  /** Plain progress lines ("debian-12: downloading linux-image-… (12.3 MB)"); the caller decides where they go. */
  onProgress?: (msg: string) => void;
}

export async function resolveKernel(profile: Profile, opts: ResolveOptions = {}): Promise<ResolvedKernel> {
  const ctx = {
    profileId: profile.id,
    arch: profile.arch,
    cacheDir: opts.cacheDir ?? cacheRoot(),
    offline: opts.offline ?? process.env.BPFCOMPAT_OFFLINE === '1',
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  };
  const k = profile.kernel;
  if (!k) throw new BpfcompatError('CONFIG_INVALID', `profile ${profile.id}: has no kernel (it runs in the ${profile.image ? 'image' : 'ssh'} lane)`, { hint: 'only direct-boot profiles resolve a kernel' });
  const repo = await repositoryPlan(k, ctx);
  if (repo?.kind === 'apt') return resolveApt(repo.plan, ctx);
  if (repo?.kind === 'dnf') return resolveDnf(repo.plan, ctx);
  if ('deb' in k && k.deb) return resolveDeb({ package: k.deb.package, sha256: k.deb.sha256 }, k.deb.modules, ctx);
  if ('rpm' in k && k.rpm) return resolveRpm({ package: k.rpm.package, sha256: k.rpm.sha256 }, k.rpm.modules, ctx);
  if ('file' in k && k.file) return resolveFile(k.file, profile.id, profile.arch);
  throw new BpfcompatError('CONFIG_INVALID', `profile ${profile.id}: kernel must have one of debian, apt, dnf, deb, rpm, file or a named distribution`, { hint: 'see docs/matrix.md' });
}

/** Every kernel in the cache with its size on disk. */
export function listCachedKernels(cacheDir: string = cacheRoot()): Promise<Array<ResolvedKernel & { sizeBytes: number }>> {
  return listKernelEntries(cacheDir);
}
