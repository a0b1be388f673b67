import type { Profile } from '../config/matrix.ts';
import { cacheRoot } from '../infra/xdg.ts';
import { repositoryOf } from './freshness.ts';

// `versions: all | latest:N` on a profile: one profile per version its repository carries, newest first, each
// pinned to its version (kernel.<source>.version) and named <id>-<version> (characters a profile id cannot hold
// become '_'). Expanded before anything is planned, so every later step sees plain pinned profiles.

export function versionedId(id: string, version: string): string {
  return `${id}-${version.replace(/[^A-Za-z0-9._-]/g, '_')}`.slice(0, 64);
}

/** A copy of the profile pinned to `version`. Pure. */
export function pinProfile(p: Profile, version: string): Profile {
  const kernel = Object.fromEntries(Object.entries(p.kernel ?? {}).map(([k, v]) => [k, v === undefined ? v : { ...v, version }]));
  const { versions: _drop, ...rest } = p;
  return { ...rest, id: versionedId(p.id, version), kernel: kernel as Profile['kernel'] };
}

export async function expandVersions(profiles: Profile[], opts: { cacheDir?: string; offline?: boolean; onProgress?: (m: string) => void } = {}): Promise<Profile[]> {
  if (!profiles.some((p) => p.versions !== undefined)) return profiles;
  const out: Profile[] = [];
  for (const p of profiles) {
    if (p.versions === undefined) {
      out.push(p);
      continue;
    }
    const repo = await repositoryOf(p, {
      profileId: p.id, arch: p.arch, cacheDir: opts.cacheDir ?? cacheRoot(), offline: opts.offline ?? process.env.BPFCOMPAT_OFFLINE === '1',
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
    const seen = new Set<string>();
    const versions = (repo?.available ?? []).map((a) => a.version).filter((v) => !seen.has(v) && seen.add(v));
    const n = p.versions === 'all' ? versions.length : Number(p.versions.slice('latest:'.length));
    for (const v of versions.slice(0, n)) out.push(pinProfile(p, v));
  }
  return out;
}
