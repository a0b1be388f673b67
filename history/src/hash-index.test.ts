import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { mergeHistories, openHistory } from './index.ts';
import { makeRun } from './testdata/factory.ts';
import { tempDir } from './testdata/tmp.ts';

// Migration 4 replaced the UNIQUE indexes on 64-character hex (targets.sha256, results.result_key) with
// indexes on a 16-character prefix: the writers keep the hashes unique, lookups go through the prefix.

const P = 'debian-12-6.1';

test('hash lookups use the prefix indexes, and a second connection does not duplicate targets or results', () => {
  const path = join(tempDir(), 'h.sqlite');
  const first = makeRun({ id: 'r1', targets: { [P]: { status: 'fail' } } });
  let h = openHistory(path);
  h.appendRun(first);
  h.close();
  // Same inputs and verdicts again from a new connection (empty caches): found through the prefix index, not re-inserted.
  const again = { ...first, run: { ...first.run, id: 'r2', started_at: '2030-01-01T00:00:00.000Z', finished_at: '2030-01-01T00:00:00.000Z' } };
  h = openHistory(path);
  assert.equal(h.appendRun(again).newResults, 0);
  assert.equal(h.findReusable(first.targets[0]!.result_key)?.run_id, 'r2');
  h.close();
  const raw = new Database(path, { readonly: true });
  assert.equal(raw.prepare('SELECT count(*) FROM targets').pluck().get(), first.targets.length);
  assert.equal(raw.prepare('SELECT count(*) FROM results').pluck().get(), first.targets.length);
  // No index keyed by the full hex remains on the two tables (only the prefix expressions).
  const indexes = raw.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('targets', 'results') ORDER BY name`).pluck().all();
  assert.deepEqual(indexes, ['results_by_key', 'targets_by_sha']);
  for (const [sql, index] of [
    ['SELECT id FROM results WHERE substr(result_key, 1, 16) = substr(?, 1, 16) AND result_key = ?', 'results_by_key'],
    ['SELECT id FROM targets WHERE substr(sha256, 1, 16) = substr(?, 1, 16) AND sha256 = ?', 'targets_by_sha'],
  ] as const) {
    const plan = (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('x', 'x') as { detail: string }[]).map((p) => p.detail).join('; ');
    assert.match(plan, new RegExp(`USING INDEX ${index}`), plan);
  }
  raw.close();
});

test('verify reports a target or result stored twice; merging a file into itself adds no rows', () => {
  const dir = tempDir();
  const path = join(dir, 'h.sqlite');
  const h = openHistory(path);
  h.appendRun(makeRun({ id: 'r1', targets: { [P]: { status: 'pass' } } }));
  h.close();
  const copy = join(dir, 'copy.sqlite');
  const merged = mergeHistories([path], copy);
  assert.ok(merged.added.targets! > 0);
  const again = mergeHistories([path], copy);
  assert.equal(again.added.targets, 0);
  assert.equal(again.added.results, 0);
  const raw = new Database(copy);
  raw.exec(`INSERT INTO targets (sha256, dictionary, data, status) SELECT sha256, dictionary, data, status FROM targets LIMIT 1;
    INSERT INTO results (result_key, artifact_sha256, kernel_sha256, validator_sha256, manifest_sha256, mode, first_run_id, created_at)
      SELECT result_key, artifact_sha256, kernel_sha256, validator_sha256, manifest_sha256, mode, first_run_id, created_at FROM results LIMIT 1`);
  raw.close();
  const r = openHistory(copy, { readonly: true });
  const report = r.verify();
  r.close();
  assert.equal(report.ok, false);
  assert.deepEqual(report.mismatches.filter((m) => m.problem === 'stored 2 times').map((m) => m.table).sort(), ['results', 'targets']);
});
