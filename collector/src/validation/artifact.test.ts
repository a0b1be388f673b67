import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { inspectArtifact, MAX_ARTIFACT_BYTES } from './artifact.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-artifact-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function codeOf(path: string): Promise<string> {
  try {
    await inspectArtifact(path);
  } catch (err) {
    assert.ok(err instanceof BpfcompatError);
    assert.ok(err.message.includes(path), 'names the file');
    assert.ok(err.message.includes('--artifact'), 'names the flag');
    return err.code;
  }
  return 'ok';
}

test('bad artifacts are refused before any VM boots', async () => {
  assert.equal(await codeOf(join(dir, 'missing.bpf.o')), 'FILE_NOT_FOUND');
  writeFileSync(join(dir, 'empty.o'), '');
  assert.equal(await codeOf(join(dir, 'empty.o')), 'FILE_EMPTY');
  writeFileSync(join(dir, 'text.o'), 'not an object\n');
  assert.equal(await codeOf(join(dir, 'text.o')), 'NOT_ELF');
  copyFileSync('/bin/true', join(dir, 'true.o'));
  assert.equal(await codeOf(join(dir, 'true.o')), 'NOT_BPF_ELF');
  execFileSync('truncate', ['-s', String(200 * 1024 * 1024), join(dir, 'huge.o')]);
  assert.ok(200 * 1024 * 1024 > MAX_ARTIFACT_BYTES);
  assert.equal(await codeOf(join(dir, 'huge.o')), 'FILE_TOO_LARGE');
});

test('a BPF object is accepted with its sha256', async () => {
  const src = join(dir, 'p.bpf.c');
  writeFileSync(src, 'int x(void *ctx) { return 0; }\n');
  execFileSync('clang', ['-O2', '-target', 'bpf', '-c', src, '-o', join(dir, 'p.bpf.o')]);
  const info = await inspectArtifact(join(dir, 'p.bpf.o'));
  assert.match(info.sha256, /^[0-9a-f]{64}$/);
  assert.equal(info.basename, 'p.bpf.o');
});

test('a truncated object, or one whose .BTF is corrupt, is refused on the host with libbpf\'s reason', async () => {
  const src = join(dir, 'btf.bpf.c');
  writeFileSync(src, '#define SEC(n) __attribute__((section(n), used))\nstruct { int (*type)[2]; int (*max_entries)[1]; int *key; int *value; } m SEC(".maps");\nSEC("xdp") int x(void *ctx) { return 2; }\nchar LICENSE[] SEC("license") = "GPL";\n');
  const good = join(dir, 'btf.bpf.o');
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-c', src, '-o', good]);
  await inspectArtifact(good);
  const bytes = readFileSync(good);
  writeFileSync(join(dir, 'cut.bpf.o'), bytes.subarray(0, Math.floor(bytes.length * 0.8)));
  assert.equal(await codeOf(join(dir, 'cut.bpf.o')), 'OBJECT_MALFORMED');
  // flip the bytes of the .BTF header's type section offsets (located by its magic 0xeB9F)
  const btf = Buffer.from(bytes);
  const at = btf.indexOf(Buffer.from([0x9f, 0xeb, 0x01]));
  assert.ok(at > 0, 'the object has .BTF');
  for (let i = at + 8; i < at + 24; i++) btf[i] = btf[i]! ^ 0xff;
  writeFileSync(join(dir, 'btf-bad.bpf.o'), btf);
  assert.equal(await codeOf(join(dir, 'btf-bad.bpf.o')), 'OBJECT_MALFORMED');
  await assert.rejects(inspectArtifact(join(dir, 'btf-bad.bpf.o')), /--artifact .*btf-bad\.bpf\.o: .*(BTF|libbpf)/);
});
