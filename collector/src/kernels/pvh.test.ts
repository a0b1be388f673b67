// PVH extraction on the real Debian kernels the set-up caches (lz4 and zstd payloads), and on small bzImages
// built here to reach the refusals: a payload without the PVH note, a size that does not match, not a bzImage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadMatrix } from '../config/matrix.ts';
import { resolveKernel } from './resolve.ts';
import { bootImagePath, bzImagePayload, extractPvhElf, hasPvhEntry, pvhElfPath, pvhEntryUsable } from './pvh.ts';
import { decodeLz4Legacy } from './lz4-legacy.ts';
import type { ResolvedKernel } from './types.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-pvh-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function debianKernel(id: string): Promise<ResolvedKernel> {
  const profile = (await loadMatrix(join(ROOT, 'matrices/debian.yaml'))).profiles.find((p) => p.id === id)!;
  return resolveKernel(profile, { offline: true });
}

/** A minimal ELF64 x86-64 image whose one PT_NOTE holds the given notes. */
function elfWithNotes(notes: Array<{ name: string; type: number }>): Buffer {
  const body = Buffer.concat(notes.map(({ name, type }) => {
    const n = Buffer.alloc(Math.ceil((name.length + 1) / 4) * 4);
    n.write(name, 'latin1');
    const h = Buffer.alloc(12);
    h.writeUInt32LE(name.length + 1, 0);
    h.writeUInt32LE(4, 4);
    h.writeUInt32LE(type, 8);
    return Buffer.concat([h, n, Buffer.alloc(4)]);
  }));
  const elf = Buffer.alloc(64 + 56);
  elf.writeUInt32BE(0x7f454c46, 0);
  elf[4] = 2; // 64-bit
  elf[5] = 1; // little endian
  elf.writeUInt16LE(62, 18); // x86-64
  elf.writeBigUInt64LE(64n, 0x20); // e_phoff
  elf.writeUInt16LE(56, 0x36);
  elf.writeUInt16LE(1, 0x38);
  elf.writeUInt32LE(4, 64); // PT_NOTE
  elf.writeBigUInt64LE(BigInt(64 + 56), 64 + 0x08);
  elf.writeBigUInt64LE(BigInt(body.length), 64 + 0x20);
  return Buffer.concat([elf, body]);
}

/** A bzImage shell (setup header, boot protocol 2.15) around a payload. */
function bzImage(payload: Buffer): Buffer {
  const setup = Buffer.alloc(5 * 512);
  setup[0x1f1] = 4;
  setup.write('HdrS', 0x202, 'latin1');
  setup.writeUInt16LE(0x20f, 0x206);
  setup.writeUInt32LE(0, 0x248);
  setup.writeUInt32LE(payload.length, 0x24c);
  return Buffer.concat([setup, payload]);
}

test('Debian kernels: the lz4 (bookworm) and zstd (sid) payloads decompress to the size the build recorded, with a PVH entry', async () => {
  for (const [id, format] of [['debian-12', 'lz4'], ['debian-sid', 'zstd']] as const) {
    const kernel = await debianKernel(id);
    const bz = readFileSync(kernel.imagePath);
    const payload = bzImagePayload(bz);
    assert.equal(payload?.format, format, id);
    const r = await extractPvhElf(bz);
    assert.ok(r.elf !== null, `${id}: ${r.elf === null ? r.reason : ''}`);
    assert.equal(r.elf.length, payload!.size);
    assert.ok(hasPvhEntry(r.elf));
  }
});

test('bzImages built here: gzip with the note boots PVH; without it, with a wrong size, or not a bzImage, it does not', async () => {
  const pvh = elfWithNotes([{ name: 'GNU', type: 3 }, { name: 'Xen', type: 18 }]);
  assert.ok(hasPvhEntry(pvh));
  const ok = await extractPvhElf(bzImage(gzipSync(pvh)));
  assert.deepEqual(ok.elf, pvh);

  const plain = elfWithNotes([{ name: 'Xen', type: 6 }]);
  assert.deepEqual(await extractPvhElf(bzImage(gzipSync(plain))), { elf: null, reason: 'no PVH entry (CONFIG_PVH off)' });

  // lz4's legacy frame with the 32-bit size the x86 build appends; one literal-only block holds the ELF.
  const block = Buffer.concat([Buffer.from([0xf0]), lengthBytes(pvh.length - 15), pvh]);
  const frame = (size: number) => Buffer.concat([Buffer.from([0x02, 0x21, 0x4c, 0x18]), u32(block.length), block, u32(size)]);
  assert.deepEqual((await extractPvhElf(bzImage(frame(pvh.length)))).elf, pvh);
  assert.deepEqual(await extractPvhElf(bzImage(frame(pvh.length + 1))), { elf: null, reason: `payload decompressed to ${pvh.length} bytes, the build recorded ${pvh.length + 1}` });

  assert.equal(bzImagePayload(Buffer.alloc(4096)), null);
  assert.deepEqual(await extractPvhElf(pvh), { elf: null, reason: 'not a bzImage with a known compressed payload' });
});

