import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resultKey, RESULT_KEY_FIELDS, type ResultKeyInput } from './result-key.ts';

const machine = { cpu: 'EPYC-Rome-v1', memory_mb: 1024, cpus: 1 };
const input: ResultKeyInput = { artifact: 'a'.repeat(64), kernel: 'b'.repeat(64), validator: 'c'.repeat(64), manifest: null, mode: 'default', machine };

test('the result key hashes exactly the decided field list', () => {
  // Adding an input to runs means deciding whether it changes verdicts: update this list and the key together.
  assert.deepEqual([...RESULT_KEY_FIELDS], ['artifact', 'kernel', 'validator', 'manifest', 'mode', 'machine']);
  assert.deepEqual(Object.keys(input).sort(), [...RESULT_KEY_FIELDS].sort());
});

test('the same inputs give the same key; any change gives another', () => {
  const k = resultKey(input);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(resultKey({ ...input }), k);
  for (const f of RESULT_KEY_FIELDS) {
    const changed = { ...input, [f]: f === 'manifest' ? 'd'.repeat(64) : f === 'machine' ? { ...machine, cpu: 'max,cx16=off' } : `${input[f] as string}x` };
    assert.notEqual(resultKey(changed), k, `changing ${f} changes the key`);
  }
  // every part of the machine is an input: memory and CPUs can change a verdict too (ENOMEM, per-CPU maps)
  assert.notEqual(resultKey({ ...input, machine: { ...machine, memory_mb: 512 } }), k);
  assert.notEqual(resultKey({ ...input, machine: { ...machine, cpus: 2 } }), k);
});

test('a key written before the machine was an input still hashes as it did (older histories verify)', () => {
  const { machine: _, ...old } = input;
  // the key these inputs had before the machine field existed (computed by that revision)
  assert.equal(resultKey(old), '795386b39a21b1fc954718bdb15058ac985bc98848b079dd120f6e014c80a155');
  assert.equal(resultKey({ ...old, machine: undefined }), resultKey(old));
  assert.notEqual(resultKey(old), resultKey(input));
});
