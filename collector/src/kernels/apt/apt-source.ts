import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BpfcompatError } from '../../../../history/vocabulary/errors.ts';
import { canonicalJson, sha256Hex } from '../../../../history/vocabulary/hash.ts';
import { writeFileAtomic } from '../../infra/fs.ts';
import type { AptKernelSource } from '../../config/matrix.ts';
import { DEBIAN_ARCH, type KernelArch, type KernelOrigin, type ResolveContext, type ResolvedKernel } from '../types.ts';
import { download } from '../download.ts';
import { extractDebs, locateKernel, type KernelParts } from '../deb-extract.ts';
import { findKernelByDeb, readKernelEntry, removeScratch, scratchDir, storeKernel } from '../kernel-store.ts';
import { ATTACH_MODULES } from '../attach-modules.ts';
import { compareDebianVersions as compareVersions } from '../dpkg-version.ts';
import { aptPackagesIndex, aptStanzas, type AptRef, type PackagesIndex } from './apt-index.ts';
import { aptPackages, kernelFollower, type AptPackage, type KernelSet } from './follow.ts';
import { loadKeyring } from './keyring.ts';

// kernel.apt: a kernel from any signed apt repository. The package the profile names is looked up in each of
// the suites it covers (a preset adds -updates and -security pockets), followed through Depends to the image
// and modules packages, and each .deb is downloaded against the sha256 its signed Packages index lists.
// A resolution is remembered per (source, keyring, Packages sha256s): while no index changes, a re-resolve
// verifies InRelease and reads small files only.

export interface AptContext extends ResolveContext {
  /** Re-fetch the signed roots (InRelease, repomd.xml) whatever their age. */
  refresh?: boolean;
}

/** What a resolver needs: the source plus the suites it spans (the source's own suite first). */
export interface AptPlan extends AptPlanOptions {
  src: AptKernelSource;
  suites: string[];
  /** The key the profile used in the matrix (kernel.apt, kernel.ubuntu …), for errors. */
  field: string;
  /** Named distribution the source came from, recorded in the kernel's origin. */
  preset?: string;
}

/** What a preset may add to a plan beyond the repository, its suites and its key. */
export interface AptPlanOptions {
  /** The repository URL of a suite that lives elsewhere than src.url (Debian's -security pocket). */
  suiteUrls?: Record<string, string>;
  /** The image .deb's sha256 the profile pins (fail closed on a mismatch), and the field that pins it. */
  pin?: { sha256: string; field: string };
  /** A Debian profile: the kernel is recorded as a Debian one (suite, pocket, flavour), as it always was. */
  debian?: { suite: string; flavour: string };
  /** The field and advice to name when the package is missing (a preset derives the package from a flavour). */
  packageField?: { field: string; hint: string };
  /** A pinned version may be one of the kernels the metapackage stands for (Debian's linux-image-<abi>-<flavour>). */
  abiFallback?: boolean;
}

/** The repository a suite of the plan is fetched from. */
export const suiteUrl = (plan: AptPlan, suite: string): string => (plan.suiteUrls?.[suite] ?? plan.src.url).replace(/\/+$/, '');

interface Candidate {
  suite: string;
  set: KernelSet;
}

/** One resolution key per set of inputs that decides which kernel is picked. Pure. */
export function aptResolutionKey(plan: AptPlan, keyringSha256: string, indexSha256s: string[], arch: KernelArch): string {
  return sha256Hex(canonicalJson({
    v: 1,
    url: plan.src.url,
    suites: plan.suites,
    component: plan.src.component,
    package: plan.src.package,
    version: plan.src.version ?? null,
    keyring: keyringSha256,
    indexes: indexSha256s,
    arch,
    // named only when set, so the keys of plain apt sources stay what they were
    ...(plan.suiteUrls ? { suiteUrls: plan.suiteUrls } : {}),
    ...(plan.pin ? { pin: plan.pin.sha256 } : {}),
    ...(plan.debian ? { debian: plan.debian } : {}),
    ...(plan.abiFallback ? { abiFallback: true } : {}),
  }));
}

/** The signed entries of every suite's Packages index: InRelease verified, nothing parsed yet. */
async function signedIndexes(plan: AptPlan, ctx: AptContext) {
  const where = `profile ${ctx.profileId}: ${plan.field}`;
  const keyring = await loadKeyring(plan.src.keyring, { profileId: ctx.profileId, field: `${plan.field}.keyring`, cacheDir: ctx.cacheDir });
  const ictx = { cacheDir: ctx.cacheDir, offline: ctx.offline, where, ...(ctx.refresh ? { refresh: true } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}), ...(ctx.onProgress ? { onProgress: (m: string) => ctx.onProgress!(`${ctx.profileId}: ${m}`) } : {}) };
  const suites: Array<{ suite: string; ref: AptRef; index: PackagesIndex }> = [];
  for (const suite of plan.suites) {
    const ref: AptRef = { url: suiteUrl(plan, suite), suite, component: plan.src.component, debArch: DEBIAN_ARCH[ctx.arch ?? 'x86_64'], keyring: keyring.path };
    suites.push({ suite, ref, index: await aptPackagesIndex(ref, ictx) });
  }
  return {
    keyringSha256: keyring.sha256,
    sha256s: suites.map((x) => x.index.entry.sha256),
    /** Each suite's packages, read from the index (downloaded once per sha256). */
    packages: async () => {
      const out = [];
      for (const { suite, ref, index } of suites) out.push({ suite, sha256: index.entry.sha256, pkgs: aptPackages(await aptStanzas(ref, index, ictx)) });
      return out;
    },
  };
}

