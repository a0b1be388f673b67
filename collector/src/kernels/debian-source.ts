import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { canonicalJson, sha256Hex } from '../../../history/vocabulary/hash.ts';
import type { DebianKernelSource } from '../config/matrix.ts';
import { DEBIAN_ARCH, type KernelArch, type ResolvedKernel } from './types.ts';
import { DEFAULT_MIRROR, kernelStanzas, packagesEntry, type IndexContext } from './debian-index.ts';
import { kernelCandidates, pickKernel, type IndexPackage, type KernelPick } from './pick.ts';
import { compareDebianVersions } from './dpkg-version.ts';
import { download } from './download.ts';
import { extractDebs, locateKernel } from './deb-extract.ts';
import { readKernelEntry, removeScratch, scratchDir, storeKernel } from './kernel-store.ts';

// kernel.debian: the newest (or pinned) kernel of a suite, through the signed chain
// InRelease → Packages → .deb. A resolution is remembered per (source, Packages sha256): while the
// index does not change, a re-resolve reads two small files and downloads nothing.

export interface ResolveContext extends IndexContext {
  profileId: string;
  /** The profile's CPU; x86_64 when absent. */
  arch?: KernelArch;
}

// Every field that changes which kernel is picked. A new DebianKernelSource option must be added
// here, or two profiles that differ in it would share a resolution (resolution-key test pins this).
// The profile's arch is named only when it is not x86_64, so the keys of existing x86_64 resolutions stay valid.
// The pocket is named only when it adds suites, so release-pocket keys are the keys from before pockets existed;
// packagesSha256 then lists every pocket's index.
export function resolutionKey(src: DebianKernelSource, mirror: string, packagesSha256: string, arch: KernelArch = 'x86_64'): string {
  const pocket = pocketOf(src);
  const base = { v: 1, mirror, suite: src.suite, flavour: src.flavour, version: src.version ?? null, pin: src.sha256 ?? null, packagesSha256 };
  const fields = pocket === 'release' ? base : { ...base, v: 2, pocket };
  return sha256Hex(canonicalJson(arch === 'x86_64' ? fields : { ...fields, arch }));
}

/** Suites with -updates and -security pockets; sid, testing and backports have none that carry kernels. */
const POCKETED = new Set(['bullseye', 'bookworm', 'trixie', 'stable', 'oldstable']);

export function pocketOf(src: DebianKernelSource): 'release' | 'security' | 'updates' {
  if (!POCKETED.has(src.suite)) return 'release';
  return src.pocket ?? 'updates';
}

/** The (mirror, suite) pairs a profile's kernel may come from; the security archive is a mirror of its own. */
export function debianPockets(src: DebianKernelSource, mirror: string): Array<{ mirror: string; suite: string }> {
  const pocket = pocketOf(src);
  // deb.debian.org/debian-security beside deb.debian.org/debian (https://www.debian.org/security/: the
  // sources.list line for security updates); a custom mirror is expected to lay it out the same way.
  const security = { mirror: mirror.replace(/\/debian$/, '') + '/debian-security', suite: `${src.suite}-security` };
  if (pocket === 'release') return [{ mirror, suite: src.suite }];
  if (pocket === 'security') return [{ mirror, suite: src.suite }, security];
  return [{ mirror, suite: src.suite }, { mirror, suite: `${src.suite}-updates` }, security];
}

const resolutionFile = (ctx: IndexContext, key: string): string => join(ctx.cacheDir, 'debian', 'resolutions', `${key}.json`);

async function remembered(ctx: IndexContext, key: string): Promise<ResolvedKernel | null> {
  try {
    const { imageSha256 } = JSON.parse(await readFile(resolutionFile(ctx, key), 'utf8')) as { imageSha256: string };
    return await readKernelEntry(ctx.cacheDir, imageSha256);
  } catch {
    return null;
  }
}

function noMatch(ctx: ResolveContext, src: DebianKernelSource, stanzasKernels: KernelPick[]): BpfcompatError {
  const what = `linux-image-*-${src.flavour}`;
  if (src.version !== undefined) {
    const avail = stanzasKernels.slice(0, 6).map((k) => k.version).join(', ');
    return new BpfcompatError('KERNEL_RESOLVE', `profile ${ctx.profileId}: no ${what} version ${src.version} in ${src.suite} main (available: ${avail || 'none'})`, {
      hint: 'drop kernel.debian.version for the newest, or pick one of the available versions',
    });
  }
  return new BpfcompatError('KERNEL_RESOLVE', `profile ${ctx.profileId}: no ${what} in ${src.suite} main (${DEBIAN_ARCH[ctx.arch ?? 'x86_64']})`, {
    hint: ctx.arch === 'arm64' ? 'check kernel.debian.flavour (e.g. cloud-arm64, arm64) and suite' : 'check kernel.debian.flavour (e.g. cloud-amd64, amd64, rt-amd64) and suite',
  });
}

export interface DebianChoice {
  pick: KernelPick;
  mirror: string;
  suite: string;
}

/**
 * The kernel the profile resolves to (best) and every kernel of the flavour its pockets carry (all, newest first),
 * from the verified indexes; downloads no kernel.
 */
