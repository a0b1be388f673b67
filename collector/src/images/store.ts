import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot } from '../infra/xdg.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { readSidecar, SIDECAR_FILE, type ImageSidecar } from './sidecar.ts';

// Built images live in the cache (CI caches ~/.cache/bpfcompat, so the image is built once): images/<name>/
// with the disk, vmlinuz, initrd.img and image.json. A name resolves to that directory only.

export function imagesRoot(cacheDir: string = cacheRoot()): string {
  return join(cacheDir, 'images');
}

export interface StoredImage {
  name: string;
  dir: string;
  diskPath: string;
  sidecar: ImageSidecar;
  sizeBytes: number;
}

/** The built image NAME, or a BpfcompatError telling how to build it. */
export async function findImage(name: string, cacheDir?: string): Promise<StoredImage> {
  const dir = join(imagesRoot(cacheDir), name);
  const sidecar = await readSidecar(join(dir, SIDECAR_FILE));
  if (!sidecar) throw new BpfcompatError('FILE_NOT_FOUND', `image.name ${name}: no built image in ${dir} (run 'bpfcompat images build ${name}' or make image-${name})`);
  const diskPath = join(dir, sidecar.disk.file);
  return { name, dir, diskPath, sidecar, sizeBytes: (await stat(diskPath)).size };
}

export async function listImages(cacheDir?: string): Promise<StoredImage[]> {
  let names: string[];
  try {
    names = (await readdir(imagesRoot(cacheDir))).filter((n) => !n.startsWith('.')).sort();
  } catch {
    return [];
  }
  const out: StoredImage[] = [];
  for (const n of names) {
    try {
      out.push(await findImage(n, cacheDir));
    } catch {
      // a half-removed or foreign directory is not an image
    }
  }
  return out;
}
