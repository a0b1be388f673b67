import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DebianKernelSource, KernelSource } from '../../config/matrix.ts';
import { parseStanzas } from '../deb822.ts';
import { DEBIAN_KEYRING } from '../inrelease.ts';
import { aptResolutionKey, pickAcross, type AptPlan } from '../apt/apt-source.ts';
import { aptPackages, followPinned, versionsWithAbi } from '../apt/follow.ts';
import { debian } from './distributions.ts';
import { expandPreset } from './plans.ts';

// kernel.debian is a preset of kernel.apt: the flavour's metapackage in the suite and its pockets, Debian's
// archive keyring, the security archive beside the main one. Picks are checked against real excerpts of the
// archive's Packages indexes (testdata/record-index.ts).

const index = (suite: string) => aptPackages(parseStanzas(readFileSync(join(import.meta.dirname, '..', 'testdata', `packages-${suite}-cloud-amd64.txt`), 'utf8')));

const planOf = (src: Record<string, unknown>): AptPlan => {
  const e = debian(DebianKernelSource.parse(src));
  assert.equal(e.kind, 'apt');
  if (e.kind !== 'apt') throw new Error('unreachable');
  assert.ok('file' in e.key);
  return { src: { ...e.src, keyring: e.key.file }, suites: e.suites, field: 'kernel.debian', preset: e.preset, ...e.options };
};

test('bookworm expands to the metapackage in its release, -updates and -security pockets, with Debian\'s keyring', () => {
  const e = expandPreset(KernelSource.parse({ debian: { suite: 'bookworm' } }))!;
  assert.equal(e.field, 'kernel.debian');
  assert.ok(e.expanded.kind === 'apt');
  if (e.expanded.kind !== 'apt') return;
  assert.deepEqual(e.expanded.src, { url: 'http://deb.debian.org/debian', suite: 'bookworm', component: 'main', package: 'linux-image-cloud-amd64' });
  assert.deepEqual(e.expanded.suites, ['bookworm', 'bookworm-updates', 'bookworm-security']);
  assert.deepEqual(e.expanded.options?.suiteUrls, { 'bookworm-security': 'http://deb.debian.org/debian-security' });
  assert.deepEqual(e.expanded.key, { file: DEBIAN_KEYRING });
  assert.deepEqual(e.expanded.options?.debian, { suite: 'bookworm', flavour: 'cloud-amd64' });
  assert.deepEqual(planOf({ suite: 'bookworm', pocket: 'security' }).suites, ['bookworm', 'bookworm-security']);
  assert.deepEqual(planOf({ suite: 'bookworm', pocket: 'release' }).suites, ['bookworm']);
  assert.equal(planOf({ suite: 'bookworm', pocket: 'release' }).suiteUrls, undefined);
  assert.deepEqual(planOf({ suite: 'sid' }).suites, ['sid'], 'sid has no pockets');
  assert.deepEqual(planOf({ suite: 'trixie-backports' }).suites, ['trixie-backports']);
  assert.deepEqual(planOf({ suite: 'trixie', mirror: 'http://mirror.example/debian/' }).suiteUrls, { 'trixie-security': 'http://mirror.example/debian-security' });
  assert.deepEqual(planOf({ suite: 'bookworm', sha256: 'a'.repeat(64) }).pin, { sha256: 'a'.repeat(64), field: 'kernel.debian.sha256' });
  assert.equal(planOf({ suite: 'bookworm', flavour: 'cloud-arm64' }).src.package, 'linux-image-cloud-arm64');
});

