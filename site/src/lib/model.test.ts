import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TargetReport } from '../../../history/vocabulary/report-schema.ts';
import { buildSiteModel } from './model.ts';
import type { SiteSnapshot, ResultRow, Status } from './snapshot.ts';
import { overviewData } from './overview.ts';
import { compareVersions, consecutivePairs, countChanges } from './compare.ts';
import { artifactPageData, verifierExcerpt, passRate } from './artifact-page.ts';
import { kernelPageData } from './kernel-page.ts';
import { artifactBadge } from './badge.ts';
import { searchIndex } from './search.ts';
import { apiArtifactResults, apiIndex } from './api.ts';
import { runPages } from './run-page.ts';
import { FAILURE_CLASSES } from './classes.ts';

// A hand-built snapshot: artifact "a" v1 passes on k1 and k2, v2 regresses on k1 (VERIFIER_REJECTION);
// artifact "b" has an unknown class code on k2 and an infra error on k1.

function target(profile: string, status: Status, code: string | null, log = ''): TargetReport {
  return {
    profile_id: profile, required: true, status, failed_stage: status === 'fail' ? 'load' : null, result_key: 'k', reused: false, reused_from_run: null,
    kernel: { release: `${profile}-rel`, sha256: `${profile}-sha`, source: { suite: 'bookworm', package: 'linux-image' } },
    vm: { accel: 'tcg', boot_ms: 1, duration_ms: 1 }, btf: { kernel_btf_available: true, artifact_has_btf: true, artifact_has_btf_ext: true },
    validation: { load_status: 'pass', load_error_code: 0, load_error: '', attach_mode: 'best-effort', attach_status: 'pass', attach_attempted: 1, attach_passed: 1, attach_failed: 0 },
    programs: [{ name: 'p', section: 'xdp', type: 'xdp', load: status === 'fail' ? 'fail' : 'pass', attach: status === 'fail' ? 'skipped' : 'pass', attach_method: '', attach_target: '', attach_reason: '', errno: 0, error: '', verifier_log_tail: log, helpers: [] }],
    maps: [], functional: { status: 'skipped', tests: [] }, classification_code: code, classification_confidence: code ? 'high' : null, classification_reason: '', remediation: '',
    root_cause: null, infra_error: null, console_tail: '', started_at: '', finished_at: '', duration_ms: 1, notes: [], evidence: { console_log: null, validator_result: null },
  };
}

function snapshot(): SiteSnapshot {
  const runs = ['r1', 'r2', 'r3'].map((id, i) => ({ id, started_at: `2025-01-0${i + 1}T00:00:00Z`, finished_at: `2025-01-0${i + 1}T00:01:00Z`, duration_ms: 60000, accel: 'tcg', matrix: 'm', git_revision: null, ci: null }));
  const row = (run_id: string, artifact: string, version: string, profile_id: string, status: Status, code: string | null, reused = false): ResultRow =>
    ({ run_id, artifact, version, artifact_sha256: `${artifact}${version}`, profile_id, status, classification_code: code, reused, kernel_release: `${profile_id}-rel`, kernel_sha256: `${profile_id}-sha`, warning_code: null });
  const rows = [
    row('r1', 'a', 'v1', 'k1', 'pass', null), row('r1', 'a', 'v1', 'k2', 'pass', null),
    row('r2', 'b', 'v1', 'k1', 'infra_error', null), row('r2', 'b', 'v1', 'k2', 'fail', 'BRAND_NEW_CODE'),
    row('r3', 'a', 'v2', 'k1', 'fail', 'VERIFIER_REJECTION'), row('r3', 'a', 'v2', 'k2', 'pass', null, true),
  ];
  const d = (run_id: string, artifact: string, version: string, t: TargetReport) => ({ run_id, artifact, version, target: t });
  const log = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n');
  const details = [
    d('r1', 'a', 'v1', target('k1', 'pass', null)), d('r1', 'a', 'v1', target('k2', 'pass', null)),
    d('r2', 'b', 'v1', target('k1', 'infra_error', null)), d('r2', 'b', 'v1', target('k2', 'fail', 'BRAND_NEW_CODE')),
    d('r3', 'a', 'v2', target('k1', 'fail', 'VERIFIER_REJECTION', log)), d('r3', 'a', 'v2', target('k2', 'pass', null)),
  ];
  return { runs, rows, details };
}

