import { mkdir, rename, rm, writeFile, open } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';

/** Writes a file so that readers see either the old or the complete new content, never a part. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, data, { mode });
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new BpfcompatError('WRITE_FAILED', `cannot write ${path}: ${(err as Error).message}`, {
      hint: 'check that the directory exists, is writable and the disk is not full',
      cause: err,
    });
  }
}
