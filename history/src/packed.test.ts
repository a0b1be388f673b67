import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { mergeHistories, openHistory, SCHEMA_VERSION } from './index.ts';
import { RUN_RESULTS_NATURAL } from './logical.ts';
import { makeRun } from './testdata/factory.ts';
import { tempDir } from './testdata/tmp.ts';

// Migration 4: run membership packed into deduplicated member sets, latest verdicts one row per artifact.

const day = (d: number) => new Date(Date.UTC(2025, 0, d)).toISOString();
const P = 'debian-12-6.1';
const reusing = (from: string) => Object.fromEntries(['debian-11-5.10', 'debian-12-6.1', 'debian-13-6.12', 'debian-13-bpo-6.16', 'debian-sid-7.0']
  .map((p) => [p, { status: 'pass' as const, reused_from_run: from }]));

/** A history written by the schema-3 code (testdata/schema3.sql is its dump). */
function schema3File(): string {
  const path = join(tempDir(), 'v3.sqlite');
  const raw = new Database(path);
  raw.exec(readFileSync(new URL('./testdata/schema3.sql', import.meta.url), 'utf8'));
  raw.close();
  return path;
}

const V3_MEMBERS = `SELECT r.id AS run_id, rr.profile_id, rr.required, res.result_key, rr.reused, rr.reused_from_run, k.sha256 AS kernel_sha256,
    t.sha256 AS target_sha256, rr.console_log_sha256, rr.verifier_log_sha256
  FROM run_results rr JOIN runs r ON r.seq = rr.run JOIN results res ON res.id = rr.result JOIN kernels k ON k.id = rr.kernel JOIN targets t ON t.id = rr.target
  ORDER BY r.id, rr.profile_id`;

test('a schema-3 history upgrades to packed members and keeps every run, member, latest verdict and reusable verdict', () => {
  const path = schema3File();
  const before = new Database(path, { readonly: true });
  assert.equal(before.prepare('SELECT max(version) FROM schema_version').pluck().get(), 3);
  const members = before.prepare(V3_MEMBERS).all();
  const latest = before.prepare('SELECT * FROM latest_verdicts ORDER BY artifact_name, profile_id').all() as Record<string, unknown>[];
  const runs = before.prepare('SELECT * FROM runs ORDER BY seq').all();
  const verdicts = before.prepare('SELECT result_key, verdict_run_id, verdict_profile FROM results WHERE verdict_run_id IS NOT NULL ORDER BY result_key').all() as
    { result_key: string; verdict_run_id: string; verdict_profile: string }[];
  before.close();
  assert.equal(members.length, 25);

  const h = openHistory(path);
  assert.equal(h.schemaVersion, SCHEMA_VERSION);
  h.close();
  const after = new Database(path, { readonly: true });
  assert.deepEqual(after.prepare(`${RUN_RESULTS_NATURAL.replaceAll('SCHEMA.', 'main.')} ORDER BY r.id, profile_id`).all(), members);
  // Migration 7 adds runs.artifact_uri, null for every older run; the rest of each row is unchanged.
  const upgraded = (after.prepare('SELECT * FROM runs ORDER BY seq').all() as Record<string, unknown>[]).map(({ artifact_uri, ...row }) => {
    assert.equal(artifact_uri, null);
    return row;
  });
  assert.deepEqual(upgraded, runs);
  assert.equal(after.prepare("SELECT count(*) FROM sqlite_master WHERE name IN ('run_results', 'latest_verdicts') AND type = 'view'").pluck().get(), 2);
  after.close();

  const r = openHistory(path, { readonly: true });
  assert.deepEqual(r.latestVerdicts().map((l) => ({ ...l, required: l.required ? 1 : 0 })), latest);
  for (const v of verdicts) {
    const found = r.findReusable(v.result_key)!;
    assert.equal(found.target.profile_id, v.verdict_profile);
    assert.equal(found.run_id, v.verdict_run_id);
  }
  const m = r.resultsForRun('a-v1-boot').find((x) => x.profile_id === P)!;
  assert.equal(r.getLog(m.verifier_log_sha256!), 'verifier log of alpha');
  assert.equal(r.getTarget('b-v1-reuse-foreign', P)!.reused_from_run, 'shard-elsewhere');
  assert.equal(r.verify().ok, true);
  r.close();

  // The upgraded file takes new runs, and their latest verdicts fold into the migrated cells.
  const w = openHistory(path);
  w.appendRun(makeRun({ id: 'a-v3-boot', name: 'alpha', version: 'v3', startedAt: day(9), targets: { [P]: { status: 'fail' } } }));
  assert.deepEqual([w.counts().runs, w.counts().run_results], [6, 30]);
  const cell = w.latestVerdicts({ artifactName: 'alpha' }).find((l) => l.profile_id === P)!;
  assert.deepEqual([cell.run_id, cell.status, cell.version], ['a-v3-boot', 'fail', 'v3']);
  assert.equal(w.latestVerdicts({ artifactName: 'beta' }).find((l) => l.profile_id === P)!.run_id, 'b-v1-reuse-foreign');
  assert.equal(w.verify().ok, true);
  w.close();
});

