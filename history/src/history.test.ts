import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openHistory, resultKey } from './index.ts';
import { makeRun } from './testdata/factory.ts';
import { tempDir } from './testdata/tmp.ts';
import Database from 'better-sqlite3';

const day = (d: number) => new Date(Date.UTC(2025, 0, d)).toISOString();

test('appendRun stores a run with its members, logs and content-addressed rows; re-append is a no-op', () => {
  const path = join(tempDir(), 'nested', 'h.sqlite');
  const h = openHistory(path);
  const run = makeRun({ id: 'r1', manifest: 'programs: []\n' });
  const first = h.appendRun(run, { 'debian-12-6.1': 'console text', 'debian-12-6.1#verifier': 'verifier text' });
  assert.deepEqual(first, { runId: 'r1', newResults: 5, inserted: true });
  assert.deepEqual(h.appendRun(run), { runId: 'r1', newResults: 0, inserted: false });
  const got = h.getRun('r1')!;
  assert.equal(got.members.length, 5);
  assert.equal(got.artifact_name, 'execsnoop');
  assert.deepEqual(got.ci, { provider: 'github', run_id: '42' });
  const m = got.members.find((x) => x.profile_id === 'debian-12-6.1')!;
  assert.equal(h.getLog(m.console_log_sha256!), 'console text');
  assert.equal(h.getLog(m.verifier_log_sha256!), 'verifier text');
  const target = h.getTarget('r1', 'debian-12-6.1')!;
  assert.deepEqual(target, { ...(run.targets[1] as unknown as Record<string, unknown>) });
  const counts = h.counts();
  assert.equal(counts.runs, 1);
  assert.equal(counts.run_results, 5);
  assert.equal(counts.manifests, 1);
  assert.equal(counts.logs, 2);
  assert.equal(h.verify().ok, true);
  h.close();
});

test('a result key that is not the hash of its inputs is refused and nothing is written', () => {
  const h = openHistory(join(tempDir(), 'h.sqlite'));
  const run = makeRun({ id: 'bad' });
  const bad = { ...run, targets: [{ ...run.targets[0]!, result_key: 'f'.repeat(64) }] };
  assert.throws(() => h.appendRun(bad), (e: Error & { code?: string }) => e.code === 'HISTORY' && /result_key/.test(e.message));
  assert.equal(h.counts().runs, 0);
  h.close();
});

test('findReusable returns the newest pass/fail and never an infra_error', () => {
  const h = openHistory(join(tempDir(), 'h.sqlite'));
  const k = (id: string) => h.getRun(id)!.members.find((m) => m.profile_id === 'debian-12-6.1')!.result_key;
  h.appendRun(makeRun({ id: 'infra', startedAt: day(1), targets: { 'debian-12-6.1': { status: 'infra_error' } } }));
  assert.equal(h.findReusable(k('infra')), null);
  h.appendRun(makeRun({ id: 'fresh', startedAt: day(2), targets: { 'debian-12-6.1': { status: 'fail' } } }));
  h.appendRun(makeRun({ id: 'later-infra', startedAt: day(3), targets: { 'debian-12-6.1': { status: 'infra_error' } } }));
  const found = h.findReusable(k('fresh'))!;
  assert.equal(found.status, 'fail');
  assert.equal(found.run_id, 'fresh');
  assert.equal(found.target.classification_code, 'HELPER_NOT_SUPPORTED');
  assert.equal(found.target.reused, false);
  // A run that reused it points at the same stored target; lookups still name the run that booted.
  h.appendRun(makeRun({ id: 'reuser', startedAt: day(4), targets: { 'debian-12-6.1': { status: 'fail', reused_from_run: 'fresh' } } }));
  const blobs = h.counts().targets;
  assert.equal(h.findReusable(k('fresh'))!.run_id, 'fresh');
  const m = h.getRun('reuser')!.members.find((x) => x.profile_id === 'debian-12-6.1')!;
  assert.equal(m.reused, true);
  assert.equal(m.target_sha256, h.getRun('fresh')!.members.find((x) => x.profile_id === 'debian-12-6.1')!.target_sha256);
  assert.equal(h.getTarget('reuser', 'debian-12-6.1')!.reused_from_run, 'fresh');
  assert.equal(h.counts().targets, blobs);
  h.close();
});