/** The indexes of every suite of the plan, verified; also what `kernels list --available` reads. */
export async function aptIndexes(plan: AptPlan, ctx: AptContext): Promise<{ keyringSha256: string; suites: Array<{ suite: string; sha256: string; pkgs: Map<string, AptPackage[]> }> }> {
  const signed = await signedIndexes(plan, ctx);
  return { keyringSha256: signed.keyringSha256, suites: await signed.packages() };
}

/** Every version of the profile's package the suites carry, newest first, with the suite that has it. */
export async function aptAvailable(plan: AptPlan, ctx: AptContext): Promise<Array<{ version: string; suite: string; image: string | null; imageVersion: string | null }>> {
  const { suites } = await aptIndexes(plan, ctx);
  const out: Array<{ version: string; suite: string; image: string | null; imageVersion: string | null }> = [];
  const { versions, follow } = kernelFollower(plan.abiFallback);
  for (const s of suites) {
    for (const v of versions(s.pkgs, plan.src.package)) {
      const set = follow(s.pkgs, plan.src.package, v);
      out.push({ version: v, suite: s.suite, image: set?.image.package ?? null, imageVersion: set?.image.version ?? null });
    }
  }
  return out;
}

export function pickAcross(suites: Array<{ suite: string; pkgs: Map<string, AptPackage[]> }>, src: AptKernelSource, abiFallback = false): Candidate | null {
  const { follow } = kernelFollower(abiFallback);
  let best: Candidate | null = null;
  for (const s of suites) {
    const set = follow(s.pkgs, src.package, src.version);
    if (!set) continue;
    if (!best || compareVersions(set.root.version, best.set.root.version) > 0) best = { suite: s.suite, set };
  }
  return best;
}

function missingPackage(plan: AptPlan, ctx: AptContext, suites: Array<{ suite: string; pkgs: Map<string, AptPackage[]> }>): BpfcompatError {
  const where = `profile ${ctx.profileId}: ${plan.packageField?.field ?? `${plan.field}.package`}`;
  const inSuites = `${plan.suites.join(', ')} ${plan.src.component} (${DEBIAN_ARCH[ctx.arch ?? 'x86_64']})`;
  const versions = suites.flatMap((s) => kernelFollower(plan.abiFallback).versions(s.pkgs, plan.src.package));
  if (versions.length === 0) {
    return new BpfcompatError('KERNEL_RESOLVE', `${where}: no package ${plan.src.package} in ${plan.src.url} ${inSuites}`, { hint: plan.packageField?.hint ?? 'check the package name, suite and component' });
  }
  if (plan.src.version !== undefined && !versions.includes(plan.src.version)) {
    return new BpfcompatError('KERNEL_RESOLVE', `${where}: ${plan.src.package} has no version ${plan.src.version} in ${inSuites} (available: ${versions.slice(0, 6).join(', ')})`, {
      hint: `drop ${plan.field}.version for the newest, or pick one of the available versions`,
    });
  }
  return new BpfcompatError('KERNEL_RESOLVE', `${where}: ${plan.src.package} leads to no kernel image package (linux-image-<version>-* or linux-binary-*) in ${inSuites}`, {
    hint: 'name a kernel image package or a metapackage that depends on one',
  });
}

const remembered = async (file: string, cacheDir: string): Promise<ResolvedKernel | null> => {
  try {
    // The image may have been stored first through another source: the kernel keeps the origin this source gave.
    const { imageSha256, origin } = JSON.parse(await readFile(file, 'utf8')) as { imageSha256: string; origin?: KernelOrigin };
    const entry = await readKernelEntry(cacheDir, imageSha256);
    return entry && origin ? { ...entry, origin } : entry;
  } catch {
    return null;
  }
};

/** Attach modules the kernel builds as modules (=m) but the unpacked packages do not hold. */
export async function modulesMissing(parts: KernelParts): Promise<string[]> {
  if (!parts.config) return [];
  const config = await readFile(parts.config, 'utf8');
  const present = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(dir, e.name));
      else present.add(e.name.replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_'));
    }
  };
  if (parts.modulesDir) await walk(parts.modulesDir);
  return ATTACH_MODULES.filter((m) => new RegExp(`^${m.config}=m$`, 'm').test(config) && !present.has(m.name)).map((m) => m.name);
}

