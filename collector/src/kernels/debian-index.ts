import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { download } from './download.ts';
import { parseStanzas, type Stanza } from './deb822.ts';
import { parseReleaseSha256, signedBody, verifyInRelease, type IndexEntry } from './inrelease.ts';

// The signed index chain of one suite: InRelease (gpgv) → Packages.xz (sha256 from InRelease).
// InRelease is re-fetched at most once an hour; Packages is cached by its sha256, so an unchanged
// index is never downloaded twice. Only the linux-* stanzas are kept: they are all the catalog reads,
// and they are ~2% of a 60 MB index.

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
const INRELEASE_MAX_AGE_MS = 3_600_000;
/** The index of one architecture (Debian's name: amd64, arm64). */
export const packagesPath = (debArch: string): string => `main/binary-${debArch}/Packages.xz`;

export interface SuiteRef {
  mirror: string;
  suite: string;
  /** Debian architecture of the index; amd64 when absent. */
  debArch?: string;
}

export interface IndexContext {
  cacheDir: string;
  offline: boolean;
  signal?: AbortSignal;
  onProgress?: (msg: string) => void;
  /** Re-fetch InRelease whatever its age (freshness checks must see what the archive has now). */
  refresh?: boolean;
}

const mirrorKey = (mirror: string): string => mirror.replace(/^[a-z]+:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_');
const suiteDir = (ctx: IndexContext, ref: SuiteRef): string => join(ctx.cacheDir, 'debian', 'suites', mirrorKey(ref.mirror), ref.suite);
const indexPath = (ctx: IndexContext, sha: string): string => join(ctx.cacheDir, 'debian', 'indexes', `${sha}.linux-packages`);

const offlineError = (what: string): BpfcompatError =>
  new BpfcompatError('KERNEL_RESOLVE', `offline: ${what} is not in the cache`, { hint: 'run once without --offline (and without BPFCOMPAT_OFFLINE=1) to fill the cache' });

/** The entry of the suite's Packages.xz from a verified InRelease (cached, at most an hour old unless offline). */
export async function packagesEntry(ref: SuiteRef, ctx: IndexContext): Promise<IndexEntry> {
  const dir = suiteDir(ctx, ref);
  const cached = join(dir, 'InRelease');
  const stampFile = join(dir, 'fetched.json');
  let fresh = false;
  try {
    const stamp = JSON.parse(await readFile(stampFile, 'utf8')) as { fetchedAt: number };
    fresh = ctx.offline || (!ctx.refresh && Date.now() - stamp.fetchedAt < INRELEASE_MAX_AGE_MS);
  } catch {
    if (ctx.offline) throw offlineError(`InRelease of ${ref.suite}`);
  }
  if (!fresh) {
    const url = `${ref.mirror}/dists/${ref.suite}/InRelease`;
    const tmp = join(dir, 'InRelease.new');
    await download(url, tmp, ctx.signal ? { signal: ctx.signal } : {});
    try {
      await verifyInRelease(tmp, { what: url });
      await writeFileAtomic(cached, await readFile(tmp));
    } finally {
      await rm(tmp, { force: true });
    }
    await writeFileAtomic(stampFile, JSON.stringify({ fetchedAt: Date.now(), url }) + '\n');
  }
  // Only verified bytes are ever stored under this name, so reading it back needs no second gpgv.
  const entries = parseReleaseSha256(signedBody(await readFile(cached, 'utf8')));
  const path = packagesPath(ref.debArch ?? 'amd64');
  const entry = entries.get(path);
  if (!entry) {
    throw new BpfcompatError('KERNEL_RESOLVE', `${ref.mirror}/dists/${ref.suite}/InRelease lists no ${path}`, {
      hint: `check the suite name and that the mirror carries ${ref.debArch ?? 'amd64'}`,
    });
  }
  return entry;
}

/** The linux-* stanzas of the suite's Packages index with the given sha256, downloading it once. */
export async function kernelStanzas(ref: SuiteRef, entry: IndexEntry, ctx: IndexContext): Promise<Stanza[]> {
  const excerpt = indexPath(ctx, entry.sha256);
  try {
    return parseStanzas(await readFile(excerpt, 'utf8'));
  } catch {
    if (ctx.offline) throw offlineError(`Packages index ${entry.sha256.slice(0, 12)} of ${ref.suite}`);
  }
  const url = `${ref.mirror}/dists/${ref.suite}/${packagesPath(ref.debArch ?? 'amd64')}`;
  ctx.onProgress?.(`downloading ${ref.suite} Packages index (${(entry.size / 1e6).toFixed(1)} MB)`);
  const xzFile = `${excerpt}.xz`;
  await download(url, xzFile, { sha256: entry.sha256, maxBytes: entry.size, what: url, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  try {
    const text = await linuxStanzasOf(xzFile);
    await writeFileAtomic(excerpt, text);
    return parseStanzas(text);
  } finally {
    await rm(xzFile, { force: true });
  }
}

/** Decompresses a Packages.xz and keeps the stanzas of packages named linux-*. */
async function linuxStanzasOf(xzFile: string): Promise<string> {
  const proc = execa('xz', ['-dc', xzFile], { buffer: false, stdin: 'ignore', stderr: 'ignore' });
  const kept: string[] = [];
  let current: string[] = [];
  let atStart = true;
  let keep = false;
  for await (const line of proc.iterable({ from: 'stdout' })) {
    const l = String(line);
    if (l === '') {
      if (keep) kept.push(current.join('\n'));
      current = [];
      atStart = true;
      continue;
    }
    if (atStart) keep = l.startsWith('Package: linux-');
    atStart = false;
    if (keep) current.push(l);
  }
  if (keep && current.length) kept.push(current.join('\n'));
  await proc;
  return kept.join('\n\n') + '\n';
}