test('runs with the same members share one stored member set and still read back as their own runs', () => {
  const path = join(tempDir(), 'h.sqlite');
  const h = openHistory(path);
  h.appendRun(makeRun({ id: 'boot', startedAt: day(1) }));
  h.appendRun(makeRun({ id: 'night-2', startedAt: day(2), targets: reusing('boot') }));
  h.appendRun(makeRun({ id: 'night-3', startedAt: day(3), targets: reusing('boot') }));
  h.close();
  const raw = new Database(path, { readonly: true });
  assert.deepEqual([raw.prepare('SELECT count(*) FROM run_members').pluck().get(), raw.prepare('SELECT count(*) FROM member_sets').pluck().get()], [3, 2]);
  raw.close();
  const r = openHistory(path, { readonly: true });
  assert.deepEqual(r.resultsForRun('night-3').map((m) => [m.run_id, m.reused, m.reused_from_run]), Array(5).fill(['night-3', true, 'boot']));
  assert.equal(r.getTarget('night-2', P)!.reused, true);
  assert.deepEqual(r.latestVerdicts().map((l) => l.run_id), Array(5).fill('night-3'));
  // Reports weight a shared set by the runs that use it.
  assert.equal(r.listKernels().find((k) => k.release.startsWith('6.1'))!.pass, 3);
  r.close();
});

test('a run that lists a profile twice is refused and nothing is written', () => {
  const h = openHistory(join(tempDir(), 'h.sqlite'));
  const run = makeRun({ id: 'dup' });
  assert.throws(() => h.appendRun({ ...run, targets: [...run.targets, run.targets[0]!] }), (e: Error & { code?: string }) => e.code === 'HISTORY' && /twice/.test(e.message));
  assert.equal(h.counts().runs, 0);
  h.close();
});

test('latest verdicts stay right when another connection appends between two appends of this one', () => {
  const path = join(tempDir(), 'h.sqlite');
  const a = openHistory(path);
  const b = openHistory(path);
  a.appendRun(makeRun({ id: 'a-day1', startedAt: day(1) }));
  // b's run is the newest; a then appends an older one. a must not write back the cells it cached before b's commit.
  b.appendRun(makeRun({ id: 'b-day5', startedAt: day(5), targets: { [P]: { status: 'fail' } } }));
  a.appendRun(makeRun({ id: 'a-day3', startedAt: day(3) }));
  const latest = a.latestVerdicts();
  assert.deepEqual(latest.map((l) => l.run_id), Array(5).fill('b-day5'));
  assert.equal(latest.find((l) => l.profile_id === P)!.status, 'fail');
  a.close();
  b.close();
});

