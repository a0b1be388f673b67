import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptPackagesIndex, aptStanzas } from './apt-index.ts';
import { buildAptRepo, buildDeb, makeTestKey, serveTrees } from './apt-fixture.ts';

// Packages by hash (Acquire-By-Hash: yes, as Debian and Ubuntu publish): a mirror whose plain Packages file has
// moved on past the InRelease it served still has the file that InRelease names, and that is the one fetched.

const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-apt-index-'));
after(() => rm(dir, { recursive: true, force: true }));

test('an index published by hash is fetched by hash, so a newer plain Packages.xz beside an older InRelease does not break it', async () => {
  const key = await makeTestKey(dir, 'index');
  const deb = await buildDeb({ name: 'linux-image-9.9.9-1-test', version: '9.9.9-1', files: [{ path: 'boot/vmlinuz-9.9.9-1-test', content: 'x' }], outDir: join(dir, 'debs') });
  const hashed = join(dir, 'hashed');
  const plain = join(dir, 'plain');
  await buildAptRepo({ root: hashed, suite: 's', debs: [deb], key, byHash: true });
  await buildAptRepo({ root: plain, suite: 's', debs: [deb], key });
  // the mirror published a newer index after the InRelease we get
  await writeFile(join(hashed, 'dists', 's', 'main', 'binary-amd64', 'Packages.xz'), 'a newer index');
  const { base, server, requests } = await serveTrees({ hashed, plain });
  try {
    const read = async (root: string) => {
      const ref = { url: `${base}/${root}`, suite: 's', component: 'main', debArch: 'amd64', keyring: key.gpgFile };
      const ctx = { cacheDir: join(dir, `cache-${root}`), offline: false, where: 'test' };
      const index = await aptPackagesIndex(ref, ctx);
      return { index, stanzas: await aptStanzas(ref, index, ctx) };
    };
    const h = await read('hashed');
    assert.equal(h.index.byHash, true);
    assert.deepEqual(h.stanzas.map((s) => s.Package), ['linux-image-9.9.9-1-test']);
    assert.ok(requests.includes(`/hashed/dists/s/main/binary-amd64/by-hash/SHA256/${h.index.entry.sha256}`), requests.join(' '));
    assert.ok(!requests.includes('/hashed/dists/s/main/binary-amd64/Packages.xz'));
    const p = await read('plain');
    assert.equal(p.index.byHash, false);
    assert.deepEqual(p.stanzas.map((s) => s.Package), ['linux-image-9.9.9-1-test']);
    assert.ok(requests.includes('/plain/dists/s/main/binary-amd64/Packages.xz'), 'a repository without by-hash is read by path');
  } finally {
    server.close();
  }
});
