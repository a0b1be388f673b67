import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bzImageVersionOf } from './bzimage.ts';

// The header arithmetic on a minimal setup header; the e2e test reads real Debian images.
function header(version: string, pointer = 0x3a00): Buffer {
  const buf = Buffer.alloc(0x4000);
  buf.write('HdrS', 0x202, 'latin1');
  buf.writeUInt16LE(pointer - 0x200, 0x20e);
  buf.write(version + '\0', pointer, 'latin1');
  return buf;
}

test('reads the kernel version string through the 0x20E pointer (relative to 0x200)', () => {
  const v = '6.1.0-50-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1';
  assert.equal(bzImageVersionOf(header(v)), v);
});

test('returns null for files that are not bzImages', () => {
  const noMagic = header('6.1.0');
  noMagic.write('XXXX', 0x202, 'latin1');
  assert.equal(bzImageVersionOf(noMagic), null);
  assert.equal(bzImageVersionOf(Buffer.from('\x7fELF')), null);
});
