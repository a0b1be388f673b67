import type { Stanza } from '../deb822.ts';
import { compareDebianVersions } from '../dpkg-version.ts';

// From the package a profile names (a metapackage such as linux-image-generic or linux-image-cloud-amd64, or a
// versioned linux-image-<abi>-<flavour>) through Depends to the packages that make up one kernel. Pure.
//
// Only kernel packages are followed: linux-image-*, linux-binary-*, linux-modules-* and linux-base-<abi>-*
// (Debian's layout B). Firmware, microcode, headers and the unversioned linux-base tool package are what a
// real machine installs beside the kernel; the guest boots without them.
//  Ubuntu:    linux-image-generic → linux-image-6.8.0-151-generic (vmlinuz) → linux-modules-6.8.0-151-generic
//             (config, modules); linux-image-generic also → linux-modules-extra-6.8.0-151-generic.
//  Debian A:  linux-image-cloud-amd64 → linux-image-6.1.0-50-cloud-amd64 (vmlinuz, config, modules).
//  Debian B:  linux-image-<abi>-<flavour> (empty) → linux-binary-… (vmlinuz), linux-modules-…, linux-base-… (config).

/** One package of a Packages index, as the resolver downloads it. */
export interface IndexPackage {
  package: string;
  version: string;
  filename: string;
  size: number;
  sha256: string;
}

export interface AptPackage extends IndexPackage {
  depends: string[][];
}

export interface KernelSet {
  /** The package the profile named, at the version picked. */
  root: AptPackage;
  /** The package that holds the bootable image. */
  image: AptPackage;
  /** Further packages to unpack beside it (modules, config), in closure order. */
  extras: AptPackage[];
  /** linux-modules-extra-*: fetched only when the guest needs a module that lives there. */
  optional: AptPackage[];
}

interface Dep {
  name: string;
  op: string | null;
  version: string | null;
}

/** "a (= 1), b | c (>= 2)" → [[a =1], [b, c >=2]]; architecture qualifiers (:any) are dropped. */
export function parseDepends(field: string | undefined): Dep[][] {
  if (!field) return [];
  return field.split(',').map((group) =>
    group.split('|').map((alt) => {
      const m = /^\s*([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9-]+)?\s*(?:\(\s*(<<|<=|=|>=|>>)\s*([^)\s]+)\s*\))?/.exec(alt);
      return m ? { name: m[1]!, op: m[2] ?? null, version: m[3] ?? null } : null;
    }).filter((d): d is Dep => d !== null),
  ).filter((g) => g.length > 0);
}

function satisfies(version: string, dep: Dep): boolean {
  if (!dep.op || !dep.version) return true;
  const c = compareDebianVersions(version, dep.version);
  return ({ '<<': c < 0, '<=': c <= 0, '=': c === 0, '>=': c >= 0, '>>': c > 0 } as Record<string, boolean>)[dep.op] ?? false;
}

/** Every package of the index by name, newest version first. */
export function aptPackages(stanzas: Stanza[]): Map<string, AptPackage[]> {
  const out = new Map<string, AptPackage[]>();
  for (const s of stanzas) {
    const { Package: pkg, Version: version, Filename: filename, Size: size, SHA256: sha256 } = s;
    if (!pkg || !version || !filename || !size || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) continue;
    const p: AptPackage = { package: pkg, version, filename, size: Number(size), sha256, depends: [] };
    p.depends = [...parseDepends(s['Pre-Depends']), ...parseDepends(s.Depends)].map((g) => g.map((d) => `${d.name}\u0000${d.op ?? ''}\u0000${d.version ?? ''}`));
    const list = out.get(pkg) ?? [];
    if (!list.some((q) => q.version === version)) list.push(p);
    out.set(pkg, list);
  }
  for (const list of out.values()) list.sort((a, b) => compareDebianVersions(b.version, a.version));
  return out;
}

/** A kernel package worth following: versioned image/binary/modules packages and the metapackages above them. */
export const isKernelPackage = (name: string): boolean =>
  /^linux-(image|binary|modules|modules-extra)-/.test(name) || /^linux-base-\d/.test(name);
const hasAbi = (name: string): boolean => /^linux-(?:image|binary|modules|modules-extra|base)-(?:unsigned-)?\d/.test(name);

function pickVersion(pkgs: Map<string, AptPackage[]>, dep: Dep): AptPackage | null {
  return (pkgs.get(dep.name) ?? []).find((p) => satisfies(p.version, dep)) ?? null;
}

