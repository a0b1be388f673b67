import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { mergeHistories, openHistory } from './index.ts';
import { makeRun } from './testdata/factory.ts';
import { tempDir } from './testdata/tmp.ts';

const day = (d: number) => new Date(Date.UTC(2025, 0, d)).toISOString();

function shard(path: string, ids: { id: string; day: number; version: string; fail?: boolean }[]): void {
  const h = openHistory(path);
  for (const r of ids) {
    h.appendRun(makeRun({ id: r.id, version: r.version, startedAt: day(r.day), targets: r.fail ? { 'debian-11-5.10': { status: 'fail' } } : {} }), { 'debian-12-6.1': `log of ${r.id}`, 'debian-11-5.10': 'shared log' });
  }
  h.close();
}

function snapshot(path: string) {
  const h = openHistory(path, { readonly: true });
  const s = { counts: h.counts(), digest: h.contentDigest(), latest: h.latestVerdicts(), versions: h.artifactVersions('execsnoop') };
  h.close();
  return s;
}

test('merge is idempotent and order-independent (row counts and content digest)', () => {
  const dir = tempDir();
  const a = join(dir, 'a.sqlite');
  const b = join(dir, 'b.sqlite');
  // Overlap: both shards ran v1 with identical inputs (same result keys) on different days; run s-shared is in both.
  shard(a, [{ id: 'a-1', day: 2, version: 'v1' }, { id: 's-shared', day: 5, version: 'v2' }]);
  shard(b, [{ id: 'b-1', day: 1, version: 'v1' }, { id: 's-shared', day: 5, version: 'v2' }, { id: 'b-2', day: 6, version: 'v3', fail: true }]);
  const ab = join(dir, 'ab.sqlite');
  const ba = join(dir, 'ba.sqlite');
  mergeHistories([a, b], ab);
  const once = snapshot(ab);
  mergeHistories([a, b], ab);
  mergeHistories([b], ab);
  const twice = snapshot(ab);
  mergeHistories([b, a], ba);
  const reversed = snapshot(ba);
  assert.deepEqual(twice, once);
  assert.deepEqual(reversed, once);
  assert.equal(once.counts.runs, 4);
  assert.equal(once.counts.run_results, 20);
  // Earliest sighting wins regardless of order: v1 was first seen in shard b's run on day 1.
  assert.equal(once.versions.find((v) => v.version === 'v1')!.first_seen_run, 'b-1');
  // Newest verdict wins: v3 on day 6 failed on 5.10.
  assert.equal(once.latest.find((l) => l.profile_id === 'debian-11-5.10')!.run_id, 'b-2');
  const h = openHistory(ab);
  assert.equal(h.verify().ok, true);
  h.close();
});