// The resolution cache must never hand one profile's kernel to another that differs in a field that changes the
// pick. Adding a field to kernel.debian fails this test until the expansion carries it into the key.
test('every kernel.debian field, the arch and the index sha256 change the resolution key', () => {
  const base = { suite: 'bookworm', flavour: 'cloud-amd64' };
  const variants: Record<string, Record<string, unknown>> = {
    suite: { suite: 'trixie' },
    flavour: { flavour: 'amd64' },
    version: { version: '6.1.176-1' },
    sha256: { sha256: 'a'.repeat(64) },
    mirror: { mirror: 'http://example.org/debian' },
    pocket: { pocket: 'release' },
  };
  assert.deepEqual(Object.keys(DebianKernelSource.shape).sort(), Object.keys(variants).sort());
  const key = (src: Record<string, unknown>, indexes = ['f'.repeat(64)], arch: 'x86_64' | 'arm64' = 'x86_64') => aptResolutionKey(planOf(src), 'k'.repeat(64), indexes, arch);
  const k0 = key(base);
  for (const [field, change] of Object.entries(variants)) assert.notEqual(key({ ...base, ...change }), k0, field);
  assert.notEqual(key(base, ['e'.repeat(64)]), k0, 'packages sha256');
  assert.notEqual(key(base, undefined, 'arm64'), k0, 'arch');
  assert.equal(key({ ...base }), k0);
});

test('bookworm: layout A, the metapackage leads to the image package that carries everything', () => {
  const pick = pickAcross([{ suite: 'bookworm', pkgs: index('bookworm') }], planOf({ suite: 'bookworm', pocket: 'release' }).src)!;
  assert.equal(pick.set.image.package, 'linux-image-6.1.0-50-cloud-amd64');
  assert.equal(pick.set.image.version, '6.1.176-1');
  assert.match(pick.set.image.filename, /^pool\/main\/l\/linux-signed-amd64\/linux-image-6\.1\.0-50-cloud-amd64_6\.1\.176-1_amd64\.deb$/);
  assert.deepEqual(pick.set.extras, []);
});

test('sid: layout B, image from linux-binary, modules and base beside it; never -unsigned or -dbg', () => {
  const pick = pickAcross([{ suite: 'sid', pkgs: index('sid') }], planOf({ suite: 'sid' }).src)!;
  assert.equal(pick.set.image.package, 'linux-binary-7.2.13+deb14-cloud-amd64');
  assert.deepEqual(pick.set.extras.map((p) => p.package).sort(), ['linux-base-7.2.13+deb14-cloud-amd64', 'linux-modules-7.2.13+deb14-cloud-amd64']);
  for (const p of [pick.set.image, ...pick.set.extras]) assert.doesNotMatch(p.package, /unsigned|dbg/);
});

test('a pinned version the metapackage has moved past is one of the kernels it stands for, complete or nothing', () => {
  const tbp = index('trixie-backports');
  const old = followPinned(tbp, 'linux-image-cloud-amd64', '6.17.8-1~bpo13+1');
  assert.equal(old?.image.package, 'linux-image-6.17.8+deb13-cloud-amd64', 'an older layout-A kernel');
  // 6.19.x–7.1.x have linux-binary but their linux-modules are gone from the index: incomplete, never picked.
  assert.equal(followPinned(tbp, 'linux-image-cloud-amd64', '6.19.14-1~bpo13+1'), null);
  assert.equal(followPinned(index('bookworm'), 'linux-image-cloud-amd64', '6.1.170-3')?.image.package, 'linux-image-6.1.0-47-cloud-amd64');
  assert.equal(followPinned(index('bookworm'), 'linux-image-cloud-amd64', '9.9.9-1'), null);
  const v = versionsWithAbi(tbp, 'linux-image-cloud-amd64');
  assert.equal(v[0], '7.3.4-1~bpo13+1');
  assert.ok(!v.some((x) => /^(6\.19|7\.0|7\.1)\./.test(x)), 'incomplete kernels are not offered');
  assert.ok(v.indexOf('7.2.12-1~bpo13+1') >= 0 && v.indexOf('7.2.12-1~bpo13+1') < v.indexOf('7.2.9-1~bpo13+1'), 'dpkg order, numeric not lexical');
  assert.ok(v.includes('6.17.8-1~bpo13+1'));
});

test('flavour is matched whole: amd64 does not take cloud-amd64 packages', () => {
  assert.equal(pickAcross([{ suite: 'bookworm', pkgs: index('bookworm') }], planOf({ suite: 'bookworm', flavour: 'amd64' }).src), null);
  assert.equal(followPinned(index('sid'), 'linux-image-amd64', '7.2.13-1'), null);
});
