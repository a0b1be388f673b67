import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DebianKernelSource } from '../config/matrix.ts';
import { resolutionKey } from './debian-source.ts';

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
