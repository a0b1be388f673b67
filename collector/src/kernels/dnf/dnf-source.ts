import { readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BpfcompatError } from '../../../../history/vocabulary/errors.ts';
import { canonicalJson, sha256Hex } from '../../../../history/vocabulary/hash.ts';
import { writeFileAtomic } from '../../infra/fs.ts';
import type { DnfKernelSource } from '../../config/matrix.ts';
import type { KernelArch, KernelOrigin, ResolvedKernel } from '../types.ts';
import { download } from '../download.ts';
import { extractRpms, locateRpmKernel } from '../rpm-extract.ts';
import { readKernelEntry, removeScratch, scratchDir, storeKernel } from '../kernel-store.ts';
import { loadKeyring } from '../apt/keyring.ts';
import { modulesMissing, type AptContext } from '../apt/apt-source.ts';
import { kernelPackages, primaryRef, type RpmPackage } from './repodata.ts';
import { compareEvr } from './rpm-version.ts';
import { RpmVerifier } from './rpm-signature.ts';

// kernel.dnf: the newest (or pinned) kernel of a dnf/yum repository. repomd.xml → primary → the image package
// and the modules packages of the same build: <base>-modules-core always (RHEL 9.4+, Fedora 38+ split it out),
// <base>-modules only when an attach module lives there. Each .rpm is checked against the sha256 primary lists
// and by its own OpenPGP signature against the profile's key.

export const RPM_ARCH: Record<KernelArch, string> = { x86_64: 'x86_64', arm64: 'aarch64' };

export interface DnfPlan {
  src: Omit<DnfKernelSource, 'baseurl'>;
  /** Repositories searched together (a release repository and its updates), newest package wins. */
  baseurls: string[];
  /** A mirror list whose first URL is one more baseurl (Amazon Linux). */
  mirrorlist?: string;
  field: string;
  preset?: string;
}

interface RepoIndex {
  baseurl: string;
  primarySha256: string;
  signed: boolean;
  pkgs: RpmPackage[];
}

export const evrText = (p: RpmPackage): string => `${p.epoch ? `${p.epoch}:` : ''}${p.ver}-${p.rel}`;
const matchesVersion = (p: RpmPackage, v: string): boolean => v === p.ver || v === `${p.ver}-${p.rel}` || v === evrText(p);

/** The packages of the plan's name and arch, newest first. Pure. */
export function dnfCandidates(pkgs: RpmPackage[], name: string, arch: KernelArch): RpmPackage[] {
  return pkgs.filter((p) => p.name === name && p.arch === RPM_ARCH[arch]).sort((a, b) => compareEvr(b, a));
}

/** The image package and its modules packages (same build). Pure. */
export function pickDnfKernel(pkgs: RpmPackage[], name: string, arch: KernelArch, version?: string): { image: RpmPackage; extras: RpmPackage[]; optional: RpmPackage[] } | null {
  const image = dnfCandidates(pkgs, name, arch).find((p) => version === undefined || matchesVersion(p, version));
  if (!image) return null;
  const base = name.replace(/-core$/, '');
  const same = (n: string): RpmPackage | undefined => pkgs.find((p) => p.name === n && p.arch === image.arch && compareEvr(p, image) === 0);
  const core = base !== name || name === 'kernel' ? same(`${base}-modules-core`) : undefined;
  const mods = same(`${base}-modules`);
  return { image, extras: core ? [core] : [], optional: mods ? [mods] : [] };
}