test('the model keeps the latest verdict per cell, versions in order and class cells', () => {
  const m = buildSiteModel(snapshot(), '2025-02-01T00:00:00Z');
  assert.deepEqual(m.artifacts.map((a) => a.name), ['a', 'b']);
  const a = m.artifactByName.get('a')!;
  assert.deepEqual(a.versions.map((v) => v.version), ['v1', 'v2']);
  assert.equal(a.latest.get('k1')!.status, 'fail');
  assert.equal(a.latest.get('k1')!.version, 'v2');
  assert.deepEqual(a.tallies.map((t) => [t.run_id, t.passed, t.failed, t.reused]), [['r1', 2, 0, 0], ['r3', 1, 1, 1]]);
  assert.deepEqual([...m.classCells.keys()].sort(), ['INFRA_ERROR', 'UNKNOWN', 'VERIFIER_REJECTION'], 'an unknown code files under UNKNOWN');
  assert.equal(m.kernelById.get('k1')!.btf, true);
  assert.deepEqual(m.kernelById.get('k1')!.builds[0]!.source, { suite: 'bookworm', package: 'linux-image' });
});

test('overview cells carry a symbol and filters keep only matching rows and columns', () => {
  const m = buildSiteModel(snapshot());
  const all = overviewData(m);
  assert.deepEqual(all.rows[0]!.cells.map((c) => c.view.symbol), ['✗', '✓']);
  assert.deepEqual(all.rows[1]!.cells.map((c) => c.view.symbol), ['⚠', '✗']);
  assert.deepEqual(all.rows.map((r) => `${r.passed}/${r.total}`), ['1/2', '0/2']);
  const byClass = overviewData(m, { kind: 'class', code: 'UNKNOWN' });
  assert.deepEqual(byClass.rows.map((r) => r.artifact), ['b']);
  const byKernel = overviewData(m, { kind: 'kernel', profile_id: 'k2' });
  assert.deepEqual(byKernel.kernels.map((k) => k.profile_id), ['k2']);
  assert.equal(byKernel.rows[0]!.cells.length, 1);
});

test('compare pairs are consecutive versions and name the regression', () => {
  const m = buildSiteModel(snapshot());
  const pairs = consecutivePairs(m);
  assert.equal(pairs.length, 1);
  assert.match(pairs[0]!.pairSlug, /^v1-[0-9a-f]{8}--v2-[0-9a-f]{8}$/);
  const entries = compareVersions(m, m.artifactByName.get('a')!, 'v1', 'v2');
  assert.deepEqual(entries.map((e) => [e.profile_id, e.change, e.classification_delta]), [['k1', 'regressed', 'new:VERIFIER_REJECTION'], ['k2', 'unchanged', '']]);
  assert.equal(countChanges(entries).regressed, 1);
});

test('artifact page: kernels × programs cells, details with the verifier excerpt, and the pass-rate series', () => {
  const m = buildSiteModel(snapshot());
  const p = artifactPageData(m, m.artifactByName.get('a')!);
  assert.equal(p.version, 'v2');
  assert.deepEqual(p.programs, ['p']);
  assert.deepEqual(p.rows.map((r) => `${r.kernel.profile_id}:${r.cells[0]!.load.symbol}`), ['k1:✗', 'k2:✓']);
  const failing = p.details.find((d) => d.profile_id === 'k1')!;
  assert.equal(failing.verifierOmitted, 10);
  assert.ok(failing.verifierExcerpt.endsWith('line 49'));
  assert.deepEqual(p.timeline.map((t) => [t.version, t.passed, t.total, t.compareWithPrevious !== null]), [['v1', 2, 2, false], ['v2', 1, 2, true]]);
  assert.deepEqual(verifierExcerpt('a\nb\nc', 2), { text: 'b\nc', omitted: 1 });
  assert.equal(passRate({ passed: 1, failed: 2 }), 33.3);
  assert.equal(passRate({ passed: 0, failed: 0 }), null);
});

