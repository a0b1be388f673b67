// Records the small, real archive excerpts the unit tests pick kernels from:
//   packages-<suite>-cloud-amd64.txt  the cloud-amd64 linux-{image,binary,modules,base} stanzas of a suite
//   trixie-backports.InRelease        a real signed InRelease (the smallest suite's, ~54 KB)
// Each is taken through the verified chain (gpgv → Packages sha256) of the apt source. Re-run to refresh:
//   node collector/src/kernels/testdata/record-index.ts
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptPackagesIndex, aptStanzas } from '../apt/apt-index.ts';
import { DEBIAN_KEYRING } from '../inrelease.ts';
import { DEBIAN_MIRROR } from '../presets/distributions.ts';

const here = dirname(fileURLToPath(import.meta.url));
const KEEP_FIELDS = ['Package', 'Source', 'Version', 'Installed-Size', 'Depends', 'Filename', 'Size', 'SHA256'];
const NAME = /^linux-(image|binary|modules|base)-[0-9][^ ]*-cloud-amd64(-dbg|-unsigned)?$|^linux-binary-unsigned-[0-9][^ ]*-cloud-amd64$|^linux-image-cloud-amd64$/;

const cacheDir = await mkdtemp(join(tmpdir(), 'bpfcompat-record-'));
try {
  for (const suite of ['bookworm', 'trixie-backports', 'sid']) {
    const ctx = { cacheDir, offline: false, where: `record ${suite}` };
    const ref = { url: DEBIAN_MIRROR, suite, component: 'main', debArch: 'amd64', keyring: DEBIAN_KEYRING };
    const index = await aptPackagesIndex(ref, ctx);
    const stanzas = (await aptStanzas(ref, index, ctx)).filter((s) => NAME.test(s.Package ?? ''));
    const text = stanzas
      .map((s) => KEEP_FIELDS.filter((f) => s[f] !== undefined).map((f) => `${f}: ${s[f]}`).join('\n'))
      .join('\n\n');
    const header = `# ${DEBIAN_MIRROR}/dists/${suite} main/binary-amd64/Packages.xz sha256 ${index.entry.sha256}, cloud-amd64 kernel stanzas, fields trimmed\n`;
    await writeFile(join(here, `packages-${suite}-cloud-amd64.txt`), header + '\n' + text + '\n');
    console.log(`${suite}: ${stanzas.length} stanzas`);
  }
  const inrelease = await readFile(join(cacheDir, 'apt', 'suites', 'deb.debian.org_debian', 'trixie-backports', 'InRelease'));
  await writeFile(join(here, 'trixie-backports.InRelease'), inrelease);
} finally {
  await rm(cacheDir, { recursive: true, force: true });
}