test('LZ4 legacy: overlapping matches repeat their pattern; a match before the block or a cut block is refused', () => {
  // "ab" as literals, then a match of 8 at offset 2: "abababababab"
  const seq = Buffer.from([0x24, 0x61, 0x62, 0x02, 0x00]);
  const frame = (block: Buffer) => Buffer.concat([Buffer.from([0x02, 0x21, 0x4c, 0x18]), u32(block.length), block]);
  assert.equal(decodeLz4Legacy(frame(Buffer.concat([seq, Buffer.from([0x10, 0x21])]))).toString(), 'ababababab!');
  assert.throws(() => decodeLz4Legacy(frame(Buffer.from([0x14, 0x61, 0x05, 0x00]))), /offset out of range/);
  assert.throws(() => decodeLz4Legacy(frame(seq).subarray(0, 8)), /runs past the input/);
  assert.throws(() => decodeLz4Legacy(Buffer.from('not lz4')), /not an LZ4 legacy frame/);
});

test('bootImagePath: extracts once into the cache, remembers kernels that cannot boot PVH, leaves other cases alone', async () => {
  const cache = join(dir, 'cache');
  const kernel = await debianKernel('debian-12');
  const elf = await bootImagePath(kernel, cache);
  assert.equal(elf, join(cache, 'pvh', `${kernel.imageSha256}.elf`));
  assert.ok(hasPvhEntry(readFileSync(elf)));
  assert.equal(await bootImagePath(kernel, cache), elf);

  const notPvh = join(dir, 'plain-bzImage');
  writeFileSync(notPvh, bzImage(gzipSync(elfWithNotes([]))));
  const plain = { ...kernel, imagePath: notPvh, imageSha256: 'f'.repeat(64) };
  assert.equal(await bootImagePath(plain, cache), notPvh);
  assert.ok(existsSync(join(cache, 'pvh', `${'f'.repeat(64)}.none`)));

  assert.equal(await bootImagePath({ ...kernel, arch: 'arm64' }, cache), kernel.imagePath);
  process.env.BPFCOMPAT_BOOT = 'bzimage';
  try {
    assert.equal(await bootImagePath(kernel, cache), kernel.imagePath, 'BPFCOMPAT_BOOT=bzimage boots the image as is');
  } finally {
    delete process.env.BPFCOMPAT_BOOT;
  }
  assert.equal(await bootImagePath({ ...kernel, imagePath: join(dir, 'missing') }, cache), join(dir, 'missing'));
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/** LZ4's length continuation bytes for a count past 15. */
function lengthBytes(n: number): Buffer {
  const out: number[] = [];
  for (; n >= 255; n -= 255) out.push(255);
  out.push(n);
  return Buffer.from(out);
}

test('a PVH note before Linux 5.0 is Xen\'s own entry: such kernels (Ubuntu 18.04\'s 4.18) boot as bzImages', async () => {
  const cache = join(dir, 'cache-xen');
  const kernel = await debianKernel('debian-12');
  const noPvh = join(dir, 'config-4.18');
  writeFileSync(noPvh, 'CONFIG_XEN_PVH=y\n# CONFIG_PVH is not set\n');
  const old = { ...kernel, configPath: noPvh, release: '4.18.0-25-generic' };
  assert.equal(await bootImagePath(old, cache), kernel.imagePath, 'the config says no CONFIG_PVH: the bzImage boots');
  assert.ok(await pvhElfPath(old, cache), 'the payload is still extracted (the screen reads its .BTF)');
  assert.equal(await bootImagePath(kernel, cache), join(cache, 'pvh', `${kernel.imageSha256}.elf`), 'CONFIG_PVH=y boots the ELF');
  assert.equal(await pvhEntryUsable({ configPath: null, release: '4.18.0-553.el8_10.x86_64' }), false);
  assert.equal(await pvhEntryUsable({ configPath: null, release: '5.4.0-216-generic' }), true);
  assert.equal(await pvhEntryUsable({ configPath: null, release: 'custom' }), true);
  assert.equal(await pvhEntryUsable({ configPath: join(dir, 'no-such-config'), release: '4.18.0' }), false, 'an unreadable config falls back to the release');
});
