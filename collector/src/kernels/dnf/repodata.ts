import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { BpfcompatError } from '../../../../history/vocabulary/errors.ts';
import { writeFileAtomic } from '../../infra/fs.ts';
import { download } from '../download.ts';
import { verifyDetached } from './detached.ts';
import type { Evr } from './rpm-version.ts';

// The metadata chain of a dnf/yum repository, as librepo walks it: repodata/repomd.xml (checked against its
// detached repomd.xml.asc when the repository publishes one) names the primary metadata and its sha256; the
// primary (gz, xz, zst or bz2) lists every package with its sha256. Packages are then checked twice
// (dnf-source.ts): the sha256 from primary, and the rpm's own OpenPGP signature against the profile's key.
// repomd.xml is re-fetched at most once an hour; primary is kept by its sha256, reduced to the kernel packages.

const REPOMD_MAX_AGE_MS = 3_600_000;

export interface RpmPackage extends Evr {
  name: string;
  arch: string;
  /** sha256 of the .rpm from primary. */
  sha256: string;
  size: number;
  /** Path relative to the baseurl. */
  href: string;
}

export interface DnfContext {
  cacheDir: string;
  offline: boolean;
  signal?: AbortSignal;
  onProgress?: (msg: string) => void;
  /** Error prefix: "profile <id>: kernel.dnf". */
  where: string;
  /** Re-fetch repomd.xml whatever its age. */
  refresh?: boolean;
}

export interface PrimaryRef {
  href: string;
  sha256: string;
  size: number;
  /** Whether repomd.xml carried a signature that verified. */
  signed: boolean;
}

const urlKey = (url: string): string => url.replace(/^[a-z]+:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_');
const attr = (tag: string, name: string): string | undefined => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];
const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** The primary entry of a repomd.xml. Pure. */
export function parseRepomd(xml: string): { href: string; sha256: string; size: number } | null {
  for (const m of xml.matchAll(/<data\s+type="primary"\s*>([\s\S]*?)<\/data>/g)) {
    const body = m[1]!;
    const sum = /<checksum\s+type="sha256"\s*>([0-9a-f]{64})<\/checksum>/.exec(body);
    const loc = /<location\s[^>]*href="([^"]+)"/.exec(body);
    const size = /<size>(\d+)<\/size>/.exec(body);
    if (sum && loc) return { href: unescape(loc[1]!), sha256: sum[1]!, size: size ? Number(size[1]) : 0 };
  }
  return null;
}

/** The packages of a primary.xml whose name passes `keep`. Pure. */
export function parsePrimary(xml: string, keep: (name: string) => boolean): RpmPackage[] {
  const out: RpmPackage[] = [];
  for (const m of xml.matchAll(/<package\s+type="rpm"\s*>([\s\S]*?)<\/package>/g)) {
    const body = m[1]!;
    const name = /<name>([^<]+)<\/name>/.exec(body)?.[1];
    if (!name || !keep(name)) continue;
    const arch = /<arch>([^<]+)<\/arch>/.exec(body)?.[1];
    const version = /<version\s[^>]*\/>/.exec(body)?.[0];
    const sum = /<checksum\s+type="sha256"[^>]*>([0-9a-f]{64})<\/checksum>/.exec(body)?.[1];
    const size = /<size\s[^>]*package="(\d+)"/.exec(body)?.[1];
    const loc = /<location\s[^>]*href="([^"]+)"/.exec(body)?.[1];
    if (!arch || !version || !sum || !loc) continue;
    out.push({
      name, arch, sha256: sum, size: Number(size ?? 0), href: unescape(loc),
      epoch: Number(attr(version, 'epoch') ?? 0), ver: attr(version, 'ver') ?? '', rel: attr(version, 'rel') ?? '',
    });
  }
  return out;
}

const offlineError = (ctx: DnfContext, what: string): BpfcompatError =>
  new BpfcompatError('KERNEL_RESOLVE', `${ctx.where}: offline: ${what} is not in the cache`, { hint: 'run once without --offline (and without BPFCOMPAT_OFFLINE=1) to fill the cache' });

