import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { siteVerb } from './site.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';

// The verb's error paths: one-line BpfcompatErrors naming the flag or file. A successful build is
// covered by site/test/site.e2e.test.ts.

async function fails(argv: string[], code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(siteVerb.run(argv), (err: unknown) => {
    assert.ok(err instanceof BpfcompatError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
}

test('site build rejects missing flags, a missing or non-SQLite history and a bad base', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-site-cli-'));
  try {
    await fails([], 'USAGE', /missing subcommand/);
    await fails(['build', '--out', dir], 'USAGE', /--history is required/);
    await fails(['build', '--history', join(dir, 'h.sqlite')], 'USAGE', /--out is required/);
    await fails(['build', '--history', join(dir, 'absent.sqlite'), '--out', join(dir, 'o')], 'FILE_NOT_FOUND', /absent\.sqlite/);
    await writeFile(join(dir, 'h.sqlite'), 'not a database');
    await fails(['build', '--history', join(dir, 'h.sqlite'), '--out', join(dir, 'o'), '--base', '/a/../b/'], 'USAGE', /--base/);
    await fails(['build', '--history', join(dir, 'h.sqlite'), '--out', join(dir, 'o'), '--base', 'https://x/'], 'USAGE', /--base/);
    await fails(['build', '--history', join(dir, 'h.sqlite'), '--out', join(dir, 'o')], 'HISTORY_CORRUPT', /h\.sqlite/);
    assert.deepEqual((await readdir(dir)).sort(), ['h.sqlite'], 'nothing written beside a refused history');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
