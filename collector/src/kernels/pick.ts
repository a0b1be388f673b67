import type { Stanza } from './deb822.ts';
import { compareDebianVersions } from './dpkg-version.ts';

// Which .debs make up one kernel in a Debian Packages index. Two layouts exist in the archive:
//  A (bullseye … trixie, older backports): linux-image-<abi>-<flavour> holds /boot/vmlinuz-*, config and
//    /lib/modules/<release>.
//  B (sid, newer trixie-backports): linux-image-<abi>-<flavour> is an empty meta package; the image is in
//    linux-binary-<abi>-<flavour> (usr/lib/modules/<release>/vmlinuz), the modules in linux-modules-…,
//    config and modules.builtin in linux-base-….
// -unsigned and -dbg variants are never picked: the plain signed image boots the same and is what users run.

export interface IndexPackage {
  package: string;
  version: string;
  filename: string;
  size: number;
  sha256: string;
}

export interface KernelPick {
  layout: 'A' | 'B';
  abi: string;
  version: string;
  /** The package that carries the bootable image. */
  image: IndexPackage;
  /** Further packages to extract beside it (modules, base files). */
  extras: IndexPackage[];
}

// The ABI part of a kernel package name: 6.1.0-50, 6.12.107+deb13, 7.2.13+deb14, 6.12.12+bpo. Strict on
// purpose so that flavour "amd64" does not take "6.1.0-50-cloud" as an ABI.
const ABI = '(\\d+\\.\\d+(?:\\.\\d+)*(?:-\\d+)?(?:\\+[a-z0-9.]+)?)';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function toIndexPackage(s: Stanza): IndexPackage | null {
  const { Package: pkg, Version: version, Filename: filename, Size: size, SHA256: sha256 } = s;
  if (!pkg || !version || !filename || !size || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) return null;
  return { package: pkg, version, filename, size: Number(size), sha256 };
}

/** Packages by name and version, from the stanzas of an index. */
function byNameVersion(stanzas: Stanza[]): Map<string, IndexPackage> {
  const out = new Map<string, IndexPackage>();
  for (const s of stanzas) {
    const p = toIndexPackage(s);
    if (p) out.set(`${p.package}=${p.version}`, p);
  }
  return out;
}

/**
 * Every complete kernel of a flavour in the index, newest first. A layout-B candidate is complete when
 * its image and modules packages are both in the index (backports sometimes drop the older modules).
 */
export function kernelCandidates(stanzas: Stanza[], flavour: string): KernelPick[] {
  const f = escapeRe(flavour);
  const imageRe = new RegExp(`^linux-image-${ABI}-${f}$`);
  const binaryRe = new RegExp(`^linux-binary-${ABI}-${f}$`);
  const pkgs = byNameVersion(stanzas);
  const seen = new Set<string>();
  const out: KernelPick[] = [];
  for (const p of pkgs.values()) {
    const m = imageRe.exec(p.package) ?? binaryRe.exec(p.package);
    if (!m) continue;
    const abi = m[1]!;
    const key = `${abi}=${p.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const get = (name: string): IndexPackage | undefined => pkgs.get(`${name}-${abi}-${flavour}=${p.version}`);
    const binary = get('linux-binary');
    if (binary) {
      const modules = get('linux-modules');
      if (!modules) continue;
      const base = get('linux-base');
      out.push({ layout: 'B', abi, version: p.version, image: binary, extras: base ? [modules, base] : [modules] });
      continue;
    }
    const image = get('linux-image');
    // A linux-image below ~1 MB with no linux-binary beside it is a meta package we cannot boot.
    if (image && image.size > 1_000_000) out.push({ layout: 'A', abi, version: p.version, image, extras: [] });
  }
  return out.sort((a, b) => compareDebianVersions(b.version, a.version) || b.abi.localeCompare(a.abi));
}

/** The newest kernel of the flavour, or the one with exactly `version`; null when none matches. */
export function pickKernel(stanzas: Stanza[], flavour: string, version?: string): KernelPick | null {
  const all = kernelCandidates(stanzas, flavour);
  if (version === undefined) return all[0] ?? null;
  return all.find((c) => compareDebianVersions(c.version, version) === 0) ?? null;
}
