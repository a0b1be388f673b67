// Records the small, real archive excerpts the unit tests pick kernels from:
//   packages-<suite>-cloud-amd64.txt  the cloud-amd64 linux-{image,binary,modules,base} stanzas of a suite
//   trixie-backports.InRelease        a real signed InRelease (the smallest suite's, ~54 KB)
// Each is taken through the verified chain (gpgv → Packages sha256). Re-run to refresh:
//   node collector/src/kernels/testdata/record-index.ts
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MIRROR, kernelStanzas, packagesEntry } from '../debian-index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const KEEP_FIELDS = ['Package', 'Source', 'Version', 'Installed-Size', 'Depends', 'Filename', 'Size', 'SHA256'];
const NAME = /^linux-(image|binary|modules|base)-[0-9][^ ]*-cloud-amd64(-dbg|-unsigned)?$|^linux-binary-unsigned-[0-9][^ ]*-cloud-amd64$|^linux-image-cloud-amd64$/;

const cacheDir = await mkdtemp(join(tmpdir(), 'bpfcompat-record-'));
try {
  for (const suite of ['bookworm', 'trixie-backports', 'sid']) {
    const ctx = { cacheDir, offline: false };
    const ref = { mirror: DEFAULT_MIRROR, suite };
    const entry = await packagesEntry(ref, ctx);
    const stanzas = (await kernelStanzas(ref, entry, ctx)).filter((s) => NAME.test(s.Package ?? ''));
    const text = stanzas
      .map((s) => KEEP_FIELDS.filter((f) => s[f] !== undefined).map((f) => `${f}: ${s[f]}`).join('\n'))
      .join('\n\n');
    const header = `# ${DEFAULT_MIRROR}/dists/${suite} main/binary-amd64/Packages.xz sha256 ${entry.sha256}, cloud-amd64 kernel stanzas, fields trimmed\n`;
    await writeFile(join(here, `packages-${suite}-cloud-amd64.txt`), header + '\n' + text + '\n');
    console.log(`${suite}: ${stanzas.length} stanzas`);
  }
  const inrelease = await readFile(join(cacheDir, 'debian', 'suites', 'deb.debian.org_debian', 'trixie-backports', 'InRelease'));
  await writeFile(join(here, 'trixie-backports.InRelease'), inrelease);
} finally {
  await rm(cacheDir, { recursive: true, force: true });
}
