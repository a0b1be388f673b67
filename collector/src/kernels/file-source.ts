import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { sha256File } from '../../../history/vocabulary/hash.ts';
import type { KernelArch, ResolvedKernel } from './types.ts';
import { readBzImageRelease } from './bzimage.ts';

// kernel.file: a bzImage the user built, used in place (not copied: it is theirs and may be rebuilt;
// its sha256 is taken on every resolve, so history still tells builds apart).

export interface FileKernel {
  image: string;
  modules_dir?: string | undefined;
  config?: string | undefined;
  release?: string | undefined;
}

async function mustExist(path: string, key: string, profileId: string, kind: 'file' | 'dir'): Promise<string> {
  const abs = resolve(path);
  const ok = await stat(abs).then((s) => (kind === 'file' ? s.isFile() : s.isDirectory()), () => false);
  if (!ok) throw new BpfcompatError('FILE_NOT_FOUND', `profile ${profileId}: kernel.file.${key} ${path} is not an existing ${kind === 'file' ? 'file' : 'directory'}`, { hint: `fix kernel.file.${key} in the matrix` });
  return abs;
}

export async function resolveFile(src: FileKernel, profileId: string, arch: KernelArch = 'x86_64'): Promise<ResolvedKernel> {
  const image = await mustExist(src.image, 'image', profileId, 'file');
  // Only an x86 bzImage carries a readable version string; other images need kernel.file.release.
  const release = src.release ?? (arch === 'x86_64' ? await readBzImageRelease(image) : null);
  if (!release) {
    throw new BpfcompatError('KERNEL_RESOLVE', `profile ${profileId}: ${src.image} is not an x86 bzImage with a version string`, {
      hint: 'give a bzImage (arch/x86/boot/bzImage), or set kernel.file.release',
    });
  }
  return {
    release,
    arch,
    imagePath: image,
    imageSha256: await sha256File(image),
    modulesDir: src.modules_dir === undefined ? null : await mustExist(src.modules_dir, 'modules_dir', profileId, 'dir'),
    configPath: src.config === undefined ? null : await mustExist(src.config, 'config', profileId, 'file'),
    origin: { kind: 'file', image },
  };
}
