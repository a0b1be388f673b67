import { readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { sha256File } from '../../../../history/vocabulary/hash.ts';
import { writeFileAtomic } from '../../infra/fs.ts';
import { cacheRoot } from '../../infra/xdg.ts';

// A base image's sha256 is its identity in the result key, but hashing a 1 GB cloud image on every run costs
// seconds: the digest is cached by real path, size and mtime (any rewrite of the file changes one of them).

const Entry = z.object({ size: z.number(), mtime_ms: z.number(), sha256: z.string() });
const CacheFile = z.record(z.string(), Entry);

export interface HashCacheOptions {
  cacheDir?: string | undefined;
  /** Tests count how often the file is really read. */
  hash?: (path: string) => Promise<string>;
}

export async function cachedImageSha256(path: string, opts: HashCacheOptions = {}): Promise<string> {
  const real = await realpath(path);
  const st = await stat(real);
  const cachePath = join(opts.cacheDir ?? cacheRoot(), 'image-hashes.json');
  const cache = await readCache(cachePath);
  const hit = cache[real];
  if (hit && hit.size === st.size && hit.mtime_ms === st.mtimeMs) return hit.sha256;
  const sha256 = await (opts.hash ?? sha256File)(real);
  // Re-read before writing so concurrent runs hashing other images do not drop each other's entries.
  const fresh = await readCache(cachePath);
  fresh[real] = { size: st.size, mtime_ms: st.mtimeMs, sha256 };
  await writeFileAtomic(cachePath, `${JSON.stringify(fresh, null, 2)}\n`);
  return sha256;
}

async function readCache(path: string): Promise<z.infer<typeof CacheFile>> {
  try {
    const parsed = CacheFile.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}
