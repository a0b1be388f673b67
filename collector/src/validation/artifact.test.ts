import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, copyFileSync } from 'node:fs';
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
