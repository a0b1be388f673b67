import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256File } from '../../../../history/vocabulary/hash.ts';
import { cachedImageSha256 } from './image-hash.ts';

test('an image is hashed once per path+size+mtime, again when it changes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-imghash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const img = join(dir, 'disk.img');
  await writeFile(img, 'first');
  let reads = 0;
  const hash = (p: string) => {
    reads++;
    return sha256File(p);
  };
  const a = await cachedImageSha256(img, { cacheDir: dir, hash });
  const b = await cachedImageSha256(img, { cacheDir: dir, hash });
  assert.equal(a, b);
  assert.equal(reads, 1, 'the second lookup comes from the cache');
  assert.equal(a, await sha256File(img));
  await writeFile(img, 'second!');
  await utimes(img, new Date(), new Date(Date.now() + 5000));
  const c = await cachedImageSha256(img, { cacheDir: dir, hash });
  assert.equal(reads, 2, 'a rewritten image is hashed again');
  assert.notEqual(c, a);
  assert.equal(c, await sha256File(img));
});