export async function resolveApt(plan: AptPlan, ctx: AptContext): Promise<ResolvedKernel> {
  const arch = ctx.arch ?? 'x86_64';
  // the key needs only the signed index digests: a remembered resolution parses no index
  const signed = await signedIndexes(plan, ctx);
  const { keyringSha256 } = signed;
  const key = aptResolutionKey(plan, keyringSha256, signed.sha256s, arch);
  const resolutionFile = join(ctx.cacheDir, 'apt', 'resolutions', `${key}.json`);
  const known = await remembered(resolutionFile, ctx.cacheDir);
  if (known) return known;
  const suites = await signed.packages();

  const pick = pickAcross(suites, plan.src, plan.abiFallback);
  if (!pick) throw missingPackage(plan, ctx, suites);
  const { set } = pick;
  if (plan.pin && set.image.sha256 !== plan.pin.sha256) {
    throw new BpfcompatError('INTEGRITY', `profile ${ctx.profileId}: ${plan.pin.field} ${plan.pin.sha256} does not match ${set.image.package} ${set.image.version} (${set.image.sha256} in the signed ${pick.suite} index)`, {
      hint: `update the pin, or add ${plan.field}.version to stay on the pinned package`,
    });
  }
  const base = suiteUrl(plan, pick.suite);
  const describe = (p: AptPackage) => ({ package: p.package, version: p.version, url: `${base}/${p.filename}`, deb_sha256: p.sha256 });
  const originOf = (taken: AptPackage[]): KernelOrigin => plan.debian
    ? { kind: 'debian', suite: plan.debian.suite, ...(pick.suite !== plan.debian.suite ? { pocket: pick.suite } : {}), flavour: plan.debian.flavour, ...describe(set.image), extra_packages: taken.slice(1).map(describe) }
    : {
        kind: 'apt',
        ...(plan.preset ? { preset: plan.preset } : {}),
        repository: base,
        suite: pick.suite,
        requested: plan.src.package,
        ...describe(set.image),
        keyring_sha256: keyringSha256,
        extra_packages: taken.slice(1).map(describe),
      };
  // the same .deb already unpacked through another resolution (an index that moved on, another profile)
  const cached = await findKernelByDeb(ctx.cacheDir, set.image.sha256, arch);
  if (cached && cached.origin.kind === (plan.debian ? 'debian' : 'apt')) {
    const origin = { ...originOf([set.image]), extra_packages: (cached.origin as { extra_packages: unknown[] }).extra_packages } as KernelOrigin;
    await writeFileAtomic(resolutionFile, JSON.stringify({ imageSha256: cached.imageSha256, origin }) + '\n');
    return { ...cached, origin };
  }
  if (ctx.offline) {
    throw new BpfcompatError('KERNEL_RESOLVE', `offline: ${set.image.package} ${set.image.version} for profile ${ctx.profileId} is not in the cache`, { hint: 'run `bpfcompat kernels fetch` once without --offline' });
  }
  const scratch = await scratchDir(ctx.cacheDir);
  try {
    const root = join(scratch, 'root');
    const fetchDebs = async (pkgs: AptPackage[]): Promise<void> => {
      const debs: string[] = [];
      for (const p of pkgs) {
        ctx.onProgress?.(`${ctx.profileId}: downloading ${p.package} ${p.version} (${(p.size / 1e6).toFixed(1)} MB)`);
        const dest = join(scratch, 'debs', `${p.package}.deb`);
        await download(`${base}/${p.filename}`, dest, {
          sha256: p.sha256,
          ...(p.size > 0 ? { maxBytes: p.size } : {}),
          what: `profile ${ctx.profileId}: ${plan.field}: ${p.package} ${p.version} (${base}/${p.filename}, sha256 listed in the signed ${pick.suite} index)`,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        });
        debs.push(dest);
      }
      await extractDebs(debs, root);
    };
    const taken = [set.image, ...set.extras];
    await fetchDebs(taken);
    let parts = await locateKernel(root, `profile ${ctx.profileId}: ${plan.field}: ${set.image.package} ${set.image.version}`);
    if (set.optional.length > 0 && (await modulesMissing(parts)).length > 0) {
      await fetchDebs(set.optional);
      taken.push(...set.optional);
      parts = await locateKernel(root, `profile ${ctx.profileId}: ${plan.field}: ${set.image.package} ${set.image.version}`);
    }
    ctx.onProgress?.(`${ctx.profileId}: unpacked ${set.image.package}`);
    const origin = originOf(taken);
    const kernel = await storeKernel(ctx.cacheDir, scratch, parts, arch, origin);
    await writeFileAtomic(resolutionFile, JSON.stringify({ imageSha256: kernel.imageSha256, origin }) + '\n');
    return { ...kernel, origin };
  } finally {
    await removeScratch(scratch);
  }
}
