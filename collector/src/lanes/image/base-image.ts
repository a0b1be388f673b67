import { open } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { ImageSource } from '../../config/image-source.ts';
import { BpfcompatError } from '../../../../history/vocabulary/errors.ts';
import { readSidecar, SIDECAR_FILE, type ImageSidecar } from '../../images/sidecar.ts';
import { findImage } from '../../images/store.ts';
import { cachedImageSha256 } from './image-hash.ts';

// Which disk a profile's image names, how to boot it, and its sha256 (the result key's kernel part).

export interface BaseImage {
  /** How reports name it: the path as given, or image:<name>. */
  label: string;
  diskPath: string;
  format: 'qcow2' | 'raw';
  /** Present for images built by `images build` (or a disk with image.json beside it): boot its kernel directly. */
  sidecar: ImageSidecar | null;
  sidecarDir: string | null;
}

/** qcow2 files start with "QFI\xfb"; anything else is taken as raw. */
async function sniffFormat(path: string): Promise<'qcow2' | 'raw'> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    await fh.read(buf, 0, 4, 0);
    return buf.equals(Buffer.from([0x51, 0x46, 0x49, 0xfb])) ? 'qcow2' : 'raw';
  } finally {
    await fh.close();
  }
}

export async function locateBaseImage(src: ImageSource, cacheDir?: string): Promise<BaseImage> {
  if (src.name !== undefined) {
    const img = await findImage(src.name, cacheDir);
    return { label: `image:${src.name}`, diskPath: img.diskPath, format: img.sidecar.disk.format, sidecar: img.sidecar, sidecarDir: img.dir };
  }
  const diskPath = resolve(src.path!);
  try {
    await (await open(diskPath, 'r')).close();
  } catch (err) {
    throw new BpfcompatError('FILE_NOT_FOUND', `image.path ${src.path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { hint: 'give the path of a qcow2 or raw disk image' });
  }
  let sidecar: ImageSidecar | null = null;
  try {
    const s = await readSidecar(join(dirname(diskPath), SIDECAR_FILE));
    if (s && s.disk.file === basename(diskPath)) sidecar = s;
  } catch (err) {
    throw new BpfcompatError('CONFIG_INVALID', `image.path ${src.path}: ${(err as Error).message}`, { hint: 'remove the broken image.json or rebuild the image' });
  }
  return { label: src.path!, diskPath, format: src.format ?? sidecar?.disk.format ?? (await sniffFormat(diskPath)), sidecar, sidecarDir: sidecar ? dirname(diskPath) : null };
}

/** The image's sha256 (from image.json for built images, else hashed once per path+size+mtime), checked against a pin. */
export async function baseImageSha256(base: BaseImage, src: ImageSource, cacheDir?: string): Promise<string> {
  const sha = base.sidecar && base.label.startsWith('image:') ? base.sidecar.disk.sha256 : await cachedImageSha256(base.diskPath, { cacheDir });
  if (src.sha256 !== undefined && src.sha256 !== sha) {
    throw new BpfcompatError('INTEGRITY', `image ${base.label}: sha256 is ${sha}, but image.sha256 pins ${src.sha256}`, { hint: 'use the image the profile pins, or update image.sha256' });
  }
  return sha;
}