test('listKernels and classOccurrences agree with a per-member scan of run_results', () => {
  const h = openHistory(join(tempDir(), 'h.sqlite'));
  h.appendRun(makeRun({ id: 'x1', name: 'x', version: 'v1', startedAt: day(1), targets: { 'debian-11-5.10': { status: 'fail' }, 'debian-sid-7.0': { status: 'infra_error' } } }));
  h.appendRun(makeRun({ id: 'x2', name: 'x', version: 'v1', startedAt: day(2), targets: { 'debian-11-5.10': { status: 'fail', reused_from_run: 'x1' } } }));
  h.appendRun(makeRun({ id: 'x3', name: 'x', version: 'v1', startedAt: day(3), targets: { 'debian-11-5.10': { status: 'fail', reused_from_run: 'x1' } } }));
  h.appendRun(makeRun({ id: 'y1', name: 'y', version: 'v7', startedAt: day(2), targets: { 'debian-11-5.10': { status: 'fail', classification_code: 'BTF_MISSING' } } }));
  h.close();
  const path = h.path;
  const raw = new Database(path, { readonly: true });
  const perKernel = raw.prepare(`SELECT k.sha256, sum(t.status = 'pass') AS pass, sum(t.status = 'fail') AS fail, sum(t.status = 'infra_error') AS infra_error
    FROM run_results rr JOIN targets t ON t.id = rr.target JOIN kernels k ON k.id = rr.kernel GROUP BY k.sha256 ORDER BY k.sha256`).all();
  const perClass = raw.prepare(`SELECT t.classification_code, r.artifact_name, k.sha256 AS kernel_sha256, rr.profile_id, count(*) AS occurrences,
      max(r.started_at || char(0) || r.id) AS latest_key
    FROM run_results rr JOIN targets t ON t.id = rr.target JOIN runs r ON r.seq = rr.run JOIN kernels k ON k.id = rr.kernel
    WHERE t.classification_code IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`).all() as Record<string, unknown>[];
  raw.close();
  const r = openHistory(path, { readonly: true });
  assert.deepEqual(r.listKernels().map((k) => ({ sha256: k.sha256, pass: k.pass, fail: k.fail, infra_error: k.infra_error })).sort((p, q) => (p.sha256 < q.sha256 ? -1 : 1)), perKernel);
  assert.equal(r.classOccurrences().length, perClass.length);
  const x510 = r.classOccurrences('HELPER_NOT_SUPPORTED').find((c) => c.artifact_name === 'x' && c.profile_id === 'debian-11-5.10')!;
  assert.deepEqual([x510.occurrences, x510.latest_run_id, x510.latest_version], [3, 'x3', 'v1']);
  for (const c of r.classOccurrences()) {
    const ref = perClass.find((p) => p.classification_code === c.classification_code && p.artifact_name === c.artifact_name && p.kernel_sha256 === c.kernel_sha256
      && p.profile_id === c.profile_id)!;
    assert.ok(ref, JSON.stringify(c));
    assert.equal(c.occurrences, ref.occurrences);
    assert.equal(c.latest_run_id, String(ref.latest_key).split('\0')[1]);
  }
  r.close();
});

test('merge maps member and latest-cell kernel ids between files whose kernels were stored in different orders', () => {
  const dir = tempDir();
  const a = join(dir, 'a.sqlite');
  const b = join(dir, 'b.sqlite');
  const ha = openHistory(a);
  // Shard a first sees a kernel that b never has, so every shared kernel has a different id in a than in b.
  ha.appendRun(makeRun({ id: 'a-old', name: 'other', startedAt: day(1), kernels: [{ profile_id: 'rhel-9', release: '5.14.0-1.el9.x86_64' }] }));
  ha.appendRun(makeRun({ id: 'a-new', startedAt: day(4), targets: { [P]: { status: 'fail' } } }));
  ha.close();
  const hb = openHistory(b);
  hb.appendRun(makeRun({ id: 'b-new', startedAt: day(3) }));
  hb.close();
  const expected = (() => {
    const h = openHistory(a, { readonly: true });
    const v = h.latestVerdicts();
    h.close();
    return v;
  })();
  for (const order of [[a, b], [b, a]]) {
    const into = join(dir, `m-${order.length}-${order[0] === a ? 'ab' : 'ba'}.sqlite`);
    mergeHistories(order, into);
    const h = openHistory(into, { readonly: true });
    assert.deepEqual(h.latestVerdicts(), expected);
    assert.deepEqual(h.resultsForRun('b-new').map((m) => m.kernel_release), ['5.10.0-35-cloud-amd64', '6.1.0-37-cloud-amd64', '6.12.38+deb13-cloud-amd64', '6.16.3+deb13-cloud-amd64', '7.0.1-1-cloud-amd64']);
    assert.equal(h.verify().ok, true);
    h.close();
  }
});
