import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openHistory, resultKey } from '../../../history/src/index.ts';
import { makeRun } from '../../../history/src/testdata/factory.ts';
import { canonicalJson, sha256Hex } from '../../../history/vocabulary/hash.ts';
import { Report } from '../../../history/vocabulary/report-schema.ts';
import { historyPath } from './history-path.ts';
import { lookupReusable } from './reuse.ts';
import { toRunInput } from './run-input.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-recording-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A schema-valid Report around the history factory's run. */
function report(spec: Parameters<typeof makeRun>[0]): Report {
  const r = makeRun(spec);
  return Report.parse({
    schema_version: 'bpfcompat.report.v1',
    tool: { name: 'bpfcompat', version: r.tool.version },
    run: { ...r.run, jobs: 2 },
    mode: r.mode,
    artifact: { ...r.artifact, path: `/src/${r.artifact.basename}` },
    command: null,
    validator: r.validator,
    manifest: r.manifest ? { path: 'manifest.yaml', sha256: r.manifest.sha256 } : null,
    validation_mode: r.validation_mode,
    matrix: { ...r.matrix, profiles: r.targets.map((t) => t.profile_id) },
    targets: r.targets,
    summary: { ...r.summary, notes: [] },
    paths: { json: 'report.json', markdown: null, junit: null },
  });
}

test('a parsed report is appended via toRunInput and its verdicts come back as reusable TargetReports', () => {
  const h = openHistory(join(dir, 'h.sqlite'));
  const rep = report({ id: 'r1', manifest: 'programs: []\n', targets: { 'debian-11-5.10': { status: 'infra_error' }, 'debian-12-6.1': { status: 'fail' } } });
  h.appendRun(toRunInput(rep, { manifestContent: 'programs: []\n' }));
  assert.equal(h.counts().manifests, 1);
  assert.equal(h.verify().ok, true);
  const failed = rep.targets.find((t) => t.profile_id === 'debian-12-6.1')!;
  const reused = lookupReusable(h, failed.result_key, { profile_id: 'other-matrix-6.1', required: false })!;
  assert.deepEqual(reused, { ...failed, profile_id: 'other-matrix-6.1', required: false, reused: true, reused_from_run: 'r1' });
  const infra = rep.targets.find((t) => t.profile_id === 'debian-11-5.10')!;
  assert.equal(lookupReusable(h, infra.result_key), null);
  h.close();
});

test("history's result key is the collector's canonical JSON hash of the five inputs", () => {
  const inputs = { mode: 'load_attach', manifest: null, validator: 'v', kernel: 'k', artifact: 'a' };
  assert.equal(resultKey(inputs), sha256Hex(canonicalJson({ artifact: 'a', kernel: 'k', validator: 'v', manifest: null, mode: 'load_attach' })));
  assert.equal(resultKey(inputs), sha256Hex('{"artifact":"a","kernel":"k","manifest":null,"mode":"load_attach","validator":"v"}'));
});

test('default history path follows XDG_DATA_HOME unless --history is given', () => {
  assert.equal(historyPath(undefined, { XDG_DATA_HOME: '/data' }), '/data/bpfcompat/history.sqlite');
  assert.equal(historyPath('/x/h.sqlite', { XDG_DATA_HOME: '/data' }), '/x/h.sqlite');
});

test('openRecordingHistory appends with console logs from the run dir and reports an unwritable history as a line', async () => {
  const { openRecordingHistory } = await import('./run-history.ts');
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const runDir = join(dir, 'run');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'console-6.1.log'), 'Linux version 6.1');
  const rep = report({ id: 'rec-1' });
  const withLog = { ...rep, targets: rep.targets.map((t) => (t.profile_id === 'debian-12-6.1' ? { ...t, evidence: { console_log: 'console-6.1.log', validator_result: null } } : t)) };
  const path = join(dir, 'rec.sqlite');
  const rh = openRecordingHistory(path);
  assert.match(rh.append(withLog, runDir), /run rec-1 recorded .* \(5 new results\)/);
  assert.equal(rh.reusable(rep.targets[0]!.result_key)!.reused_from_run, 'rec-1');
  rh.close();
  const h = openHistory(path, { readonly: true });
  const m = h.getRun('rec-1')!.members.find((x) => x.profile_id === 'debian-12-6.1')!;
  assert.equal(h.getLog(m.console_log_sha256!), 'Linux version 6.1');
  h.close();
  const bad = { ...rep, run: { ...rep.run, id: 'rec-2' }, targets: [{ ...rep.targets[0]!, result_key: '0'.repeat(64) }] };
  const rh2 = openRecordingHistory(path);
  assert.equal(rh2.failures, 0);
  assert.match(rh2.append(bad, runDir), new RegExp(`^${path.replace(/[.]/g, '\\.')}: history not updated: `));
  assert.equal(rh2.failures, 1, 'counted, so the run exits 1 though its report stands');
  rh2.close();
});

test('a target whose kernel never resolved (no result key) stays in the report and out of the history; the run is recorded', () => {
  const h = openHistory(join(dir, 'unresolved.sqlite'));
  const rep = report({ id: 'r-unresolved', targets: { 'debian-11-5.10': { status: 'fail' }, 'debian-12-6.1': { status: 'fail' } } });
  const unresolved = { ...rep.targets[1]!, status: 'infra_error' as const, result_key: '', kernel: { release: '', sha256: '', source: {} }, infra_error: 'kernel: repository unreachable' };
  const input = toRunInput({ ...rep, targets: [rep.targets[0]!, unresolved] });
  assert.deepEqual(input.targets.map((t) => t.profile_id), ['debian-11-5.10']);
  h.appendRun(input);
  assert.equal(h.verify().ok, true);
  assert.notEqual(lookupReusable(h, rep.targets[0]!.result_key), null);
  h.close();
});
