import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { TARGET_DICTIONARY } from './dictionary.ts';
import { mergeHistories, openHistory, SCHEMA_VERSION } from './index.ts';
import { makeRun, type KernelSpec } from './testdata/factory.ts';
import { tempDir } from './testdata/tmp.ts';

// The bulk-append machinery of migration 3: dictionary-compressed targets, multi-row member inserts,
// the per-connection caches that skip statements, and the reusable-verdict pointer in results.

const day = (d: number) => new Date(Date.UTC(2025, 0, d)).toISOString();
const P = 'debian-12-6.1';

test('target dictionary 1 is pinned, copied into the file, and its blobs read back after reopening', () => {
  // Editing a shipped dictionary would make it disagree with the copies in existing files: add an id instead.
  assert.equal(TARGET_DICTIONARY.id, 1);
  assert.equal(TARGET_DICTIONARY.sha256, '9370ce72e26c498d56914a0c2543c83a8c2108479a389167b8313d2de618c853');
  const path = join(tempDir(), 'h.sqlite');
  const run = makeRun({ id: 'r1', targets: { [P]: { status: 'fail' } } });
  const h = openHistory(path);
  h.appendRun(run);
  h.close();
  const raw = new Database(path, { readonly: true });
  assert.deepEqual(raw.prepare('SELECT id, sha256 FROM dictionaries').all(), [{ id: 1, sha256: TARGET_DICTIONARY.sha256 }]);
  const blobs = raw.prepare('SELECT dictionary, length(data) AS n FROM targets').all() as { dictionary: number; n: number }[];
  raw.close();
  assert.equal(blobs.length, 5);
  // Against the dictionary a ~1.5 KB target JSON compresses to a few hundred bytes.
  for (const b of blobs) assert.ok(b.dictionary === 1 && b.n < 400, `blob of ${b.n} bytes with dictionary ${b.dictionary}`);
  const r = openHistory(path, { readonly: true });
  assert.deepEqual(r.getTarget('r1', P), { ...(run.targets[1] as unknown as Record<string, unknown>) });
  assert.equal(r.verify().ok, true);
  r.close();
});

test('a run with more targets than one multi-row insert holds is stored whole', () => {
  const kernels: KernelSpec[] = Array.from({ length: 150 }, (_, i) => ({ profile_id: `k${String(i).padStart(3, '0')}`, release: `6.${i}.0-1-cloud-amd64` }));
  const h = openHistory(join(tempDir(), 'h.sqlite'));
  assert.equal(h.appendRun(makeRun({ id: 'wide', kernels })).newResults, 150);
  const members = h.resultsForRun('wide');
  assert.deepEqual(members.map((m) => m.profile_id), kernels.map((k) => k.profile_id));
  assert.deepEqual(members.map((m) => m.kernel_release), kernels.map((k) => k.release));
  h.close();
});

test('earliest sightings and the reusable verdict are right whatever order runs arrive in on one connection', () => {
  const path = join(tempDir(), 'h.sqlite');
  const h = openHistory(path);
  // The same inputs (same result keys) seen on day 5, then day 1, then day 9, each in its own transaction,
  // so the connection's caches (not one statement) decide what to skip.
  h.appendRun(makeRun({ id: 'late', startedAt: day(5), targets: { [P]: { status: 'pass' } } }));
  h.appendRun(makeRun({ id: 'early', startedAt: day(1), targets: { [P]: { status: 'fail' } } }));
  h.appendRun(makeRun({ id: 'reuser', startedAt: day(9), targets: { [P]: { status: 'pass', reused_from_run: 'late' } } }));
  h.appendRun(makeRun({ id: 'broken', startedAt: day(10), targets: { [P]: { status: 'infra_error' } } }));
  const key = h.resultsForRun('late').find((m) => m.profile_id === P)!.result_key;
  h.close();
  // Read back through a fresh connection: the stored rows, not the writer's caches.
  const r = openHistory(path, { readonly: true });
  assert.deepEqual(r.artifactVersions('execsnoop').map((v) => v.first_seen_run), ['early']);
  const raw = new Database(path, { readonly: true });
  assert.equal(raw.prepare('SELECT first_run_id FROM results WHERE result_key = ?').pluck().get(key), 'early');
  raw.close();
  // Newest fresh verdict wins over an older fresh one, a newer reuse and a newer infra_error.
  const found = r.findReusable(key)!;
  assert.deepEqual([found.run_id, found.status, found.target.reused], ['late', 'pass', false]);
  assert.equal(r.getTarget('reuser', P)!.reused_from_run, 'late');
  r.close();
});

test('a key known only from a reuse is still reusable, and merging picks the same verdict in either order', () => {
  const dir = tempDir();
  const a = join(dir, 'a.sqlite');
  const b = join(dir, 'b.sqlite');
  // Shard a only holds a run that reused a verdict booted elsewhere; shard b holds the booted run.
  const ha = openHistory(a);
  ha.appendRun(makeRun({ id: 'reuse-only', startedAt: day(8), targets: { [P]: { status: 'fail', reused_from_run: 'booted' } } }));
  const key = ha.resultsForRun('reuse-only').find((m) => m.profile_id === P)!.result_key;
  assert.deepEqual([ha.findReusable(key)!.run_id, ha.findReusable(key)!.target.reused], ['booted', true]);
  ha.close();
  const hb = openHistory(b);
  hb.appendRun(makeRun({ id: 'booted', startedAt: day(2), targets: { [P]: { status: 'fail' } } }));
  hb.close();
  for (const [name, order] of [['ab', [a, b]], ['ba', [b, a]]] as const) {
    const into = join(dir, `${name}.sqlite`);
    mergeHistories(order, into);
    const h = openHistory(into, { readonly: true });
    const found = h.findReusable(key)!;
    // The fresh boot wins although the reuse is newer.
    assert.deepEqual([found.run_id, found.target.reused], ['booted', false], name);
    h.close();
  }
});

