import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { canonicalJson, sha256File, sha256Hex } from '../../../history/vocabulary/hash.ts';
import type { KernelOrigin, ResolveContext, ResolvedKernel } from './types.ts';
import { download } from './download.ts';
import { extractDebs, locateKernel } from './deb-extract.ts';
import { readKernelEntry, removeScratch, scratchDir, storeKernel } from './kernel-store.ts';

// kernel.deb: any kernel .deb by URL or path (Ubuntu, a custom build …) plus optional module .debs.
// Integrity comes from the optional sha256 pins (there is no signed index to chain to). A resolution is
// remembered per set of .deb hashes, so pinned URLs are not downloaded again.

export interface DebRef {
  package: string;
  sha256?: string | undefined;
}

const isUrl = (s: string): boolean => /^https?:\/\//.test(s);

interface Located {
  ref: DebRef;
  /** Local path once known (a user's file, or a download). */
  path: string | null;
  sha256: string | null;
}

async function hashLocal(ref: DebRef, profileId: string): Promise<Located> {
  const path = resolve(ref.package);
  try {
    if (!(await stat(path)).isFile()) throw new Error('not a file');
  } catch {
    throw new BpfcompatError('FILE_NOT_FOUND', `profile ${profileId}: kernel.deb package ${ref.package} does not exist`, { hint: 'give an existing .deb path or an http(s) URL' });
  }
  const sha256 = await sha256File(path);
  if (ref.sha256 !== undefined && sha256 !== ref.sha256) {
    throw new BpfcompatError('INTEGRITY', `profile ${profileId}: ${ref.package} has sha256 ${sha256}, the pin says ${ref.sha256}`, { hint: 'update the pin or use the intended file' });
  }
  return { ref, path, sha256 };
}

function originOf(all: Located[]): KernelOrigin {
  return { kind: 'deb', package: all[0]!.ref.package, deb_sha256: all[0]!.sha256!, extra_packages: all.slice(1).map((l) => ({ package: l.ref.package, deb_sha256: l.sha256! })) };
}

export async function resolveDeb(image: DebRef, modules: DebRef[], ctx: ResolveContext): Promise<ResolvedKernel> {
  const scratch = await scratchDir(ctx.cacheDir);
  try {
    const fetchOne = async (l: Located, i: number): Promise<Located> => {
      if (l.path) return l;
      if (ctx.offline) {
        throw new BpfcompatError('KERNEL_RESOLVE', `offline: ${l.ref.package} for profile ${ctx.profileId} is not in the cache`, { hint: 'run once without --offline, or pin its sha256' });
      }
      ctx.onProgress?.(`${ctx.profileId}: downloading ${l.ref.package}`);
      const got = await download(l.ref.package, join(scratch, 'debs', `${i}-${basename(new URL(l.ref.package).pathname) || 'package.deb'}`), {
        what: l.ref.package,
        ...(l.ref.sha256 !== undefined ? { sha256: l.ref.sha256 } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      return { ref: l.ref, path: got.path, sha256: got.sha256 };
    };
    let all: Located[] = await Promise.all(
      [image, ...modules].map((ref) => (isUrl(ref.package) ? { ref, path: null, sha256: ref.sha256 ?? null } : hashLocal(ref, ctx.profileId))),
    );
    // Unpinned URLs must be downloaded to learn what they hold; pinned ones only when not cached.
    for (let i = 0; i < all.length; i++) if (all[i]!.sha256 === null) all[i] = await fetchOne(all[i]!, i);
    const arch = ctx.arch ?? 'x86_64';
    const key = sha256Hex(canonicalJson(arch === 'x86_64' ? { v: 1, debs: all.map((l) => l.sha256) } : { v: 1, debs: all.map((l) => l.sha256), arch }));
    const resolutionFile = join(ctx.cacheDir, 'debs', 'resolutions', `${key}.json`);
    try {
      const { imageSha256 } = JSON.parse(await readFile(resolutionFile, 'utf8')) as { imageSha256: string };
      const known = await readKernelEntry(ctx.cacheDir, imageSha256);
      if (known) return { ...known, origin: originOf(all) };
    } catch {
      // not resolved before
    }
    for (let i = 0; i < all.length; i++) all[i] = await fetchOne(all[i]!, i);
    ctx.onProgress?.(`${ctx.profileId}: unpacking ${image.package}`);
    const root = join(scratch, 'root');
    try {
      await extractDebs(all.map((l) => l.path!), root);
    } catch (err) {
      // name what the user gave (the URL), not the scratch copy that is removed below
      if (!(err instanceof BpfcompatError)) throw err;
      let message = err.message;
      for (const l of all) if (l.path) message = message.split(l.path).join(l.ref.package);
      throw new BpfcompatError(err.code, `profile ${ctx.profileId}: ${message}`, err.hint === undefined ? {} : { hint: err.hint });
    }
    const parts = await locateKernel(root, image.package);
    const kernel = await storeKernel(ctx.cacheDir, scratch, parts, ctx.arch ?? 'x86_64', originOf(all));
    await writeFileAtomic(resolutionFile, JSON.stringify({ imageSha256: kernel.imageSha256 }) + '\n');
    // The cache entry may have been stored first by another source (the Debian catalog): the image is the
    // same, but the report names the package this profile gave.
    return { ...kernel, origin: originOf(all) };
  } finally {
    await removeScratch(scratch);
  }
}
