import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { compressText, decompressText } from './codec.ts';
import { TARGET_DICTIONARY } from './dictionary.ts';

// compressText reuses one zlib stream per dictionary (reset between texts); its bytes must stay exactly
// those of deflateRawSync, or stored blobs would depend on which path wrote them.

test('compressText gives deflateRawSync bytes, with and without a dictionary, interleaved', () => {
  const dict = TARGET_DICTIONARY.data;
  const texts = ['', 'x', '{"status":"pass","kernel":{"release":"6.1.0"}}', dict.toString('utf8').slice(0, 900), 'ünïcødé ✓'.repeat(50)];
  for (let round = 0; round < 3; round++) {
    for (const t of texts) {
      const input = Buffer.from(t, 'utf8');
      const withDict = compressText(t, dict);
      assert.deepEqual(withDict, deflateRawSync(input, { dictionary: dict }), `dictionary, ${JSON.stringify(t.slice(0, 20))}`);
      assert.equal(decompressText(withDict, dict), t);
      const without = compressText(t);
      assert.deepEqual(without, deflateRawSync(input), `no dictionary, ${JSON.stringify(t.slice(0, 20))}`);
      assert.equal(inflateRawSync(without).toString('utf8'), t);
    }
  }
});

test('compressText handles texts larger than its output buffer and incompressible ones', () => {
  const big = 'log line 0123456789 '.repeat(100_000); // 2 MB: the plain path
  assert.equal(decompressText(compressText(big)), big);
  const noise = randomBytes(100_000).toString('base64'); // compresses poorly: may not fit in one call
  assert.deepEqual(compressText(noise), deflateRawSync(Buffer.from(noise)));
  // the reused stream still works after those
  assert.deepEqual(compressText('after', TARGET_DICTIONARY.data), deflateRawSync(Buffer.from('after'), { dictionary: TARGET_DICTIONARY.data }));
});
