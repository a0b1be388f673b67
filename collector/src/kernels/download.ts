import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';

// Downloads stream to a temp file beside the destination while hashing, so a kernel .deb is never
// held in memory and a half-written file is never seen under its final name.

export const DOWNLOAD_HINT = 'check network access to the Debian archive or use --offline';

export interface DownloadOptions {
  signal?: AbortSignal;
  /** Abort when no byte arrives for this long (a whole-transfer limit would punish slow links). */
  idleTimeoutMs?: number;
  /** Expected sha256; on mismatch the file is removed and INTEGRITY is thrown. */
  sha256?: string;
  /** Name of what is checked, for the error message (defaults to the URL). */
  what?: string;
  retries?: number;
}

export interface Downloaded {
  path: string;
  sha256: string;
  size: number;
}

class HttpStatusError extends Error {
  readonly status: number;
  constructor(status: number, url: string) {
    super(`HTTP ${status} for ${url}`);
    this.status = status;
  }
}

const transient = (err: unknown): boolean =>
  !(err instanceof HttpStatusError) || err.status >= 500 || err.status === 429 || err.status === 408;

async function attempt(url: string, dest: string, opts: DownloadOptions): Promise<Downloaded> {
  const idle = new AbortController();
  const idleMs = opts.idleTimeoutMs ?? 30_000;
  let timer = setTimeout(() => idle.abort(new Error(`no data for ${idleMs / 1000}s`)), idleMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, idle.signal]) : idle.signal;
  const tmp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString('hex')}.part`);
  try {
    const res = await fetch(url, { signal, redirect: 'follow' });
    if (!res.ok || !res.body) throw new HttpStatusError(res.status, url);
    await mkdir(dirname(dest), { recursive: true });
    const fh = await open(tmp, 'w');
    const hash = createHash('sha256');
    let size = 0;
    try {
      // Node's web streams are async-iterable at run time; the lib typings here do not say so.
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(timer);
        timer = setTimeout(() => idle.abort(new Error(`no data for ${idleMs / 1000}s`)), idleMs);
        hash.update(chunk);
        size += chunk.byteLength;
        await fh.write(chunk);
      }
    } finally {
      await fh.close();
    }
    const sha256 = hash.digest('hex');
    if (opts.sha256 !== undefined && sha256 !== opts.sha256) {
      throw new BpfcompatError('INTEGRITY', `${opts.what ?? url}: sha256 ${sha256} does not match the expected ${opts.sha256}`, {
        hint: 'the mirror served different bytes than its signed index or your pin says; retry later or check the pin',
      });
    }
    await rename(tmp, dest);
    return { path: dest, sha256, size };
  } finally {
    clearTimeout(timer);
    await rm(tmp, { force: true });
  }
}

/** Fetches url into dest (atomically), retrying transient failures twice. */
export async function download(url: string, dest: string, opts: DownloadOptions = {}): Promise<Downloaded> {
  const retries = opts.retries ?? 2;
  let lastErr: unknown;
  for (let i = 0; i <= retries; i++) {
    if (i > 0) await sleep(500 * 2 ** (i - 1), undefined, opts.signal ? { signal: opts.signal } : {});
    try {
      return await attempt(url, dest, opts);
    } catch (err) {
      if (err instanceof BpfcompatError) throw err;
      if (opts.signal?.aborted) {
        throw new BpfcompatError('DOWNLOAD', `download of ${url} interrupted`, { hint: 'run again to resume from the cache', cause: err });
      }
      lastErr = err;
      if (!transient(err)) break;
    }
  }
  const e = lastErr as Error & { cause?: { code?: string; message?: string } };
  const why = e.cause?.code ?? e.cause?.message ?? e.message;
  throw new BpfcompatError('DOWNLOAD', `cannot download ${url}: ${why}`, { hint: DOWNLOAD_HINT, cause: lastErr });
}