export async function debianChoices(src: DebianKernelSource, ctx: ResolveContext): Promise<{ best: DebianChoice | null; all: DebianChoice[] }> {
  const mainMirror = (src.mirror ?? DEFAULT_MIRROR).replace(/\/+$/, '');
  const pockets = debianPockets(src, mainMirror).map((p) => ({ ...p, debArch: DEBIAN_ARCH[ctx.arch ?? 'x86_64'] }));
  let best: DebianChoice | null = null;
  const all: DebianChoice[] = [];
  // An updated machine stays on its release's kernel series: bookworm-security also carries linux-6.12 for
  // those who opt in, but linux-image-cloud-amd64 there still depends on 6.1. Pockets are held to the series
  // of the release pocket's kernel (6.1.x), unless a version is pinned.
  let series: string | null = null;
  for (const [i, ref] of pockets.entries()) {
    const stanzas = await kernelStanzas(ref, await packagesEntry(ref, ctx), { ...ctx, onProgress: (m) => ctx.onProgress?.(`${ctx.profileId}: ${m}`) });
    const found = kernelCandidates(stanzas, src.flavour);
    all.push(...found.map((pick) => ({ pick, mirror: ref.mirror, suite: ref.suite })));
    const p = src.version !== undefined
      ? pickKernel(stanzas, src.flavour, src.version)
      : found.find((c) => series === null || c.version.startsWith(series)) ?? null;
    if (i === 0 && p && src.version === undefined) series = /^\d+\.\d+\./.exec(p.version)?.[0] ?? null;
    if (p && (!best || compareDebianVersions(p.version, best.pick.version) > 0)) best = { pick: p, mirror: ref.mirror, suite: ref.suite };
  }
  return { best, all: all.sort((a, b) => compareDebianVersions(b.pick.version, a.pick.version)) };
}

export async function resolveDebian(src: DebianKernelSource, ctx: ResolveContext): Promise<ResolvedKernel> {
  const mainMirror = (src.mirror ?? DEFAULT_MIRROR).replace(/\/+$/, '');
  const arch = ctx.arch ?? 'x86_64';
  const pockets = debianPockets(src, mainMirror).map((p) => ({ ...p, debArch: DEBIAN_ARCH[arch] }));
  const entries = [];
  for (const ref of pockets) entries.push(await packagesEntry(ref, ctx));
  const key = resolutionKey(src, mainMirror, entries.map((e) => e.sha256).join(','), arch);
  const known = await remembered(ctx, key);
  if (known) return known;

  const { best, all } = await debianChoices(src, ctx);
  if (!best) throw noMatch(ctx, src, all.map((c) => c.pick));
  const { pick, mirror } = best;
  if (src.sha256 !== undefined && pick.image.sha256 !== src.sha256) {
    throw new BpfcompatError('INTEGRITY', `profile ${ctx.profileId}: kernel.debian.sha256 ${src.sha256} does not match ${pick.image.package} ${pick.version} (${pick.image.sha256} in the signed ${src.suite} index)`, {
      hint: 'update the pin, or add kernel.debian.version to stay on the pinned package',
    });
  }
  if (ctx.offline) {
    throw new BpfcompatError('KERNEL_RESOLVE', `offline: ${pick.image.package} ${pick.version} for profile ${ctx.profileId} is not in the cache`, {
      hint: 'run `bpfcompat kernels fetch` once without --offline',
    });
  }

  const scratch = await scratchDir(ctx.cacheDir);
  try {
    const pkgs: IndexPackage[] = [pick.image, ...pick.extras];
    const debs: string[] = [];
    for (const p of pkgs) {
      const url = `${mirror}/${p.filename}`;
      ctx.onProgress?.(`${ctx.profileId}: downloading ${p.package} ${p.version} (${(p.size / 1e6).toFixed(1)} MB)`);
      const dest = join(scratch, 'debs', `${p.package}.deb`);
      await download(url, dest, { sha256: p.sha256, maxBytes: p.size, what: `${p.package} ${p.version}`, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      debs.push(dest);
    }
    ctx.onProgress?.(`${ctx.profileId}: unpacking ${pick.image.package}`);
    const root = join(scratch, 'root');
    await extractDebs(debs, root);
    const parts = await locateKernel(root, `${pick.image.package} ${pick.version}`);
    const describe = (p: IndexPackage) => ({ package: p.package, version: p.version, url: `${mirror}/${p.filename}`, deb_sha256: p.sha256 });
    const kernel = await storeKernel(ctx.cacheDir, scratch, parts, arch, {
      kind: 'debian',
      suite: src.suite,
      ...(best.suite !== src.suite ? { pocket: best.suite } : {}),
      flavour: src.flavour,
      ...describe(pick.image),
      extra_packages: pick.extras.map(describe),
    });
    await writeFileAtomic(resolutionFile(ctx, key), JSON.stringify({ imageSha256: kernel.imageSha256, package: pick.image.package, version: pick.version }) + '\n');
    return kernel;
  } finally {
    await removeScratch(scratch);
  }
}
