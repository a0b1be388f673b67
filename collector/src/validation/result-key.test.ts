import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resultKey, RESULT_KEY_FIELDS, type ResultKeyInput } from './result-key.ts';

const input: ResultKeyInput = { artifact: 'a'.repeat(64), kernel: 'b'.repeat(64), validator: 'c'.repeat(64), manifest: null, mode: 'default' };

test('the result key hashes exactly the decided field list', () => {
  // Adding an input to runs means deciding whether it changes verdicts: update this list and the key together.
  assert.deepEqual([...RESULT_KEY_FIELDS], ['artifact', 'kernel', 'validator', 'manifest', 'mode']);
  assert.deepEqual(Object.keys(input).sort(), [...RESULT_KEY_FIELDS].sort());
});

test('the same inputs give the same key; any change gives another', () => {
  const k = resultKey(input);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(resultKey({ ...input }), k);
  for (const f of RESULT_KEY_FIELDS) {
    const changed = { ...input, [f]: f === 'manifest' ? 'd'.repeat(64) : `${input[f]}x` };
    assert.notEqual(resultKey(changed), k, `changing ${f} changes the key`);
  }
});
