import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, join, normalize } from 'node:path';
import { BpfcompatError } from '../../../../history/vocabulary/errors.ts';
import { writeFileAtomic } from '../../infra/fs.ts';
import { download } from '../download.ts';
import { extractDebs } from '../deb-extract.ts';
import { DEBIAN_KEYRING } from '../inrelease.ts';
import { removeScratch, scratchDir } from '../kernel-store.ts';
import { aptPackagesIndex, aptStanzas, type AptIndexContext } from '../apt/apt-index.ts';
import { aptPackages } from '../apt/follow.ts';

// Other distributions' signing keys, taken from the Debian packages that carry them (ubuntu-archive-keyring,
// distribution-gpg-keys) through Debian's own signed chain: trixie's InRelease checked against
// debian-archive-keyring, Packages against InRelease, the .deb against Packages. Never an unsigned download.
// A key file is cached under keys/<sha256 of the .deb>/<name>; one .deb is fetched once per version.

export const KEY_SUITE = 'trixie';
const DEBIAN = 'http://deb.debian.org/debian';

export interface KeyRef {
  /** The Debian package (in trixie main) that ships the key. */
  package: string;
  /** Path of the key inside the package. */
  path: string;
}

export async function debianKeyFile(ref: KeyRef, ctx: AptIndexContext): Promise<string> {
  const apt = { url: DEBIAN, suite: KEY_SUITE, component: 'main', debArch: 'amd64', keyring: DEBIAN_KEYRING };
  const index = await aptPackagesIndex(apt, ctx);
  const pkg = aptPackages(await aptStanzas(apt, index, ctx)).get(ref.package)?.[0];
  if (!pkg) throw new BpfcompatError('KERNEL_RESOLVE', `${ctx.where}: Debian ${KEY_SUITE} has no package ${ref.package} (the source of the signing key)`, { hint: 'report this: the preset names a key package Debian no longer ships' });
  const out = join(ctx.cacheDir, 'keys', pkg.sha256, basename(ref.path));
  if (await stat(out).then(() => true, () => false)) return out;
  if (ctx.offline) throw new BpfcompatError('KERNEL_RESOLVE', `${ctx.where}: offline: ${ref.package} ${pkg.version} is not in the cache`, { hint: 'run once without --offline' });
  const scratch = await scratchDir(ctx.cacheDir);
  try {
    const deb = join(scratch, `${ref.package}.deb`);
    ctx.onProgress?.(`downloading ${ref.package} ${pkg.version} from Debian ${KEY_SUITE} (signing keys)`);
    await download(`${DEBIAN}/${pkg.filename}`, deb, { sha256: pkg.sha256, maxBytes: pkg.size, what: `${ctx.where}: ${ref.package} ${pkg.version} (sha256 listed in Debian's signed ${KEY_SUITE} index)`, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    const root = join(scratch, 'root');
    await extractDebs([deb], root);
    const inside = join(root, normalize(ref.path));
    const bytes = await readFile(inside).catch(() => {
      throw new BpfcompatError('KERNEL_RESOLVE', `${ctx.where}: ${ref.package} ${pkg.version} has no ${ref.path}`, { hint: 'report this: the preset names a key file the package no longer ships' });
    });
    await mkdir(join(ctx.cacheDir, 'keys', pkg.sha256), { recursive: true });
    await writeFileAtomic(out, bytes);
    return out;
  } finally {
    await removeScratch(scratch);
  }
}
