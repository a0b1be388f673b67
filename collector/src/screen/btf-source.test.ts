import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elfBtfSection, rawImageBtf, realSystemMap } from './btf-source.ts';

test('the .BTF section of an ELF comes out whole, and the same bytes are found inside a raw image by their header', () => {
  const btf = elfBtfSection(readFileSync('build/examples/core_field_renamed.bpf.o'));
  assert.ok(btf);
  assert.equal(btf.readUInt16LE(0), 0xeb9f);
  const hdr = { typeLen: btf.readUInt32LE(12), strOff: btf.readUInt32LE(16), strLen: btf.readUInt32LE(20) };
  assert.equal(btf.length, 24 + hdr.strOff + hdr.strLen);
  // a raw image: noise with a false magic (bad header) before the real blob; small objects' BTF is under the
  // 1 KiB floor meant for kernels, so pad the blob's type section the way a kernel's would be
  const noise = Buffer.concat([Buffer.alloc(100, 1), Buffer.from([0x9f, 0xeb, 0x01, 0x00, 0x99, 0, 0, 0]), Buffer.alloc(50, 2)]);
  assert.ok(hdr.typeLen < 1024, 'a small object: below the floor, so not taken for a kernel\'s BTF');
  assert.equal(rawImageBtf(Buffer.concat([noise, btf, Buffer.alloc(64)])), null);
  assert.equal(elfBtfSection(Buffer.from('not an elf at all, but long enough to have a header of sixty-four bytes....')), null);
});

test("Debian's one-line stand-in System.map is not a symbol table (every kprobe target would look missing)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-sysmap-'));
  try {
    const stub = join(dir, 'stub');
    writeFileSync(stub, 'ffffffffffffffff B The real System.map is in the linux-image-6.1.0-57-cloud-amd64-dbg package\n');
    const real = join(dir, 'real');
    writeFileSync(real, '0000000000000000 A VDSO32_PRELINK\nffffffff81000000 T _stext\nffffffff81234560 T vfs_read\n');
    assert.equal(realSystemMap(stub), false);
    assert.equal(realSystemMap(real), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
