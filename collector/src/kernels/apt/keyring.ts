import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BpfcompatError } from '../../../../history/vocabulary/errors.ts';
import { sha256Hex } from '../../../../history/vocabulary/hash.ts';
import { writeFileAtomic } from '../../infra/fs.ts';

// A repository's signing key as the matrix gives it: a binary OpenPGP keyring (.gpg) or an armored key (.asc).
// gpgv reads only binary keyrings, so an armored key is dearmored once into the cache, named by the sha256 of
// the file the user gave; a file that holds no public key is refused before anything is downloaded.

export interface Keyring {
  /** A binary keyring gpgv can read. */
  path: string;
  /** sha256 of the file the matrix names: part of every resolution key, so a new key re-verifies. */
  sha256: string;
  /** Fingerprints of the primary keys in it. */
  fingerprints: string[];
  /** The same keys armored, one file per key (what `rpmkeys --import` reads). */
  armoredKeys: string[];
}

const notAKey = (profileId: string, field: string, file: string, why: string): BpfcompatError =>
  new BpfcompatError('CONFIG_INVALID', `profile ${profileId}: ${field} ${file} is not an OpenPGP public key (${why})`, {
    hint: 'give the repository\'s signing key as a binary .gpg keyring or an armored .asc public key',
  });

async function gpg(args: string[], input?: Buffer): Promise<{ exitCode: number | undefined; stdout: Buffer; stderr: string; shortMessage: string }> {
  const home = await mkdtemp(join(tmpdir(), 'bpfcompat-gpg-'));
  try {
    const r = await execa('gpg', ['--homedir', home, '--batch', '--no-tty', '--quiet', ...args], { reject: false, encoding: 'buffer', ...(input ? { input } : { stdin: 'ignore' as const }) });
    return { exitCode: r.exitCode, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr).toString('utf8'), shortMessage: r.shortMessage ?? '' };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Reads, checks and (when armored) dearmors a key file; the result is cached under <cache>/keyrings/. */
export async function loadKeyring(file: string, o: { profileId: string; field: string; cacheDir: string }): Promise<Keyring> {
  const isFile = await stat(file).then((s) => s.isFile(), () => false);
  if (!isFile) {
    throw new BpfcompatError('FILE_NOT_FOUND', `profile ${o.profileId}: ${o.field} ${file} does not exist`, { hint: 'give the path of the repository\'s signing key, relative to the matrix file' });
  }
  const bytes = await readFile(file);
  const sha256 = sha256Hex(bytes);
  const shown = await gpg(['--with-colons', '--show-keys'], bytes);
  if (shown.exitCode === undefined) {
    throw new BpfcompatError('TOOL_MISSING', `cannot run gpg to read ${file}: ${shown.shortMessage}`, { hint: 'install gnupg (apt-get install gpg)' });
  }
  const fingerprints: string[] = [];
  let inPub = false;
  for (const line of shown.stdout.toString('utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === 'pub') inPub = true;
    else if (f[0] === 'fpr' && inPub) {
      fingerprints.push(f[9]!);
      inPub = false;
    } else if (f[0] === 'sub') inPub = false;
  }
  if (shown.exitCode !== 0 || fingerprints.length === 0) {
    throw notAKey(o.profileId, o.field, file, shown.stderr.split('\n').find((l) => l.trim() !== '')?.replace(/^gpg: /, '').trim() || 'no public key in it');
  }
  const armored = bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN PGP');
  const armoredKeys = await armorEach(bytes, sha256, fingerprints, o.cacheDir);
  if (!armored) return { path: file, sha256, fingerprints, armoredKeys };
  const path = join(o.cacheDir, 'keyrings', `${sha256}.gpg`);
  const cached = await stat(path).then(() => true, () => false);
  if (!cached) {
    const de = await gpg(['--dearmor'], bytes);
    if (de.exitCode !== 0) throw notAKey(o.profileId, o.field, file, 'cannot dearmor it');
    await writeFileAtomic(path, de.stdout);
  }
  return { path, sha256, fingerprints, armoredKeys };
}

/** Each key of the file armored on its own: rpm imports only the first key of an armored block. */
async function armorEach(bytes: Buffer, sha256: string, fingerprints: string[], cacheDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const fpr of fingerprints) {
    const path = join(cacheDir, 'keyrings', `${sha256}.${fpr}.asc`);
    if (!(await stat(path).then(() => true, () => false))) {
      const home = await mkdtemp(join(tmpdir(), 'bpfcompat-gpg-'));
      try {
        const g = ['--homedir', home, '--batch', '--no-tty', '--quiet'];
        await execa('gpg', [...g, '--import'], { input: bytes });
        const r = await execa('gpg', [...g, '--armor', '--export', fpr], { stdin: 'ignore' });
        await writeFileAtomic(path, String(r.stdout) + '\n');
      } finally {
        await rm(home, { recursive: true, force: true });
      }
    }
    out.push(path);
  }
  return out;
}
