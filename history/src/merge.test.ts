import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { mergeHistories, openHistory } from './index.ts';
import { EARLIER_SIGHTINGS, insertMissingSql, RUN_RESULTS_MAPPED, VERDICT_POINTERS } from './merge.ts';
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

test('merge reads the source outermost and only looks rows up in the destination (cost follows the shard, not the history)', () => {
  const dir = tempDir();
  const a = join(dir, 'a.sqlite');
  const into = join(dir, 'into.sqlite');
  shard(a, [{ id: 'a-1', day: 2, version: 'v1' }]);
  shard(into, [{ id: 'i-1', day: 1, version: 'v1' }]);
  // Without ANALYZE statistics SQLite plans as if every table were large, so these plans are the ones a
  // history of any size gets. A SCAN of a destination table (or an automatic index over one) made merging a
  // 200-run shard into 100,000 runs take a second.
  const db = new Database(into, { readonly: true });
  try {
    db.prepare('ATTACH DATABASE ? AS src').run(a);
    const queries = [['members', RUN_RESULTS_MAPPED, 'r'], ['earlier sightings', EARLIER_SIGHTINGS, 's'], ['verdict pointers', VERDICT_POINTERS, 's'],
      ['missing targets', insertMissingSql('targets', 'sha256, data'), 's'], ['missing results', insertMissingSql('results', 'result_key, mode'), 's']] as const;
    for (const [name, sql, outer] of queries) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail);
      assert.match(plan[0]!, new RegExp(`^SCAN ${outer}\\b`), `${name}: ${plan.join(' | ')}`);
      for (const line of plan) {
        assert.doesNotMatch(line, /AUTOMATIC/, `${name}: ${plan.join(' | ')}`);
        const scanned = /^SCAN (\w+)/.exec(line)?.[1];
        if (scanned !== undefined) assert.ok(scanned === outer || scanned === 'j', `${name} scans ${scanned}: ${plan.join(' | ')}`);
      }
    }
  } finally {
    db.close();
  }
});

test('merge into a new file starts from a copy of the first source: same rows as the source, no temporary file left', () => {
  const dir = tempDir();
  const a = join(dir, 'a.sqlite');
  const b = join(dir, 'b.sqlite');
  shard(a, [{ id: 'a-1', day: 2, version: 'v1' }, { id: 'a-2', day: 3, version: 'v2', fail: true }]);
  shard(b, [{ id: 'b-1', day: 1, version: 'v1' }]);
  // A mark only a copy carries over: a merge into an empty file records its own migration times.
  const marked = new Database(a);
  marked.prepare("UPDATE schema_version SET applied_at = '2020-01-01T00:00:00.000Z'").run();
  marked.close();
  const into = join(dir, 'nested', 'into.sqlite');
  const res = mergeHistories([a], into);
  const copy = new Database(into, { readonly: true });
  assert.deepEqual(copy.prepare('SELECT DISTINCT applied_at FROM schema_version').pluck().all(), ['2020-01-01T00:00:00.000Z']);
  copy.close();
  const source = snapshot(a);
  assert.deepEqual(snapshot(into), source);
  assert.deepEqual(res.added, source.counts);
  assert.deepEqual(readdirSync(join(dir, 'nested')).filter((f) => f.includes('.tmp')), []);
  // The rest of the sources merge into the copy as into any history; the result equals a merge into an existing empty one.
  mergeHistories([b], into);
  const empty = join(dir, 'empty.sqlite');
  openHistory(empty).close();
  mergeHistories([a, b], empty);
  assert.deepEqual(snapshot(into), snapshot(empty));
  const h = openHistory(into);
  assert.equal(h.verify().ok, true);
  h.close();
});

test('a shard whose rows do not verify is refused whole, and the destination is left untouched', () => {
  const dir = tempDir();
  const good = join(dir, 'good.sqlite');
  shard(good, [{ id: 'g1', day: 1, version: 'v1' }]);
  const clean = join(dir, 'clean.sqlite');
  shard(clean, [{ id: 'c1', day: 2, version: 'v2' }]);
  const tamper = (name: string, edit: (db: Database.Database) => void) => {
    const path = join(dir, `${name}.sqlite`);
    shard(path, [{ id: `${name}1`, day: 3, version: 'v3', fail: true }]);
    const db = new Database(path);
    edit(db);
    db.close();
    return path;
  };
  const cases = {
    // only the stored verdict column: the JSON blob still says fail
    status: tamper('status', (db) => db.prepare("UPDATE targets SET status = 'pass', failed_stage = NULL, classification_code = NULL WHERE status = 'fail'").run()),
    // the blob and its column together: the content no longer hashes to its address
    blob: tamper('blob', (db) => {
      const row = db.prepare("SELECT id FROM targets WHERE status = 'fail'").get() as { id: number };
      db.prepare("UPDATE targets SET data = (SELECT data FROM targets WHERE status = 'pass' LIMIT 1), status = 'pass', failed_stage = NULL, classification_code = NULL WHERE id = ?").run(row.id);
    }),
    // the latest verdict's copy of the status, which the site shows
    latest: tamper('latest', (db) => db.prepare(`UPDATE latest_by_artifact SET cells = replace(cells, '"fail"', '"pass"')`).run()),
  };
  const before = snapshot(good);
  for (const [name, path] of Object.entries(cases)) {
    assert.throws(() => mergeHistories([clean, path], good), (e: Error & { code?: string }) =>
      e.code === 'HISTORY_CORRUPT' && e.message.startsWith(`${path}: fails verification (`) && e.message.endsWith('; nothing merged'), name);
    assert.deepEqual(snapshot(good), before, `${name}: the destination is untouched (the clean shard before it was not merged either)`);
    assert.throws(() => mergeHistories([path], join(dir, `new-${name}.sqlite`)), (e: Error & { code?: string }) => e.code === 'HISTORY_CORRUPT', name);
    assert.ok(!readdirSync(dir).includes(`new-${name}.sqlite`), `${name}: no new destination is created`);
  }
  assert.ok(!readdirSync(dir).some((f) => /^(status|blob|latest)\.sqlite-(wal|shm)$/.test(f)), 'no -wal/-shm left beside the refused shards');
  mergeHistories([clean], good);
  assert.equal(openHistory(good, { readonly: true }).verify().ok, true);
});

test('merging a history into itself is refused at once', () => {
  const dir = tempDir();
  const h = join(dir, 'h.sqlite');
  shard(h, [{ id: 'r1', day: 1, version: 'v1' }]);
  assert.throws(() => mergeHistories([h], join(dir, '.', 'h.sqlite')), (e: Error & { code?: string }) => e.code === 'USAGE' && /is the destination .* itself/.test(e.message));
});
