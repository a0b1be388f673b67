import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStanzas } from '../deb822.ts';
import { aptPackages, followKernel, parseDepends, versionsOf } from './follow.ts';

// Stanzas as Ubuntu's noble-updates and Debian's sid Packages carry them (fields trimmed to what is read).
const sha = (c: string): string => c.repeat(64);
const stanza = (pkg: string, version: string, depends: string, size = 2_000_000): string =>
  `Package: ${pkg}\nVersion: ${version}\nDepends: ${depends}\nFilename: pool/${pkg}_${version}_amd64.deb\nSize: ${size}\nSHA256: ${sha('a')}\n`;

const ubuntu = parseStanzas([
  stanza('linux-image-generic', '6.8.0-151.151', 'linux-image-6.8.0-151-generic, linux-modules-extra-6.8.0-151-generic, linux-firmware, intel-microcode, amd64-microcode', 2000),
  stanza('linux-image-generic', '6.8.0-149.149', 'linux-image-6.8.0-149-generic, linux-modules-extra-6.8.0-149-generic, linux-firmware', 2000),
  stanza('linux-image-6.8.0-151-generic', '6.8.0-151.151', 'linux-base (>= 4.5ubuntu1~16.04.1), linux-modules-6.8.0-151-generic'),
  stanza('linux-image-6.8.0-149-generic', '6.8.0-149.149', 'linux-base (>= 4.5ubuntu1~16.04.1), linux-modules-6.8.0-149-generic'),
  stanza('linux-modules-6.8.0-151-generic', '6.8.0-151.151', 'linux-base'),
  stanza('linux-modules-6.8.0-149-generic', '6.8.0-149.149', 'linux-base'),
  stanza('linux-modules-extra-6.8.0-151-generic', '6.8.0-151.151', 'linux-modules-6.8.0-151-generic, wireless-regdb'),
  stanza('linux-modules-extra-6.8.0-149-generic', '6.8.0-149.149', 'linux-modules-6.8.0-149-generic, wireless-regdb'),
  stanza('linux-base', '4.5ubuntu9', 'kmod'),
].join('\n'));

test('Ubuntu: linux-image-generic → image package, modules taken, modules-extra optional, firmware and linux-base not followed', () => {
  const pkgs = aptPackages(ubuntu);
  assert.deepEqual(versionsOf(pkgs, 'linux-image-generic'), ['6.8.0-151.151', '6.8.0-149.149']);
  const k = followKernel(pkgs, 'linux-image-generic')!;
  assert.equal(k.root.version, '6.8.0-151.151');
  assert.equal(k.image.package, 'linux-image-6.8.0-151-generic');
  assert.deepEqual(k.extras.map((p) => p.package), ['linux-modules-6.8.0-151-generic']);
  assert.deepEqual(k.optional.map((p) => p.package), ['linux-modules-extra-6.8.0-151-generic']);
  const older = followKernel(pkgs, 'linux-image-generic', '6.8.0-149.149')!;
  assert.equal(older.image.package, 'linux-image-6.8.0-149-generic');
  assert.equal(followKernel(pkgs, 'linux-image-generic', '6.8.0-1.1'), null);
  assert.equal(followKernel(pkgs, 'linux-image-aws'), null);
});

test('Debian layout B: the empty linux-image-<abi> leads to linux-binary (image), linux-modules and linux-base-<abi>', () => {
  const pkgs = aptPackages(parseStanzas([
    stanza('linux-image-cloud-amd64', '7.2.13-1', 'linux-image-7.2.13+deb14-cloud-amd64 (= 7.2.13-1)', 3000),
    stanza('linux-image-7.2.13+deb14-cloud-amd64', '7.2.13-1', 'linux-binary-7.2.13+deb14-cloud-amd64 (= 7.2.13-1), linux-modules-7.2.13+deb14-cloud-amd64 (= 7.2.13-1), linux-base-7.2.13+deb14-cloud-amd64 (= 7.2.13-1), initramfs-tools | linux-initramfs-tool', 3000),
    stanza('linux-binary-7.2.13+deb14-cloud-amd64', '7.2.13-1', 'kmod'),
    stanza('linux-modules-7.2.13+deb14-cloud-amd64', '7.2.13-1', 'kmod'),
    stanza('linux-base-7.2.13+deb14-cloud-amd64', '7.2.13-1', 'kmod'),
  ].join('\n')));
  const k = followKernel(pkgs, 'linux-image-cloud-amd64')!;
  assert.equal(k.image.package, 'linux-binary-7.2.13+deb14-cloud-amd64');
  assert.deepEqual(k.extras.map((p) => p.package), ['linux-modules-7.2.13+deb14-cloud-amd64', 'linux-base-7.2.13+deb14-cloud-amd64']);
});

test('Depends: alternatives, version relations and arch qualifiers', () => {
  assert.deepEqual(parseDepends('a (= 1.0-1), b:any | c (>= 2~rc1), d'), [
    [{ name: 'a', op: '=', version: '1.0-1' }],
    [{ name: 'b', op: null, version: null }, { name: 'c', op: '>=', version: '2~rc1' }],
    [{ name: 'd', op: null, version: null }],
  ]);
  // A versioned Depends picks the matching version, not the newest.
  const pkgs = aptPackages(parseStanzas([
    stanza('linux-image-virtual', '5.4.0.216.212', 'linux-image-5.4.0-216-generic (= 5.4.0-216.236)', 2000),
    stanza('linux-image-5.4.0-216-generic', '5.4.0-216.236', 'linux-modules-5.4.0-216-generic (= 5.4.0-216.236)'),
    stanza('linux-image-5.4.0-216-generic', '5.4.0-216.237', 'linux-modules-5.4.0-216-generic (= 5.4.0-216.237)'),
    stanza('linux-modules-5.4.0-216-generic', '5.4.0-216.236', ''),
    stanza('linux-modules-5.4.0-216-generic', '5.4.0-216.237', ''),
  ].join('\n')));
  const k = followKernel(pkgs, 'linux-image-virtual')!;
  assert.equal(k.image.version, '5.4.0-216.236');
  assert.equal(k.extras[0]!.version, '5.4.0-216.236');
});
