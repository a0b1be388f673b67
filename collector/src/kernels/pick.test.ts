import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStanzas } from './deb822.ts';
import { kernelCandidates, pickKernel } from './pick.ts';

// Real excerpts of the archive's Packages indexes (recorded by testdata/record-index.ts).
const index = (suite: string) => parseStanzas(readFileSync(join(import.meta.dirname, 'testdata', `packages-${suite}-cloud-amd64.txt`), 'utf8'));

test('parseStanzas reads fields and continuation lines', () => {
  const [a, b] = parseStanzas('# comment\nPackage: x\nDescription: one\n two\n\nPackage: y\nVersion: 1\n');
  assert.equal(a!.Package, 'x');
  assert.equal(a!.Description, 'one\ntwo');
  assert.equal(b!.Version, '1');
});

test('bookworm: layout A, the newest linux-image carries everything', () => {
  const pick = pickKernel(index('bookworm'), 'cloud-amd64');
  assert.ok(pick);
  assert.equal(pick.layout, 'A');
  assert.equal(pick.image.package, 'linux-image-6.1.0-50-cloud-amd64');
  assert.equal(pick.version, '6.1.176-1');
  assert.match(pick.image.filename, /^pool\/main\/l\/linux-signed-amd64\/linux-image-6\.1\.0-50-cloud-amd64_6\.1\.176-1_amd64\.deb$/);
  assert.match(pick.image.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(pick.extras, []);
});

test('sid: layout B, image from linux-binary, modules and base beside it; never -unsigned or -dbg', () => {
  const pick = pickKernel(index('sid'), 'cloud-amd64');
  assert.ok(pick);
  assert.equal(pick.layout, 'B');
  assert.equal(pick.image.package, 'linux-binary-7.2.13+deb14-cloud-amd64');
  assert.deepEqual(pick.extras.map((p) => p.package), ['linux-modules-7.2.13+deb14-cloud-amd64', 'linux-base-7.2.13+deb14-cloud-amd64']);
  for (const p of [pick.image, ...pick.extras]) assert.doesNotMatch(p.package, /unsigned|dbg/);
});

test('trixie-backports: the newest complete kernel wins by dpkg order over both layouts', () => {
  const all = kernelCandidates(index('trixie-backports'), 'cloud-amd64');
  assert.equal(all[0]!.version, '7.3.4-1~bpo13+1');
  assert.equal(all[0]!.layout, 'B');
  // 6.19.x–7.1.x have linux-binary but their linux-modules are gone from the index: incomplete, skipped.
  assert.ok(!all.some((c) => /^(6\.19|7\.0|7\.1)\./.test(c.version)));
  // Older 6.16/6.17 packages are layout A (image and modules in one .deb).
  const old = pickKernel(index('trixie-backports'), 'cloud-amd64', '6.17.8-1~bpo13+1');
  assert.ok(old);
  assert.equal(old.layout, 'A');
  assert.equal(old.image.package, 'linux-image-6.17.8+deb13-cloud-amd64');
  // Newest first by dpkg rules (7.2.12 before 7.2.9, numeric not lexical), across layouts.
  const v = all.map((c) => c.version);
  assert.ok(v.indexOf('7.2.12-1~bpo13+1') >= 0 && v.indexOf('7.2.12-1~bpo13+1') < v.indexOf('7.2.9-1~bpo13+1'));
  assert.ok(v.indexOf('6.18.15-1~bpo13+1') >= 0 && v.indexOf('6.18.15-1~bpo13+1') < v.indexOf('6.18.9-1~bpo13+1'));
  assert.ok(v.indexOf('7.2.6-1~bpo13+1') < v.indexOf('6.18.15-1~bpo13+1'));
});

test('a version pin picks exactly that version, or nothing', () => {
  assert.equal(pickKernel(index('bookworm'), 'cloud-amd64', '6.1.170-3')?.image.package, 'linux-image-6.1.0-47-cloud-amd64');
  assert.equal(pickKernel(index('bookworm'), 'cloud-amd64', '9.9.9-1'), null);
  assert.equal(pickKernel(index('trixie-backports'), 'cloud-amd64', '6.19.14-1~bpo13+1'), null);
});

test('flavour is matched whole: amd64 does not take cloud-amd64 packages', () => {
  assert.equal(pickKernel(index('bookworm'), 'amd64'), null);
  assert.equal(pickKernel(index('sid'), 'rt-amd64'), null);
});
