import type { Profile } from '../config/matrix.ts';
import { compareDebianVersions } from './dpkg-version.ts';
import { aptAvailable, aptIndexes, pickAcross, type AptContext } from './apt/apt-source.ts';
import { dnfAvailable, dnfIndex, evrText, pickDnfKernel } from './dnf/dnf-source.ts';
import { compareEvr, type Evr } from './dnf/rpm-version.ts';
import { repositoryPlan } from './presets/plans.ts';

// What a profile's repository carries now, read from its verified indexes without downloading a kernel: the
// kernel the profile resolves to today (newest) and every version it could pin (available). The nightly's
// `kernels outdated` and `kernels list --available` read these; `versions: all | latest:N` expands from them.

export interface RepositoryKernel {
  /** The value a profile pins to get this kernel: kernel.<source>.version. */
  version: string;
  /** The package that holds the image and its version: what the kernel cache records as origin. */
  imagePackage: string;
  imageVersion: string;
  /** Suite or repository it was found in. */
  where: string;
}

export type VersionOrder = 'deb' | 'rpm';

const parseEvr = (v: string): Evr => {
  const m = /^(?:(\d+):)?(.*?)(?:-([^-]*))?$/.exec(v)!;
  return { epoch: Number(m[1] ?? 0), ver: m[2] ?? '', rel: m[3] ?? '' };
};

/** Orders two versions of one kind, newest last (a > b → positive). */
export function compareVersions(order: VersionOrder, a: string, b: string): number {
  return order === 'deb' ? compareDebianVersions(a, b) : compareEvr(parseEvr(a), parseEvr(b));
}

export interface Repository {
  order: VersionOrder;
  newest: RepositoryKernel | null;
  available: RepositoryKernel[];
}

/** The repository view of a profile; null when its kernel does not come from a repository (deb, rpm, file). */
export async function repositoryOf(profile: Profile, ctx: AptContext): Promise<Repository | null> {
  const k = profile.kernel;
  if (!k) return null;
  const repo = await repositoryPlan(k, ctx);
  if (!repo) return null;
  if (repo.kind === 'apt') {
    const { suites } = await aptIndexes(repo.plan, ctx);
    const best = pickAcross(suites, repo.plan.src, repo.plan.abiFallback);
    const newest = best ? { version: best.set.root.version, imagePackage: best.set.image.package, imageVersion: best.set.image.version, where: best.suite } : null;
    const available = (await aptAvailable(repo.plan, ctx))
      .sort((a, b) => compareDebianVersions(b.version, a.version))
      .map((a) => ({ version: a.version, imagePackage: a.image ?? '', imageVersion: a.imageVersion ?? '', where: a.suite }));
    return { order: 'deb', newest, available };
  }
  const { repos } = await dnfIndex(repo.plan, ctx);
  let newest: RepositoryKernel | null = null;
  for (const r of repos) {
    const p = pickDnfKernel(r.pkgs, repo.plan.src.package, ctx.arch ?? 'x86_64', repo.plan.src.version);
    if (p && (!newest || compareVersions('rpm', evrText(p.image), newest.version) > 0)) newest = { version: evrText(p.image), imagePackage: p.image.name, imageVersion: evrText(p.image), where: r.baseurl };
  }
  const available = (await dnfAvailable(repo.plan, ctx)).map((a) => ({ version: a.version, imagePackage: repo.plan.src.package, imageVersion: a.version, where: a.repository }));
  return { order: 'rpm', newest, available };
}

export interface VerifiedKernel {
  profile_id: string;
  /** The kernel's origin as the history stored it (kind, package, version …). */
  source: Record<string, unknown>;
}

export interface Staleness {
  profile_id: string;
  /** Image package and version of the newest kernel with a pass/fail verdict for this profile; null when none. */
  verified: { package: string; version: string } | null;
  available: { package: string; version: string; where: string } | null;
  stale: boolean;
}

/** Whether the repository's kernel is newer than the newest one the history verified for the profile. Pure. */
export function staleness(profileId: string, repo: Repository, verifiedKernels: VerifiedKernel[]): Staleness {
  const versions = verifiedKernels
    .filter((v) => v.profile_id === profileId && typeof v.source.version === 'string' && typeof v.source.package === 'string')
    .map((v) => ({ package: v.source.package as string, version: v.source.version as string }))
    .sort((a, b) => compareVersions(repo.order, b.version, a.version));
  const verified = versions[0] ?? null;
  const available = repo.newest ? { package: repo.newest.imagePackage, version: repo.newest.imageVersion, where: repo.newest.where } : null;
  const stale = available !== null && (verified === null || compareVersions(repo.order, available.version, verified.version) > 0);
  return { profile_id: profileId, verified, available, stale };
}
