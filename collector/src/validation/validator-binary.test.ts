import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { elfMachine, validatorForArch, type ValidatorBinary } from './validator-binary.ts';

const x86: ValidatorBinary = { path: '/x86/bpfcompat-validator', basename: 'bpfcompat-validator', sha256: 'a'.repeat(64), sizeBytes: 1 };

test('x86_64 keeps the located validator; arm64 needs a static aarch64 ELF and names the make target', async () => {
  assert.equal(await validatorForArch('x86_64', x86), x86);
  const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-vbin-'));
  try {
    await assert.rejects(validatorForArch('arm64', x86, { BPFCOMPAT_VALIDATOR_BIN_ARM64: join(dir, 'none') }), (e: unknown) => e instanceof BpfcompatError && e.code === 'VALIDATOR_MISSING' && /make validator-arm64/.test(e.hint ?? ''));
    // An x86_64 binary given as the arm64 validator is refused.
    const wrong = join(dir, 'x86-static');
    await copyFile('/bin/busybox', wrong);
    assert.equal(await elfMachine(wrong), 62);
    await assert.rejects(validatorForArch('arm64', x86, { BPFCOMPAT_VALIDATOR_BIN_ARM64: wrong }), /not a statically linked aarch64 ELF/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the cross-built arm64 validator is accepted with its own sha256', async () => {
  const v = await validatorForArch('arm64', x86, {});
  assert.equal(await elfMachine(v.path), 183);
  assert.match(v.sha256, /^[0-9a-f]{64}$/);
  assert.notEqual(v.sha256, x86.sha256);
});
