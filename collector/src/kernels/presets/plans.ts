import type { KernelSource } from '../../config/matrix.ts';
import type { AptContext, AptPlan } from '../apt/apt-source.ts';
import type { DnfPlan } from '../dnf/dnf-source.ts';
import { debianKeyFile } from './debian-keys.ts';
import { almalinux, amazon, centosStream, debian, fedora, oracle, rocky, ubuntu, type Expanded, type UbuntuRelease } from './distributions.ts';

// A profile's kernel source as a repository plan: apt and dnf sources as written, named distributions
// expanded (their key fetched through Debian's signed chain). Other sources have no repository (null).

export type RepositoryPlan = { kind: 'apt'; plan: AptPlan } | { kind: 'dnf'; plan: DnfPlan };

/** The preset a kernel source names, expanded; null for sources that are not presets. Pure. */
export function expandPreset(k: KernelSource): { field: string; expanded: Expanded } | null {
  if (k.debian) return { field: 'kernel.debian', expanded: debian(k.debian) };
  if (k.ubuntu) return { field: 'kernel.ubuntu', expanded: ubuntu({ ...k.ubuntu, release: k.ubuntu.release as UbuntuRelease }) };
  if (k.almalinux) return { field: 'kernel.almalinux', expanded: almalinux(k.almalinux) };
  if (k.rocky) return { field: 'kernel.rocky', expanded: rocky(k.rocky) };
  if (k['centos-stream']) return { field: 'kernel.centos-stream', expanded: centosStream(k['centos-stream']) };
  if (k.oracle) return { field: 'kernel.oracle', expanded: oracle(k.oracle) };
  if (k.amazon) return { field: 'kernel.amazon', expanded: amazon({ ...k.amazon, release: k.amazon.release as 2 | 2023 }) };
  if (k.fedora) return { field: 'kernel.fedora', expanded: fedora(k.fedora) };
  return null;
}

export async function repositoryPlan(k: KernelSource, ctx: AptContext): Promise<RepositoryPlan | null> {
  if (k.apt) return { kind: 'apt', plan: { src: k.apt, suites: [k.apt.suite], field: 'kernel.apt' } };
  if (k.dnf) return { kind: 'dnf', plan: { src: k.dnf, baseurls: [k.dnf.baseurl], field: 'kernel.dnf' } };
  const preset = expandPreset(k);
  if (!preset) return null;
  const { field, expanded: e } = preset;
  const where = `profile ${ctx.profileId}: ${field}`;
  const keyring = 'file' in e.key ? e.key.file : await debianKeyFile(e.key, {
    cacheDir: ctx.cacheDir, offline: ctx.offline, where,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.onProgress ? { onProgress: (m: string) => ctx.onProgress!(`${ctx.profileId}: ${m}`) } : {}),
  });
  if (e.kind === 'apt') return { kind: 'apt', plan: { src: { ...e.src, keyring }, suites: e.suites, field, preset: e.preset, ...e.options } };
  return { kind: 'dnf', plan: { src: { ...e.src, keyring }, baseurls: e.baseurls, ...(e.mirrorlist ? { mirrorlist: e.mirrorlist } : {}), field, preset: e.preset } };
}
