import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sha256File } from '../../../history/vocabulary/hash.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import type { KernelArch, KernelOrigin, ResolvedKernel } from './types.ts';
import { installModules, type KernelParts } from './deb-extract.ts';

// The content-addressed kernel cache: <cache>/kernels/<sha256 of the image>/{vmlinuz, config, modules/,
// kernel.json}. An entry appears by one rename of a fully built directory, so readers never see half of
// one. kernel.json stores names relative to the entry, so a moved cache still works.

interface StoredKernel {
  schema: 1;
  release: string;
  /** Absent in entries written before arm64 existed: those are x86_64. */
  arch?: KernelArch;
  imageSha256: string;
  hasConfig: boolean;
  hasModules: boolean;
  origin: KernelOrigin;
}

export const kernelsDir = (cacheDir: string): string => join(cacheDir, 'kernels');

/** A scratch directory on the cache's file system, so finished entries can be renamed into place. */
export async function scratchDir(cacheDir: string): Promise<string> {
  const dir = join(kernelsDir(cacheDir), `.tmp-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

function toResolved(dir: string, s: StoredKernel): ResolvedKernel {
  return {
    release: s.release,
    arch: s.arch ?? 'x86_64',
    imagePath: join(dir, 'vmlinuz'),
    imageSha256: s.imageSha256,
    modulesDir: s.hasModules ? join(dir, 'modules') : null,
    configPath: s.hasConfig ? join(dir, 'config') : null,
    origin: s.origin,
  };
}

/** The cached kernel with this image sha256, or null. */
export async function readKernelEntry(cacheDir: string, imageSha256: string): Promise<ResolvedKernel | null> {
  const dir = join(kernelsDir(cacheDir), imageSha256);
  try {
    const s = JSON.parse(await readFile(join(dir, 'kernel.json'), 'utf8')) as StoredKernel;
    if (s.schema !== 1 || s.imageSha256 !== imageSha256) return null;
    return toResolved(dir, s);
  } catch {
    return null;
  }
}

/**
 * Builds a cache entry from unpacked parts inside `scratch` (moving, not copying) and renames it into
 * place. If the same image is already cached, the existing entry wins.
 */
export async function storeKernel(cacheDir: string, scratch: string, parts: KernelParts, arch: KernelArch, origin: KernelOrigin): Promise<ResolvedKernel> {
  const imageSha256 = await sha256File(parts.image);
  const existing = await readKernelEntry(cacheDir, imageSha256);
  if (existing) return existing;
  const entry = join(scratch, 'entry');
  await mkdir(entry, { recursive: true });
  await rename(parts.image, join(entry, 'vmlinuz'));
  if (parts.config) await rename(parts.config, join(entry, 'config'));
  if (parts.modulesDir) await installModules(parts.modulesDir, parts.release, scratch, join(entry, 'modules'));
  const stored: StoredKernel = {
    schema: 1,
    release: parts.release,
    arch,
    imageSha256,
    hasConfig: parts.config !== null,
    hasModules: parts.modulesDir !== null,
    origin,
  };
  await writeFileAtomic(join(entry, 'kernel.json'), JSON.stringify(stored, null, 2) + '\n');
  const dest = join(kernelsDir(cacheDir), imageSha256);
  try {
    await rename(entry, dest);
  } catch (err) {
    // Another process stored the same kernel meanwhile: its entry is equivalent.
    const raced = await readKernelEntry(cacheDir, imageSha256);
    if (raced) return raced;
    throw err;
  }
  return toResolved(dest, stored);
}

async function treeSize(path: string): Promise<number> {
  const st = await stat(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of await readdir(path)) total += await treeSize(join(path, e));
  return total;
}

/**
 * The cached kernel unpacked from the .deb with this sha256 (recorded in its origin), or null: a kernel that a
 * different source or resolution already stored is found without downloading it again.
 */
export async function findKernelByDeb(cacheDir: string, debSha256: string, arch: KernelArch): Promise<ResolvedKernel | null> {
  const names = await readdir(kernelsDir(cacheDir)).catch(() => [] as string[]);
  for (const name of names) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    const k = await readKernelEntry(cacheDir, name);
    // only repository resolutions: they took the modules packages along (a bare .deb may not have)
    const o = k?.origin;
    if (k && k.arch === arch && (o?.kind === 'debian' || o?.kind === 'apt') && o.deb_sha256 === debSha256) return k;
  }
  return null;
}

/** Every complete entry of the kernel cache, newest release string last, with its size on disk. */
export async function listKernelEntries(cacheDir: string): Promise<Array<ResolvedKernel & { sizeBytes: number }>> {
  const names = await readdir(kernelsDir(cacheDir)).catch(() => [] as string[]);
  const out: Array<ResolvedKernel & { sizeBytes: number }> = [];
  for (const name of names) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    const k = await readKernelEntry(cacheDir, name);
    if (k) out.push({ ...k, sizeBytes: await treeSize(join(kernelsDir(cacheDir), name)) });
  }
  return out.sort((a, b) => a.release.localeCompare(b.release, 'en', { numeric: true }));
}

export async function removeScratch(scratch: string): Promise<void> {
  await rm(scratch, { recursive: true, force: true });
}
