import { readFile, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { BpfcompatError } from '../../../../history/vocabulary/errors.ts';
import { writeFileAtomic } from '../../infra/fs.ts';
import { download } from '../download.ts';
import { parseStanzas, type Stanza } from '../deb822.ts';
import { parseReleaseSha256, signedBody, verifyInRelease, type IndexEntry } from '../inrelease.ts';

// The signed index chain of any apt repository, as apt's acquire does it: dists/<suite>/InRelease checked by
// gpgv against the profile's keyring → <component>/binary-<arch>/Packages(.xz|.gz) checked against the sha256
// InRelease lists → each .deb checked against the sha256 Packages lists (apt-source.ts). InRelease is
// re-fetched at most once an hour and re-verified against the profile's keyring on every read (a cached file
// verified by another profile's key proves nothing here); Packages is kept by its sha256, reduced to the fields
// the resolver reads.

const INRELEASE_MAX_AGE_MS = 3_600_000;
const KEPT_FIELDS = ['Package', 'Version', 'Architecture', 'Depends', 'Pre-Depends', 'Provides', 'Filename', 'Size', 'SHA256'] as const;

export interface AptRef {
  /** Repository root, no trailing slash (http://archive.ubuntu.com/ubuntu). */
  url: string;
  suite: string;
  component: string;
  /** Debian architecture name (amd64, arm64). */
  debArch: string;
  /** Binary keyring file gpgv checks InRelease against. */
  keyring: string;
}

export interface AptIndexContext {
  cacheDir: string;
  offline: boolean;
  signal?: AbortSignal;
  onProgress?: (msg: string) => void;
  /** Error prefix: "profile <id>: kernel.apt". */
  where: string;
  /** Re-fetch InRelease whatever its age. */
  refresh?: boolean;
}

export interface PackagesIndex {
  /** The Packages file InRelease names (path under dists/<suite>/). */
  path: string;
  entry: IndexEntry;
  /** InRelease says Acquire-By-Hash: yes, so the file is also at .../by-hash/SHA256/<sha256>, which never changes. */
  byHash: boolean;
}

const urlKey = (url: string): string => url.replace(/^[a-z]+:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_');
const suiteDir = (ctx: AptIndexContext, ref: AptRef): string => join(ctx.cacheDir, 'apt', 'suites', urlKey(ref.url), ref.suite);
const excerptPath = (ctx: AptIndexContext, sha: string): string => join(ctx.cacheDir, 'apt', 'indexes', `${sha}.packages`);

const offlineError = (ctx: AptIndexContext, what: string): BpfcompatError =>
  new BpfcompatError('KERNEL_RESOLVE', `${ctx.where}: offline: ${what} is not in the cache`, { hint: 'run once without --offline (and without BPFCOMPAT_OFFLINE=1) to fill the cache' });

async function fetchInRelease(ref: AptRef, ctx: AptIndexContext, dir: string): Promise<void> {
  const url = `${ref.url}/dists/${ref.suite}/InRelease`;
  const tmp = join(dir, 'InRelease.new');
  try {
    await download(url, tmp, { what: `${ctx.where}: ${url}`, ...(ctx.signal ? { signal: ctx.signal } : {}) }).catch((err: unknown) => {
      if (err instanceof BpfcompatError && err.code === 'DOWNLOAD') {
        throw new BpfcompatError('DOWNLOAD', `${ctx.where}: cannot fetch ${url} (${err.message.replace(/^cannot download \S+: /, '')})`, {
          hint: 'check the repository url and suite, and that the repository is reachable',
        });
      }
      throw err;
    });
    await verifyInRelease(tmp, { keyrings: [ref.keyring], what: `${ctx.where}: ${url}`, hint: 'the repository is not signed by the profile\'s keyring: check the keyring file, or do not use this repository' });
    await writeFileAtomic(join(dir, 'InRelease'), await readFile(tmp));
  } finally {
    await rm(tmp, { force: true });
  }
  await writeFileAtomic(join(dir, 'fetched.json'), JSON.stringify({ fetchedAt: Date.now(), url }) + '\n');
}

/** The Packages index of the component from the suite's verified InRelease. */
export async function aptPackagesIndex(ref: AptRef, ctx: AptIndexContext): Promise<PackagesIndex> {
  const dir = suiteDir(ctx, ref);
  const cached = join(dir, 'InRelease');
  let fresh = false;
  try {
    const stamp = JSON.parse(await readFile(join(dir, 'fetched.json'), 'utf8')) as { fetchedAt: number };
    fresh = ctx.offline || (!ctx.refresh && Date.now() - stamp.fetchedAt < INRELEASE_MAX_AGE_MS);
  } catch {
    if (ctx.offline) throw offlineError(ctx, `InRelease of ${ref.url} ${ref.suite}`);
  }
  if (fresh) {
    // Verified when stored, but perhaps against another profile's key: this profile's key must sign it too.
    const ok = await verifyInRelease(cached, { keyrings: [ref.keyring], what: `${ctx.where}: ${ref.url}/dists/${ref.suite}/InRelease` }).then(() => true, (err: unknown) => {
      if (ctx.offline) throw err;
      return false;
    });
    if (!ok) fresh = false;
  }
  if (!fresh) await fetchInRelease(ref, ctx, dir);
  const body = signedBody(await readFile(cached, 'utf8'));
  const entries = parseReleaseSha256(body);
  const byHash = /^Acquire-By-Hash:\s*yes\s*$/im.test(body);
  const base = `${ref.component}/binary-${ref.debArch}/Packages`;
  for (const path of [`${base}.xz`, `${base}.gz`, base]) {
    const entry = entries.get(path);
    if (entry) return { path, entry, byHash };
  }
  throw new BpfcompatError('KERNEL_RESOLVE', `${ctx.where}: ${ref.url}/dists/${ref.suite}/InRelease lists no ${base}`, {
    hint: `check the suite and component, and that the repository carries ${ref.debArch}`,
  });
}

async function decompress(file: string, path: string): Promise<string> {
  if (path.endsWith('.xz')) return String((await execa('xz', ['-dc', file], { stdin: 'ignore', maxBuffer: 1 << 30 })).stdout);
  const bytes = await readFile(file);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** Only the fields the resolver reads, so a cached index is a fraction of the repository's. */
function excerpt(stanzas: Stanza[]): string {
  return stanzas
    .map((s) => KEPT_FIELDS.filter((f) => s[f] !== undefined).map((f) => `${f}: ${s[f]!.replace(/\n/g, ' ')}`).join('\n'))
    .join('\n\n') + '\n';
}

/** The stanzas of a Packages index, downloaded once per sha256 and checked against it. */
export async function aptStanzas(ref: AptRef, index: PackagesIndex, ctx: AptIndexContext): Promise<Stanza[]> {
  const file = excerptPath(ctx, index.entry.sha256);
  try {
    return parseStanzas(await readFile(file, 'utf8'));
  } catch {
    if (ctx.offline) throw offlineError(ctx, `Packages index ${index.entry.sha256.slice(0, 12)} of ${ref.suite}`);
  }
  // By hash where the repository offers it (Debian, Ubuntu): a mirror that published a newer index between our
  // InRelease and this download still serves the one InRelease names, as apt fetches it.
  const url = index.byHash
    ? `${ref.url}/dists/${ref.suite}/${posix.dirname(index.path)}/by-hash/SHA256/${index.entry.sha256}`
    : `${ref.url}/dists/${ref.suite}/${index.path}`;
  ctx.onProgress?.(`downloading ${ref.suite} ${ref.component} Packages index (${(index.entry.size / 1e6).toFixed(1)} MB)`);
  const raw = `${file}.download`;
  await download(url, raw, { sha256: index.entry.sha256, maxBytes: index.entry.size, what: `${ctx.where}: ${url} (listed in the signed InRelease)`, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  try {
    const text = excerpt(parseStanzas(await decompress(raw, index.path)));
    await writeFileAtomic(file, text);
    return parseStanzas(text);
  } finally {
    await rm(raw, { force: true });
  }
}
