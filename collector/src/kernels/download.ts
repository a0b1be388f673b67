import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';

// Downloads stream to a temp file beside the destination while hashing, so a kernel .deb is never
// held in memory and a half-written file is never seen under its final name. Plain node:http(s), not fetch:
// undici's parser could fail an internal assertion (an uncaught AssertionError, killing the process with its
// temp files) when a body it had paused was abandoned.

/** The most any one download may hold (docs/limits.md): kernel packages are below 200 MiB. */
export const MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024;
const MAX_REDIRECTS = 5;

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
  /** Refuse a body larger than this (default MAX_DOWNLOAD_BYTES; an index's declared size where it has one). */
  maxBytes?: number;
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

/** GET with redirects followed (http and https only); resolves on the final response's headers. */
function request(url: string, signal: AbortSignal, redirects = 0): Promise<IncomingMessage> {
  return new Promise((resolveRes, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return reject(new BpfcompatError('DOWNLOAD', `${url}: not a URL`, { hint: 'give an http(s) URL or a local path' }));
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return reject(new BpfcompatError('DOWNLOAD', `${url}: only http and https URLs are fetched`, { hint: 'give an http(s) URL or a local path' }));
    const req = (u.protocol === 'https:' ? httpsGet : httpGet)(u, { signal }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) return reject(new BpfcompatError('DOWNLOAD', `${url}: more than ${MAX_REDIRECTS} redirects`, { hint: DOWNLOAD_HINT }));
        return request(new URL(res.headers.location, u).toString(), signal, redirects + 1).then(resolveRes, reject);
      }
      if (status !== 200) {
        res.resume();
        return reject(new HttpStatusError(status, url));
      }
      resolveRes(res);
    });
    req.on('error', reject);
  });
}

const mib = (n: number) => `${Math.round(n / 1048576)} MiB`;

async function attempt(url: string, dest: string, opts: DownloadOptions): Promise<Downloaded> {
  const idle = new AbortController();
  const idleMs = opts.idleTimeoutMs ?? 30_000;
  let timer = setTimeout(() => idle.abort(new Error(`no data for ${idleMs / 1000}s`)), idleMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, idle.signal]) : idle.signal;
  const tmp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString('hex')}.part`);
  const maxBytes = opts.maxBytes ?? MAX_DOWNLOAD_BYTES;
  const tooLarge = () => new BpfcompatError('DOWNLOAD', `${opts.what ?? url}: ${opts.maxBytes !== undefined ? `more than the ${maxBytes} bytes expected` : `larger than the ${mib(maxBytes)} download limit`}; nothing kept`, {
    hint: 'a kernel package is below 200 MiB: check the URL (docs/limits.md)',
  });
  try {
    const res = await request(url, signal);
    const declared = Number(res.headers['content-length'] ?? NaN);
    if (declared > maxBytes) {
      res.destroy();
      throw tooLarge();
    }
    await mkdir(dirname(dest), { recursive: true });
    const fh = await open(tmp, 'w');
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        clearTimeout(timer);
        timer = setTimeout(() => idle.abort(new Error(`no data for ${idleMs / 1000}s`)), idleMs);
        size += chunk.byteLength;
        if (size > maxBytes) {
          res.destroy();
          throw tooLarge();
        }
        hash.update(chunk);
        await fh.write(chunk);
      }
      if (!res.complete) throw new Error('the connection closed before the body ended');
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
        throw new BpfcompatError('DOWNLOAD', `download of ${url} interrupted; its partial file was removed`, { hint: 'run again: finished downloads are in the cache, this one starts over', cause: err });
      }
      lastErr = err;
      if (!transient(err)) break;
    }
  }
  const e = lastErr as Error & { code?: string; cause?: { code?: string; message?: string } };
  const why = e.cause?.code ?? e.code ?? e.cause?.message ?? e.message;
  throw new BpfcompatError('DOWNLOAD', `cannot download ${url}: ${why}`, { hint: DOWNLOAD_HINT, cause: lastErr });
}
