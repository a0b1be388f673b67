import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { embeddedBpfObjects } from './skeletons.ts';

test('BPF objects embedded in a binary come out byte for byte; host ELF headers and truncated blobs do not', () => {
  const a = readFileSync('build/examples/bpf_loop.bpf.o');
  const b = readFileSync('build/examples/core_field_renamed.bpf.o');
  const host = readFileSync(process.execPath).subarray(0, 4096); // an x86_64 ELF header: not EM_BPF
  const bin = Buffer.concat([host, Buffer.alloc(13, 7), a, Buffer.alloc(5), b, b.subarray(0, 100)]);
  const found = embeddedBpfObjects(bin);
  assert.equal(found.length, 2);
  assert.ok(found[0]!.equals(a));
  assert.ok(found[1]!.equals(b));
});
