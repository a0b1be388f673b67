import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { canonicalJson, sha256File, sha256Hex } from '../../../history/vocabulary/hash.ts';
import type { KernelOrigin, ResolveContext, ResolvedKernel } from './types.ts';
import { download } from './download.ts';
import { extractRpms, locateRpmKernel } from './rpm-extract.ts';
import { readKernelEntry, removeScratch, scratchDir, storeKernel } from './kernel-store.ts';

// kernel.rpm: a kernel .rpm (Fedora, RHEL, openSUSE, a self-built one) by URL or path, plus optional
// module .rpms. There is no signed index to chain to, so a URL must carry its sha256 (a download is always
// verified); a local file is hashed as it is. A resolution is remembered per set of .rpm hashes, so pinned
// URLs are downloaded once.

export interface RpmRef {
  package: string;
  sha256?: string | undefined;
}

const isUrl = (s: string): boolean => /^https?:\/\//.test(s);

interface Located {
  ref: RpmRef;
  /** The matrix key this ref came from, for errors. */
  key: string;
  /** Local path once known (a user's file, or a download). */
  path: string | null;
  sha256: string;
}

async function locate(ref: RpmRef, key: string, profileId: string): Promise<Located> {
  if (isUrl(ref.package)) {
    if (ref.sha256 === undefined) {
      throw new BpfcompatError('CONFIG_INVALID', `profile ${profileId}: ${key} ${ref.package} is a URL without sha256 (a downloaded kernel must be verified)`, {
        hint: `add ${key.replace(/\.package$/, '')}.sha256: <sha256sum of the .rpm>`,
      });
    }
    return { ref, key, path: null, sha256: ref.sha256 };
  }
  const path = resolve(ref.package);
  const isFile = await stat(path).then((s) => s.isFile(), () => false);
  if (!isFile) throw new BpfcompatError('FILE_NOT_FOUND', `profile ${profileId}: ${key} ${ref.package} does not exist`, { hint: 'give an existing .rpm path or an http(s) URL with sha256' });
  const sha256 = await sha256File(path);
  if (ref.sha256 !== undefined && sha256 !== ref.sha256) {
    throw new BpfcompatError('INTEGRITY', `profile ${profileId}: ${key} ${ref.package} has sha256 ${sha256}, the pin says ${ref.sha256}`, { hint: 'update the pin or use the intended file' });
  }
  return { ref, key, path, sha256 };
}

function originOf(all: Located[]): KernelOrigin {
  return { kind: 'rpm', package: all[0]!.ref.package, rpm_sha256: all[0]!.sha256, extra_packages: all.slice(1).map((l) => ({ package: l.ref.package, rpm_sha256: l.sha256 })) };
}

/** The resolution key: the .rpm hashes in order, and the CPU when it is not x86_64. Pure. */
export function rpmResolutionKey(sha256s: string[], arch: 'x86_64' | 'arm64'): string {
  return sha256Hex(canonicalJson(arch === 'x86_64' ? { v: 1, rpms: sha256s } : { v: 1, rpms: sha256s, arch }));
}

export async function resolveRpm(image: RpmRef, modules: RpmRef[], ctx: ResolveContext): Promise<ResolvedKernel> {
  const all = await Promise.all([
    locate(image, 'kernel.rpm.package', ctx.profileId),
    ...modules.map((m, i) => locate(m, `kernel.rpm.modules[${i}].package`, ctx.profileId)),
  ]);
  const arch = ctx.arch ?? 'x86_64';
  const resolutionFile = join(ctx.cacheDir, 'rpms', 'resolutions', `${rpmResolutionKey(all.map((l) => l.sha256), arch)}.json`);
  try {
    const { imageSha256 } = JSON.parse(await readFile(resolutionFile, 'utf8')) as { imageSha256: string };
    const known = await readKernelEntry(ctx.cacheDir, imageSha256);
    if (known) return { ...known, origin: originOf(all) };
  } catch {
    // not resolved before
  }
  const scratch = await scratchDir(ctx.cacheDir);
  try {
    for (const [i, l] of all.entries()) {
      if (l.path) continue;
      if (ctx.offline) {
        throw new BpfcompatError('KERNEL_RESOLVE', `offline: ${l.ref.package} for profile ${ctx.profileId} is not in the cache`, { hint: 'run once without --offline' });
      }
      ctx.onProgress?.(`${ctx.profileId}: downloading ${l.ref.package}`);
      const got = await download(l.ref.package, join(scratch, 'rpms', `${i}-${basename(new URL(l.ref.package).pathname) || 'package.rpm'}`), {
        what: `profile ${ctx.profileId}: ${l.key} ${l.ref.package}`,
        sha256: l.sha256,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      all[i] = { ...l, path: got.path };
    }
    ctx.onProgress?.(`${ctx.profileId}: unpacking ${image.package}`);
    const root = join(scratch, 'root');
    await extractRpms(all.map((l) => l.path!), root, all.map((l) => `profile ${ctx.profileId}: ${l.key} ${l.ref.package}`));
    const parts = await locateRpmKernel(root, `profile ${ctx.profileId}: kernel.rpm.package ${image.package}`);
    if (modules.length > 0 && parts.modulesDir === null) {
      throw new BpfcompatError('KERNEL_RESOLVE', `profile ${ctx.profileId}: kernel.rpm.modules hold no lib/modules/${parts.release}/kernel (the image is ${parts.release})`, {
        hint: 'give the kernel-modules-* packages of the same kernel build as the image',
      });
    }
    const kernel = await storeKernel(ctx.cacheDir, scratch, parts, arch, originOf(all));
    await writeFileAtomic(resolutionFile, JSON.stringify({ imageSha256: kernel.imageSha256 }) + '\n');
    // The entry may have been stored first by another source: same image, but the report names this .rpm.
    return { ...kernel, origin: originOf(all) };
  } finally {
    await removeScratch(scratch);
  }
}