/** Every version of `name` the index carries, newest first. */
export function versionsOf(pkgs: Map<string, AptPackage[]>, name: string): string[] {
  return (pkgs.get(name) ?? []).map((p) => p.version);
}

/**
 * The kernel that `name` (at `version`, or its newest) leads to; null when the index has no such package or its
 * closure holds no versioned image package.
 */
export function followKernel(pkgs: Map<string, AptPackage[]>, name: string, version?: string): KernelSet | null {
  const root = pickVersion(pkgs, { name, op: version === undefined ? null : '=', version: version ?? null });
  if (!root) return null;
  const closure: AptPackage[] = [];
  const seen = new Set<string>();
  const queue: AptPackage[] = [root];
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (seen.has(p.package)) continue;
    seen.add(p.package);
    closure.push(p);
    for (const group of p.depends) {
      const alts = group.map((s) => {
        const [n, op, v] = s.split('\u0000');
        return { name: n!, op: op || null, version: v || null };
      });
      // The first alternative the index can satisfy, as apt picks it; only kernel packages are followed.
      const hit = alts.map((d) => (isKernelPackage(d.name) ? pickVersion(pkgs, d) : null)).find((x) => x !== null);
      if (hit) queue.push(hit);
    }
  }
  const versioned = closure.filter((p) => hasAbi(p.package));
  const image = versioned.find((p) => p.package.startsWith('linux-binary-')) ?? versioned.find((p) => p.package.startsWith('linux-image-'));
  if (!image) return null;
  const rest = versioned.filter((p) => p !== image && !p.package.startsWith('linux-image-'));
  return {
    root,
    image,
    extras: rest.filter((p) => !p.package.startsWith('linux-modules-extra-')),
    optional: rest.filter((p) => p.package.startsWith('linux-modules-extra-')),
  };
}

// The ABI part of a kernel package name: 6.1.0-50, 6.12.107+deb13, 7.2.13+deb14, 6.12.12+bpo. Strict on purpose,
// so that flavour "amd64" does not take "6.1.0-50-cloud" as an ABI.
const ABI = '\\d+\\.\\d+(?:\\.\\d+)*(?:-\\d+)?(?:\\+[a-z0-9.]+)?';
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The versioned packages a Debian metapackage linux-image-<flavour> stands for, linux-image-<abi>-<flavour>
 * (never -unsigned or -dbg): a suite keeps only the newest metapackage but older kernels' packages beside it.
 */
export function abiPackagesOf(pkgs: Map<string, AptPackage[]>, meta: string): string[] {
  const flavour = /^linux-image-(.+)$/.exec(meta)?.[1];
  if (!flavour) return [];
  const re = new RegExp(`^linux-image-${ABI}-${escapeRe(flavour)}$`);
  return [...pkgs.keys()].filter((n) => re.test(n));
}

/** A kernel set whose image can boot: a real image (not an empty metapackage), and modules beside a linux-binary. */
const complete = (k: KernelSet): boolean =>
  k.image.package.startsWith('linux-binary-') ? k.extras.some((p) => p.package.startsWith('linux-modules-')) : k.image.size > 1_000_000;

/**
 * followKernel, and for a version the metapackage no longer has, the complete kernel of that version among the
 * packages it stands for (Debian: a backports or sid kernel older than the current metapackage).
 */
export function followPinned(pkgs: Map<string, AptPackage[]>, meta: string, version?: string): KernelSet | null {
  const direct = followKernel(pkgs, meta, version);
  if (direct || version === undefined) return direct;
  for (const name of abiPackagesOf(pkgs, meta)) {
    const k = followKernel(pkgs, name, version);
    if (k && complete(k)) return k;
  }
  return null;
}

/** Every version a metapackage or the complete kernels it stands for offer, newest first, each once. */
export function versionsWithAbi(pkgs: Map<string, AptPackage[]>, meta: string): string[] {
  const out = new Set(versionsOf(pkgs, meta));
  for (const name of abiPackagesOf(pkgs, meta)) for (const v of versionsOf(pkgs, name)) if (followPinned(pkgs, meta, v)) out.add(v);
  return [...out].sort((a, b) => compareDebianVersions(b, a));
}

/** How a source reads an index: by its package alone, or (abiFallback) also through the kernels it stands for. */
export interface KernelFollower {
  versions: (pkgs: Map<string, AptPackage[]>, name: string) => string[];
  follow: (pkgs: Map<string, AptPackage[]>, name: string, version?: string) => KernelSet | null;
}

export const kernelFollower = (abiFallback = false): KernelFollower =>
  abiFallback ? { versions: versionsWithAbi, follow: followPinned } : { versions: versionsOf, follow: followKernel };