/** The first URL of a mirror list; remembered for offline use. */
async function fromMirrorlist(url: string, ctx: AptContext, where: string): Promise<string> {
  const cached = join(ctx.cacheDir, 'dnf', 'mirrorlists', `${sha256Hex(url)}.txt`);
  let text: string;
  if (ctx.offline) {
    text = await readFile(cached, 'utf8').catch(() => {
      throw new BpfcompatError('KERNEL_RESOLVE', `${where}: offline: mirror list ${url} is not in the cache`, { hint: 'run once without --offline' });
    });
  } else {
    const tmp = `${cached}.new`;
    await download(url, tmp, { what: `${where}: mirror list ${url}`, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    text = await readFile(tmp, 'utf8');
    await writeFileAtomic(cached, text);
    await rm(tmp, { force: true });
  }
  const first = text.split('\n').map((l) => l.trim()).find((l) => /^https?:\/\//.test(l));
  if (!first) throw new BpfcompatError('KERNEL_RESOLVE', `${where}: mirror list ${url} names no http(s) URL`, { hint: 'check the mirror list URL' });
  return first.replace(/\/+$/, '');
}

export async function dnfIndex(plan: DnfPlan, ctx: AptContext): Promise<{ keyring: Awaited<ReturnType<typeof loadKeyring>>; repos: RepoIndex[]; where: string }> {
  const where = `profile ${ctx.profileId}: ${plan.field}`;
  const keyring = await loadKeyring(plan.src.keyring, { profileId: ctx.profileId, field: `${plan.field}.keyring`, cacheDir: ctx.cacheDir });
  const dctx = { cacheDir: ctx.cacheDir, offline: ctx.offline, where, ...(ctx.refresh ? { refresh: true } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}), ...(ctx.onProgress ? { onProgress: (m: string) => ctx.onProgress!(`${ctx.profileId}: ${m}`) } : {}) };
  const baseurls = plan.baseurls.map((u) => u.replace(/\/+$/, ''));
  if (plan.mirrorlist) baseurls.push(await fromMirrorlist(plan.mirrorlist, ctx, where));
  const repos: RepoIndex[] = [];
  for (const baseurl of baseurls) {
    const ref = await primaryRef(baseurl, keyring.path, dctx);
    repos.push({ baseurl, primarySha256: ref.sha256, signed: ref.signed, pkgs: await kernelPackages(baseurl, ref, dctx) });
  }
  return { keyring, repos, where };
}

/** Every version of the plan's package the repositories carry, newest first. */
export async function dnfAvailable(plan: DnfPlan, ctx: AptContext): Promise<Array<{ version: string; repository: string }>> {
  const { repos } = await dnfIndex(plan, ctx);
  const all = repos.flatMap((r) => dnfCandidates(r.pkgs, plan.src.package, ctx.arch ?? 'x86_64').map((p) => ({ p, repository: r.baseurl })));
  return all.sort((a, b) => compareEvr(b.p, a.p)).map(({ p, repository }) => ({ version: evrText(p), repository }));
}

export async function resolveDnf(plan: DnfPlan, ctx: AptContext): Promise<ResolvedKernel> {
  const arch = ctx.arch ?? 'x86_64';
  const { keyring, repos, where } = await dnfIndex(plan, ctx);
  const key = sha256Hex(canonicalJson({ v: 1, repos: repos.map((r) => [r.baseurl, r.primarySha256]), package: plan.src.package, version: plan.src.version ?? null, keyring: keyring.sha256, arch }));
  const resolutionFile = join(ctx.cacheDir, 'dnf', 'resolutions', `${key}.json`);
  try {
    const { imageSha256, origin } = JSON.parse(await readFile(resolutionFile, 'utf8')) as { imageSha256: string; origin?: KernelOrigin };
    const known = await readKernelEntry(ctx.cacheDir, imageSha256);
    if (known) return origin ? { ...known, origin } : known;
  } catch {
    // not resolved before
  }
  let best: { repo: RepoIndex; pick: NonNullable<ReturnType<typeof pickDnfKernel>> } | null = null;
  for (const repo of repos) {
    const p = pickDnfKernel(repo.pkgs, plan.src.package, arch, plan.src.version);
    if (p && (!best || compareEvr(p.image, best.pick.image) > 0)) best = { repo, pick: p };
  }
  const baseurl = best?.repo.baseurl ?? repos.map((r) => r.baseurl).join(', ');
  if (!best) {
    const avail = repos.flatMap((r) => dnfCandidates(r.pkgs, plan.src.package, arch)).sort((a, b) => compareEvr(b, a)).map(evrText);
    if (avail.length === 0) {
      throw new BpfcompatError('KERNEL_RESOLVE', `${where}.package: no package ${plan.src.package} (${RPM_ARCH[arch]}) in ${baseurl}`, { hint: 'check the package name (kernel-core, kernel, kernel-uek-core) and the baseurl' });
    }
    throw new BpfcompatError('KERNEL_RESOLVE', `${where}.version: ${plan.src.package} has no version ${plan.src.version} in ${baseurl} (available: ${avail.slice(0, 6).join(', ')})`, {
      hint: `drop ${plan.field}.version for the newest, or pick one of the available versions`,
    });
  }
  const { pick, repo } = best;
  if (ctx.offline) {
    throw new BpfcompatError('KERNEL_RESOLVE', `offline: ${pick.image.name} ${evrText(pick.image)} for profile ${ctx.profileId} is not in the cache`, { hint: 'run `bpfcompat kernels fetch` once without --offline' });
  }
  const verifier = await RpmVerifier.open(keyring.armoredKeys, `${where}.keyring ${plan.src.keyring}`);
  const scratch = await scratchDir(ctx.cacheDir);
  try {
    const root = join(scratch, 'root');
    const fetchRpms = async (list: RpmPackage[]): Promise<void> => {
      const files: string[] = [];
      for (const p of list) {
        const what = `${where}: ${p.name} ${evrText(p)} (${baseurl}/${p.href})`;
        ctx.onProgress?.(`${ctx.profileId}: downloading ${p.name} ${evrText(p)} (${(p.size / 1e6).toFixed(1)} MB)`);
        const dest = join(scratch, 'rpms', basename(p.href));
        await download(`${baseurl}/${p.href}`, dest, { sha256: p.sha256, ...(p.size > 0 ? { maxBytes: p.size } : {}), what: `${what}, sha256 listed in primary`, ...(ctx.signal ? { signal: ctx.signal } : {}) });
        await verifier.check(dest, what);
        files.push(dest);
      }
      await extractRpms(files, root, list.map((p) => `${where}: ${p.name} ${evrText(p)}`));
    };
    const taken = [pick.image, ...pick.extras];
    await fetchRpms(taken);
    const what = `${where}: ${pick.image.name} ${evrText(pick.image)}`;
    let parts = await locateRpmKernel(root, what);
    if (pick.optional.length > 0 && (parts.modulesDir === null || (await modulesMissing(parts)).length > 0)) {
      await fetchRpms(pick.optional);
      taken.push(...pick.optional);
      parts = await locateRpmKernel(root, what);
    }
    const describe = (p: RpmPackage) => ({ package: p.name, version: evrText(p), url: `${baseurl}/${p.href}`, rpm_sha256: p.sha256 });
    const origin: KernelOrigin = {
      kind: 'dnf',
      ...(plan.preset ? { preset: plan.preset } : {}),
      repository: baseurl,
      requested: plan.src.package,
      ...describe(pick.image),
      keyring_sha256: keyring.sha256,
      repomd_signed: repo.signed,
      extra_packages: taken.slice(1).map(describe),
    };
    const kernel = await storeKernel(ctx.cacheDir, scratch, parts, arch, origin);
    await writeFileAtomic(resolutionFile, JSON.stringify({ imageSha256: kernel.imageSha256, origin }) + '\n');
    return { ...kernel, origin };
  } finally {
    await verifier.close();
    await removeScratch(scratch);
  }
}
