import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DebianKernelSource } from '../config/matrix.ts';
import { debianPockets, resolutionKey } from './debian-source.ts';
import { canonicalJson, sha256Hex } from '../../../history/vocabulary/hash.ts';

// The resolution cache must never hand one profile's kernel to another that differs in a field
// that changes the pick. Adding a field to kernel.debian fails this test until resolutionKey decides.
test('every kernel.debian field and the index sha256 change the resolution key', () => {
  const base = DebianKernelSource.parse({ suite: 'bookworm', flavour: 'cloud-amd64' });
  const variants: Record<string, Partial<DebianKernelSource>> = {
    suite: { suite: 'trixie' },
    flavour: { flavour: 'amd64' },
    version: { version: '6.1.176-1' },
    sha256: { sha256: 'a'.repeat(64) },
    mirror: { mirror: 'http://example.org/debian' },
    pocket: { pocket: 'release' },
  };
  assert.deepEqual(Object.keys(DebianKernelSource.shape).sort(), Object.keys(variants).sort());
  const mirrorOf = (s: DebianKernelSource) => s.mirror ?? 'http://deb.debian.org/debian';
  const k0 = resolutionKey(base, mirrorOf(base), 'f'.repeat(64));
  for (const [field, change] of Object.entries(variants)) {
    const s = { ...base, ...change };
    assert.notEqual(resolutionKey(s, mirrorOf(s), 'f'.repeat(64)), k0, field);
  }
  assert.notEqual(resolutionKey(base, mirrorOf(base), 'e'.repeat(64)), k0, 'packages sha256');
  assert.equal(resolutionKey({ ...base }, mirrorOf(base), 'f'.repeat(64)), k0);
});

test('an arm64 profile never shares a resolution with x86_64; x86_64 keys are those from before arch existed', () => {
  const s = DebianKernelSource.parse({ suite: 'bookworm', flavour: 'cloud-arm64' });
  const m = 'http://deb.debian.org/debian';
  assert.notEqual(resolutionKey(s, m, 'f'.repeat(64), 'arm64'), resolutionKey(s, m, 'f'.repeat(64)));
  assert.equal(resolutionKey(s, m, 'f'.repeat(64), 'x86_64'), resolutionKey(s, m, 'f'.repeat(64)));
});

test('pockets: suites with -updates/-security take them by default; release keeps the keys from before pockets', () => {
  const m = 'http://deb.debian.org/debian';
  const bookworm = DebianKernelSource.parse({ suite: 'bookworm' });
  assert.deepEqual(debianPockets(bookworm, m), [
    { mirror: m, suite: 'bookworm' },
    { mirror: m, suite: 'bookworm-updates' },
    { mirror: 'http://deb.debian.org/debian-security', suite: 'bookworm-security' },
  ]);
  assert.deepEqual(debianPockets({ ...bookworm, pocket: 'security' }, m).map((p) => p.suite), ['bookworm', 'bookworm-security']);
  assert.deepEqual(debianPockets({ ...bookworm, pocket: 'release' }, m).map((p) => p.suite), ['bookworm']);
  assert.deepEqual(debianPockets(DebianKernelSource.parse({ suite: 'sid' }), m).map((p) => p.suite), ['sid'], 'sid has no pockets');
  assert.deepEqual(debianPockets(DebianKernelSource.parse({ suite: 'trixie-backports' }), m).map((p) => p.suite), ['trixie-backports']);
  // A release-pocket key is the key computed before pockets existed (same fields, no pocket).
  const before = sha256Hex(canonicalJson({ v: 1, mirror: m, suite: 'bookworm', flavour: 'cloud-amd64', version: null, pin: null, packagesSha256: 'f'.repeat(64) }));
  assert.equal(resolutionKey({ ...bookworm, pocket: 'release' }, m, 'f'.repeat(64)), before);
  assert.equal(resolutionKey(DebianKernelSource.parse({ suite: 'sid' }), m, 'f'.repeat(64)), sha256Hex(canonicalJson({ v: 1, mirror: m, suite: 'sid', flavour: 'cloud-amd64', version: null, pin: null, packagesSha256: 'f'.repeat(64) })));
  assert.notEqual(resolutionKey(bookworm, m, 'f'.repeat(64)), before);
});