/** repomd.xml of the repository (verified against `keyring` when it is signed) → the primary's entry. */
export async function primaryRef(baseurl: string, keyring: string, ctx: DnfContext): Promise<PrimaryRef> {
  const dir = join(ctx.cacheDir, 'dnf', 'repos', urlKey(baseurl));
  const cached = join(dir, 'repomd.json');
  try {
    const c = JSON.parse(await readFile(cached, 'utf8')) as PrimaryRef & { fetchedAt: number; keyring: string };
    if (c.keyring === keyring && (ctx.offline || (!ctx.refresh && Date.now() - c.fetchedAt < REPOMD_MAX_AGE_MS))) return c;
  } catch {
    if (ctx.offline) throw offlineError(ctx, `repodata/repomd.xml of ${baseurl}`);
  }
  const url = `${baseurl}/repodata/repomd.xml`;
  const tmp = join(dir, 'repomd.xml.new');
  const sig = join(dir, 'repomd.xml.asc.new');
  try {
    await download(url, tmp, { what: `${ctx.where}: ${url}`, ...(ctx.signal ? { signal: ctx.signal } : {}) }).catch((err: unknown) => {
      if (err instanceof BpfcompatError && err.code === 'DOWNLOAD') {
        throw new BpfcompatError('DOWNLOAD', `${ctx.where}: cannot fetch ${url} (${err.message.replace(/^cannot download \S+: /, '')})`, { hint: 'check the baseurl and that the repository is reachable' });
      }
      throw err;
    });
    // repomd.xml.asc is optional (Fedora and RHEL rebuilds sign packages, not all sign repomd.xml); when present it must verify.
    const signed = await download(`${url}.asc`, sig, { retries: 0, ...(ctx.signal ? { signal: ctx.signal } : {}) }).then(() => true, (err: unknown) => {
      if (err instanceof BpfcompatError && err.code === 'DOWNLOAD' && /HTTP 404/.test(err.message)) return false;
      throw err;
    });
    if (signed) await verifyDetached(tmp, sig, keyring, `${ctx.where}: ${url}.asc`);
    const ref = parseRepomd(await readFile(tmp, 'utf8'));
    if (!ref) throw new BpfcompatError('KERNEL_RESOLVE', `${ctx.where}: ${url} names no primary metadata`, { hint: 'check kernel.dnf.baseurl: it must be the directory that holds repodata/' });
    const out: PrimaryRef = { ...ref, signed };
    await writeFileAtomic(cached, JSON.stringify({ ...out, fetchedAt: Date.now(), keyring }) + '\n');
    return out;
  } finally {
    await rm(tmp, { force: true });
    await rm(sig, { force: true });
  }
}

async function decompress(file: string, href: string): Promise<string> {
  const tool = href.endsWith('.xz') ? ['xz', '-dc'] : href.endsWith('.zst') ? ['zstd', '-dc', '-q'] : href.endsWith('.bz2') ? ['bzip2', '-dc'] : null;
  if (tool) return String((await execa(tool[0]!, [...tool.slice(1), file], { stdin: 'ignore', maxBuffer: 1 << 30 })).stdout);
  const bytes = await readFile(file);
  return (href.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** The kernel packages (names starting with "kernel") of the primary metadata, downloaded once per sha256. */
export async function kernelPackages(baseurl: string, ref: PrimaryRef, ctx: DnfContext): Promise<RpmPackage[]> {
  const file = join(ctx.cacheDir, 'dnf', 'primary', `${ref.sha256}.kernel.json`);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as RpmPackage[];
  } catch {
    if (ctx.offline) throw offlineError(ctx, `primary metadata ${ref.sha256.slice(0, 12)} of ${baseurl}`);
  }
  const url = `${baseurl}/${ref.href}`;
  ctx.onProgress?.(`downloading primary metadata (${(ref.size / 1e6).toFixed(1)} MB)`);
  const raw = `${file}.download`;
  await download(url, raw, { sha256: ref.sha256, ...(ref.size > 0 ? { maxBytes: ref.size } : {}), what: `${ctx.where}: ${url} (listed in repomd.xml)`, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  try {
    const pkgs = parsePrimary(await decompress(raw, ref.href), (n) => n.startsWith('kernel'));
    await writeFileAtomic(file, JSON.stringify(pkgs) + '\n');
    return pkgs;
  } finally {
    await rm(raw, { force: true });
  }
}