test('read API: runs, artifacts, versions, kernels, latest verdicts, class occurrences', () => {
  const h = openHistory(join(tempDir(), 'h.sqlite'));
  h.appendRun(makeRun({ id: 'a1', name: 'alpha', version: 'v1', startedAt: day(1), targets: { 'debian-11-5.10': { status: 'fail' } } }));
  h.appendRun(makeRun({ id: 'a2', name: 'alpha', version: 'v2', startedAt: day(3) }));
  h.appendRun(makeRun({ id: 'b1', name: 'beta', version: 'v1', startedAt: day(2), targets: { 'debian-11-5.10': { status: 'fail', classification_code: 'BTF_MISSING' } } }));
  assert.deepEqual(h.listRuns().map((r) => r.id), ['a2', 'b1', 'a1']);
  assert.deepEqual(h.listRuns({ artifactName: 'alpha', limit: 1 }).map((r) => r.id), ['a2']);
  assert.deepEqual(h.listArtifacts().map((a) => [a.name, a.latest_version, a.versions, a.runs]), [['alpha', 'v2', 2, 2], ['beta', 'v1', 1, 1]]);
  assert.deepEqual(h.artifactVersions('alpha').map((v) => [v.version, v.first_seen_run, v.latest_summary_status]), [['v1', 'a1', 'fail'], ['v2', 'a2', 'pass']]);
  const k510 = h.listKernels().find((k) => k.release.startsWith('5.10'))!;
  assert.deepEqual([k510.pass, k510.fail, k510.infra_error, k510.btf, k510.accels], [1, 2, 0, true, ['tcg']]);
  const latest = h.latestVerdicts();
  assert.equal(latest.length, 10);
  const alpha510 = latest.find((v) => v.artifact_name === 'alpha' && v.profile_id === 'debian-11-5.10')!;
  assert.deepEqual([alpha510.status, alpha510.run_id, alpha510.version], ['pass', 'a2', 'v2']);
  assert.deepEqual(h.classOccurrences().map((c) => [c.classification_code, c.artifact_name]), [['BTF_MISSING', 'beta'], ['HELPER_NOT_SUPPORTED', 'alpha']]);
  assert.equal(h.classOccurrences('BTF_MISSING').length, 1);
  assert.deepEqual(h.resultsForVersion('alpha', 'v1').map((m) => m.run_id), Array(5).fill('a1'));
  const diff = h.compare({ name: 'alpha', version: 'v1' }, 'a2');
  assert.equal(diff.summary.improved_profiles, 1);
  assert.throws(() => h.compare('nope', 'a2'), /no run nope/);
  h.close();
});

test('verify finds a tampered target, manifest and result key', () => {
  const path = join(tempDir(), 'h.sqlite');
  const h = openHistory(path);
  h.appendRun(makeRun({ id: 'r1', manifest: 'm: 1\n' }), { 'debian-12-6.1': 'log' });
  h.close();
  const raw = new Database(path);
  raw.prepare('UPDATE targets SET data = (SELECT data FROM targets ORDER BY sha256 LIMIT 1 OFFSET 1) WHERE sha256 = (SELECT sha256 FROM targets ORDER BY sha256 LIMIT 1)').run();
  raw.prepare("UPDATE manifests SET content = 'm: 2\n'").run();
  raw.prepare("UPDATE results SET mode = 'load_only' WHERE result_key = (SELECT min(result_key) FROM results)").run();
  // A verdict column edited without its JSON (a pass turned into a fail for the site's grid).
  raw.prepare("UPDATE targets SET status = 'fail' WHERE id = (SELECT max(id) FROM targets)").run();
  raw.close();
  const report = openHistory(path).verify();
  assert.equal(report.ok, false);
  // the edited status column also disagrees with the latest verdict's copy, which the site shows
  assert.deepEqual([...new Set(report.mismatches.map((m) => m.table))].sort(), ['latest_verdicts', 'manifests', 'results', 'targets']);
  assert.ok(report.mismatches.some((m) => m.problem === 'column status disagrees with the stored target JSON'), JSON.stringify(report.mismatches));
});

test('the guest machine is an input of the key: stored, re-derived by verify; a warned pass keeps its warning code', () => {
  const path = join(tempDir(), 'h.sqlite');
  const machine = { cpu: 'EPYC-Rome-v1', memory_mb: 1024, cpus: 1 };
  const run = makeRun({ id: 'm1' });
  const withMachine = (r: typeof run, keyed: boolean) => ({
    ...r,
    targets: r.targets.map((t, i) => ({
      ...t,
      vm: { ...t.vm, ...machine },
      result_key: keyed ? resultKey({ artifact: r.artifact.sha256, kernel: t.kernel.sha256, validator: r.validator.sha256, manifest: null, mode: r.validation_mode, machine }) : t.result_key,
      ...(i === 0 ? { warnings: [{ program: 'handle_exec', section: 'tracepoint/x', code: 'ATTACH_TARGET_MISSING', confidence: 'high', reason: 'r', remediation: 'm', root_cause: null }] } : {}),
    })),
  });
  const h = openHistory(path);
  // a key computed without the machine the target records is not the hash of its inputs
  assert.throws(() => h.appendRun(withMachine(run, false)), /history not updated: .*result_key .* is not the hash of its inputs/);
  h.appendRun(withMachine(run, true));
  const members = h.getRun('m1')!.members;
  assert.equal(members.find((m) => m.profile_id === 'debian-11-5.10')!.warning_code, 'ATTACH_TARGET_MISSING');
  assert.equal(members.find((m) => m.profile_id === 'debian-12-6.1')!.warning_code, null);
  assert.equal(h.verify().ok, true, JSON.stringify(h.verify().mismatches));
  h.close();
  const raw = new Database(path);
  assert.deepEqual(raw.prepare('SELECT DISTINCT machine FROM results').pluck().all(), [JSON.stringify({ cpu: 'EPYC-Rome-v1', cpus: 1, memory_mb: 1024 })]);
  raw.prepare("UPDATE results SET machine = replace(machine, 'EPYC-Rome-v1', 'max') WHERE result_key = (SELECT min(result_key) FROM results)").run();
  raw.prepare("UPDATE targets SET warning_code = NULL WHERE warning_code IS NOT NULL").run();
  raw.close();
  const report = openHistory(path).verify();
  assert.equal(report.ok, false);
  assert.ok(report.mismatches.some((m) => m.table === 'results' && /inputs hash to/.test(m.problem)), JSON.stringify(report.mismatches));
  assert.ok(report.mismatches.some((m) => m.problem === 'column warning_code disagrees with the stored target JSON'), JSON.stringify(report.mismatches));
});
