import { cp, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { execa } from 'execa';
import type { TestKey } from '../apt/apt-fixture.ts';

// TEST SUPPORT ONLY (used by dnf/*.test.ts): signs .rpms with rpmsign and a test key, and indexes a directory
// of them into a dnf repository with createrepo_c, optionally signing repomd.xml (repomd.xml.asc) with gpg.

/** Signs (or re-signs) each .rpm in place with `key`. */
export async function signRpms(rpms: string[], key: TestKey): Promise<void> {
  await execa('rpmsign', [
    '--resign',
    '--define', '__gpg /usr/bin/gpg',
    '--define', `_gpg_name ${key.fingerprint}`,
    '--define', `_gpg_path ${key.home}`,
    '--define', "_gpg_sign_cmd_extra_args --pinentry-mode loopback --passphrase ''",
    ...rpms,
  ], { stdin: 'ignore' });
}

/** A dnf repository at root: the rpms copied into Packages/, repodata by createrepo_c. */
export async function buildDnfRepo(o: { root: string; rpms: string[]; compress: 'gz' | 'xz' | 'zstd'; signRepomd?: TestKey }): Promise<void> {
  await mkdir(join(o.root, 'Packages'), { recursive: true });
  for (const r of o.rpms) await cp(r, join(o.root, 'Packages', r.split('/').pop()!));
  await reindex(o.root, o.compress, o.signRepomd);
}

export async function reindex(root: string, compress: 'gz' | 'xz' | 'zstd', signRepomd?: TestKey): Promise<void> {
  await execa('createrepo_c', ['-q', '--no-database', '--general-compress-type', compress === 'zstd' ? 'gz' : compress, root], { stdin: 'ignore' });
  if (compress === 'zstd') await primaryToZstd(root);
  if (signRepomd) {
    await execa('gpg', ['--homedir', signRepomd.home, '--batch', '--no-tty', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', '', '--yes',
      '--local-user', signRepomd.fingerprint, '--armor', '--detach-sign', '--output', join(root, 'repodata', 'repomd.xml.asc'), join(root, 'repodata', 'repomd.xml')], { stdin: 'ignore' });
  }
}

/**
 * Debian's createrepo_c is built without zstd, which Fedora's repositories use for primary: the gz primary is
 * recompressed with the zstd tool and its repomd.xml entry (checksum, size, location) rewritten to match.
 */
async function primaryToZstd(root: string): Promise<void> {
  const gz = await primaryFile(root);
  const xml = gunzipSync(await readFile(gz));
  const tmp = join(root, 'repodata', 'primary.xml.zst');
  await execa('zstd', ['-q', '-f', '-o', tmp], { input: xml });
  const zst = await readFile(tmp);
  const sha = createHash('sha256').update(zst).digest('hex');
  const name = `${sha}-primary.xml.zst`;
  await rename(tmp, join(root, 'repodata', name));
  await rm(gz);
  const repomd = join(root, 'repodata', 'repomd.xml');
  const text = await readFile(repomd, 'utf8');
  await writeFile(repomd, text.replace(/(<data type="primary">[\s\S]*?<\/data>)/, (block) =>
    block
      .replace(/<checksum type="sha256">[0-9a-f]{64}<\/checksum>/, `<checksum type="sha256">${sha}</checksum>`)
      .replace(/<location href="[^"]+"\/>/, `<location href="repodata/${name}"/>`)
      .replace(/<size>\d+<\/size>/, `<size>${zst.length}</size>`)));
}

export async function primaryFile(root: string): Promise<string> {
  return join(root, 'repodata', (await readdir(join(root, 'repodata'))).find((f) => f.includes('-primary.xml'))!);
}
