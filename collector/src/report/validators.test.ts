// The report's validator block per guest CPU: unchanged for x86_64-only matrices, truthful for arm64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validatorsBlock } from './validators.ts';

const x86 = { basename: 'bpfcompat-validator', sha256: 'x'.repeat(64), size_bytes: 1 };
const arm = { basename: 'bpfcompat-validator', sha256: 'a'.repeat(64), size_bytes: 2 };

test('x86_64 only: just `validator`, no `validators` (old reports stay byte-identical)', () => {
  assert.deepEqual(validatorsBlock(['x86_64', 'x86_64'], { x86_64: x86, arm64: arm }, x86), { validator: x86 });
});

test('arm64 only: `validator` is the arm64 binary and `validators` names it', () => {
  assert.deepEqual(validatorsBlock(['arm64'], { x86_64: x86, arm64: arm }, x86), { validator: arm, validators: [{ arch: 'arm64', ...arm }] });
});

test('mixed: one entry per CPU in profile order; a CPU without a binary is left out', () => {
  assert.deepEqual(validatorsBlock(['x86_64', 'arm64'], { x86_64: x86, arm64: arm }, x86).validators?.map((v) => v.arch), ['x86_64', 'arm64']);
  assert.deepEqual(validatorsBlock(['x86_64', 'arm64'], { x86_64: x86 }, x86), { validator: x86, validators: [{ arch: 'x86_64', ...x86 }] });
});