test('verify reports a dangling member reference (appends do not enforce foreign keys row by row)', () => {
  const path = join(tempDir(), 'h.sqlite');
  const h = openHistory(path);
  h.appendRun(makeRun({ id: 'r1' }));
  h.close();
  const raw = new Database(path);
  raw.pragma('foreign_keys = OFF'); // tampering from outside, as another tool would
  // Members are packed JSON (migration 4): point one member's target at a row that does not exist.
  raw.prepare(`UPDATE member_sets SET members = (SELECT json_group_array(CASE WHEN j.value->>0 = ? THEN json_replace(j.value, '$[6]', 999999)
    ELSE json(j.value) END) FROM json_each(member_sets.members) j)`).run(P);
  raw.close();
  const report = openHistory(path).verify();
  assert.equal(report.ok, false);
  assert.deepEqual(report.mismatches.map((m) => [m.table, m.problem]), [['run_results', 'dangling reference to targets']]);
  assert.match(report.mismatches[0]!.key, new RegExp(`profile ${P}$`));
  // A latest-verdict cell naming a kernel id that does not exist is reported too.
  const raw2 = new Database(path);
  raw2.prepare(`UPDATE latest_by_artifact SET cells = json_replace(cells, '$.cells[0][6]', 999999)`).run();
  raw2.close();
  const again = openHistory(path).verify();
  assert.deepEqual(again.mismatches.map((m) => [m.table, m.problem]).slice(1), [['latest_verdicts', 'dangling reference to kernels']]);
});

test('a version-2 history is upgraded: members keep their verdicts and the reusable verdict is derived', () => {
  const path = join(tempDir(), 'h.sqlite');
  openHistory(path, { migrateTo: 2 }).close();
  const raw = new Database(path);
  raw.exec(`
    INSERT INTO artifacts VALUES ('a', 'sha256:a', 'object', 'x.bpf.o', 10);
    INSERT INTO validators VALUES ('v', 'validator', 20);
    INSERT INTO kernels VALUES ('k', '6.1.0-37-cloud-amd64', '{}');
    INSERT INTO targets VALUES ('t1', x'ab'), ('t2', x'cd');
    INSERT INTO runs VALUES ('boot', '2024-01-01T00:00:00Z', '2024-01-01T00:00:01Z', 1000, '0.1.0', 'm', 'm.yaml', 'legacy', 'v0', NULL, 'a', 'v', NULL,
      'artifact', 'load_only', 'tcg', 'fail', 2, 1, 0, 1, 0, 0, 1, 0, NULL, NULL, NULL);
    INSERT INTO runs VALUES ('reuse', '2024-01-02T00:00:00Z', '2024-01-02T00:00:01Z', 1000, '0.1.0', 'm', 'm.yaml', 'legacy', 'v0', NULL, 'a', 'v', NULL,
      'artifact', 'load_only', 'tcg', 'fail', 2, 1, 0, 1, 0, 0, 1, 1, NULL, NULL, NULL);
    INSERT INTO results VALUES ('key', 'a', 'k', 'v', NULL, 'load_only', 'boot', '2024-01-01T00:00:00Z');
    INSERT INTO run_results VALUES ('boot', 'debian-12', 1, 'key', 0, NULL, 'fail', 'load', 'HELPER_NOT_SUPPORTED', 'high', 'r', 'k', 1, 'tcg', 't1', NULL, NULL);
    INSERT INTO run_results VALUES ('reuse', 'debian-12', 1, 'key', 1, 'boot', 'fail', 'load', 'HELPER_NOT_SUPPORTED', 'high', 'r', 'k', 1, 'tcg', 't1', NULL, NULL);
    INSERT INTO artifact_versions VALUES ('legacy', 'v0', '', 'a', 'boot', '2024-01-01T00:00:00Z');
    INSERT INTO latest_verdicts VALUES ('legacy', 'debian-12', 'reuse', '2024-01-02T00:00:00Z', 'v0', NULL, 1, 'fail', 'HELPER_NOT_SUPPORTED', 'high', 'k', '6.1.0-37-cloud-amd64', 'key');`);
  raw.close();
  const h = openHistory(path);
  assert.equal(h.schemaVersion, SCHEMA_VERSION);
  assert.deepEqual(h.resultsForRun('reuse').map((m) => [m.run_id, m.result_key, m.kernel_sha256, m.target_sha256, m.reused_from_run, m.status]),
    [['reuse', 'key', 'k', 't1', 'boot', 'fail']]);
  assert.deepEqual(h.latestVerdicts().map((l) => [l.run_id, l.status]), [['reuse', 'fail']]);
  const raw2 = new Database(path, { readonly: true });
  assert.deepEqual(raw2.prepare('SELECT verdict_run_id, verdict_profile, verdict_reused FROM results').all(), [{ verdict_run_id: 'boot', verdict_profile: 'debian-12', verdict_reused: 0 }]);
  raw2.close();
  h.appendRun(makeRun({ id: 'new-run' }));
  assert.deepEqual([h.counts().runs, h.counts().run_results], [3, 7]);
  h.close();
});
