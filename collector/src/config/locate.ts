import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';

export const SHIPPED_MATRICES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'matrices');

/** A matrix argument: a path, or the bare name of a shipped matrix (debian, dev-one …). */
export function locateMatrix(arg: string): string {
  if (existsSync(arg)) return arg;
  if (/^[A-Za-z0-9._-]+$/.test(arg)) {
    const shipped = join(SHIPPED_MATRICES, `${arg.replace(/\.ya?ml$/, '')}.yaml`);
    if (existsSync(shipped)) return shipped;
  }
  throw new BpfcompatError('FILE_NOT_FOUND', `--matrix ${arg}: no such file and no shipped matrix of that name`, { hint: 'pass a matrix YAML path, or one of the shipped names: debian, dev-one' });
}