test('kernel page groups artifacts; runs list their rows; badge and search index reflect verdicts', () => {
  const m = buildSiteModel(snapshot());
  const k1 = kernelPageData(m, m.kernelById.get('k1')!);
  assert.deepEqual([k1.pass.length, k1.fail.length, k1.infra.length], [0, 1, 1]);
  const runs = runPages(m, snapshot().rows);
  assert.deepEqual(runs.map((r) => r.rows.length), [2, 2, 2]);
  assert.equal(m.runById.get('r3')!.reused, 1);
  const badge = artifactBadge(m.artifactByName.get('a')!);
  assert.match(badge, /^<svg [^>]*>/);
  assert.match(badge, /1\/2 kernels/);
  assert.match(artifactBadge(m.artifactByName.get('b')!), /0\/1 kernels/, 'an infra error is not a verdict');
  const idx = searchIndex(m, '/r/');
  assert.equal(idx.length, 2 + 2 + FAILURE_CLASSES.length);
  assert.ok(idx.find((e) => e.title === 'a')!.terms.includes('verifier_rejection'));
  assert.ok(idx.every((e) => e.href.startsWith('/r/')));
});

test('the JSON API documents use base-prefixed URLs and carry every version for the picker', () => {
  const m = buildSiteModel(snapshot(), '2025-02-01T00:00:00Z');
  const idx = apiIndex(m, '/r/');
  assert.equal(idx.schema, 'bpfcompat.site.v1');
  assert.equal(idx.endpoints.results, '/r/api/v1/artifacts/{slug}/results.json');
  const res = apiArtifactResults(m, m.artifactByName.get('a')!, '/r/');
  assert.deepEqual(res.versions.map((v) => [v.version, v.results.map((r) => r.status)]), [['v1', ['pass', 'pass']], ['v2', ['fail', 'pass']]]);
});

test('a version whose every kernel misses the same attach target is shown untestable, not failing, everywhere', () => {
  const runs = [{ id: 'r1', started_at: '2025-01-01T00:00:00Z', finished_at: '2025-01-01T00:01:00Z', duration_ms: 1, accel: 'tcg', matrix: 'm', git_revision: null, ci: null }];
  const placeholder = (profile: string, name = 'dummy_file_read'): TargetReport => ({ ...target(profile, 'fail', 'ATTACH_TARGET_MISSING'), root_cause: { kind: 'attach_target', name, type: 'function', program: 'file_read_entry' } });
  const snap = (targets: TargetReport[]): SiteSnapshot => ({
    runs,
    rows: targets.map((t) => ({ run_id: 'r1', artifact: 'tool', version: 'v1', artifact_sha256: 'x', profile_id: t.profile_id, status: t.status, classification_code: t.classification_code, reused: false, kernel_release: `${t.profile_id}-rel`, kernel_sha256: 's', warning_code: null })),
    details: targets.map((t) => ({ run_id: 'r1', artifact: 'tool', version: 'v1', target: t })),
  });
  const m = buildSiteModel(snap([placeholder('k1'), placeholder('k2')]));
  const art = m.artifactByName.get('tool')!;
  assert.deepEqual(art.versions[0]!.placeholder, { program: 'file_read_entry', name: 'dummy_file_read', kind: 'function', kernels: 2 });
  assert.deepEqual([...art.latest.values()].map((c) => c.shown), ['untestable', 'untestable']);
  const page = artifactPageData(m, art);
  assert.equal(page.placeholder?.name, 'dummy_file_read');
  assert.deepEqual(page.rows.map((r) => r.view.label), ['untestable without its attach target', 'untestable without its attach target']);
  assert.deepEqual(apiArtifactResults(m, art, '/').versions[0]!.results.map((r) => r.state), ['untestable', 'untestable']);
  assert.match(artifactBadge(art), /untestable without its attach target/);
  assert.match(overviewData(m, { kind: 'all' }).rows[0]!.cells[0]!.title, /untestable without its attach target/);
  // different targets, or one kernel only, are real absences: shown as failures
  const mixed = buildSiteModel(snap([placeholder('k1'), placeholder('k2', 'other_fn')])).artifactByName.get('tool')!;
  assert.equal(mixed.versions[0]!.placeholder, undefined);
  assert.deepEqual([...mixed.latest.values()].map((c) => c.shown), ['fail', 'fail']);
  assert.equal(buildSiteModel(snap([placeholder('k1')])).artifactByName.get('tool')!.versions[0]!.placeholder, undefined);
});
