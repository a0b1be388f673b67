import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareVerdicts, renderDiffMarkdown, diffSummaryLine, classificationDelta, type Verdict } from './compare.ts';

const v = (status: string, code: string | null = null, required = true): Verdict => ({ status, classification_code: code, confidence: code ? 'high' : null, required });
const sides = { base: { label: 'base', run_id: 'b', summary_status: 'pass' }, head: { label: 'head', run_id: 'h', summary_status: 'fail' } };

test('every change kind and classification delta', () => {
  const base = {
    same: v('pass'),
    gone: v('pass'),
    up: v('fail', 'HELPER_NOT_SUPPORTED'),
    down: v('pass'),
    optional_down: v('pass', null, false),
    reclass: v('fail', 'A'),
    infra_to_fail: v('infra_error', 'INFRA'),
  };
  const head = new Map<string, Verdict>([
    ['same', v('pass')],
    ['new', v('fail', 'BTF_MISSING')],
    ['up', v('pass')],
    ['down', v('fail', 'X')],
    ['optional_down', v('infra_error', null, false)],
    ['reclass', v('fail', 'B')],
    ['infra_to_fail', v('fail', 'INFRA')],
  ]);
  const d = compareVerdicts(base, head, sides, '2025-01-01T00:00:00Z');
  const by = Object.fromEntries(d.profiles.map((p) => [p.profile_id, [p.change, p.classification_delta]]));
  assert.deepEqual(by, {
    down: ['regressed', 'new:X'],
    gone: ['removed', ''],
    infra_to_fail: ['improved', 'unchanged'],
    new: ['added', 'new:BTF_MISSING'],
    optional_down: ['regressed', ''],
    reclass: ['classification_changed', 'A->B'],
    same: ['unchanged', ''],
    up: ['improved', 'cleared:HELPER_NOT_SUPPORTED'],
  });
  assert.deepEqual(d.profiles.map((p) => p.profile_id), [...d.profiles.map((p) => p.profile_id)].sort());
  assert.deepEqual(d.summary, {
    total_profiles: 8, changed_profiles: 7, unchanged_profiles: 1, added_profiles: 1, removed_profiles: 1, improved_profiles: 2,
    regressed_profiles: 2, classification_changed_profiles: 1, required_regressions: 1, base_required_failed: 2, head_required_failed: 4,
  });
  assert.equal(diffSummaryLine(d), 'Diff summary: profiles=8 changed=7 improved=2 regressed=2 required_regressions=1');
  assert.equal(classificationDelta('A', 'A'), 'unchanged');
});

test('markdown escapes pipes, newlines and HTML in artifact-derived cells', () => {
  const d = compareVerdicts({ 'evil|<b>x</b>\nrow': v('pass') }, { 'evil|<b>x</b>\nrow': v('fail', 'C|D') }, { ...sides, base: { ...sides.base, label: 'a<script>' } });
  const md = renderDiffMarkdown(d);
  const row = md.split('\n').find((l) => l.includes('evil'))!;
  assert.equal(row, '| evil\\|&lt;b&gt;x&lt;/b&gt; row | yes | regressed | pass | fail (C\\|D) | new:C\\|D |');
  assert.ok(!md.includes('<script>'));
  assert.match(md, /\| Profile \| Required \| Change \| Base \| Head \| Class Delta \|/);
});

test('a pass whose attach warned is its own state: pass → warn regressed, warn → pass improved, fail → warn improved', () => {
  const warn = (code: string): Verdict => ({ ...v('pass'), warning_code: code });
  const d = compareVerdicts(
    { kept: v('pass'), fixed: warn('ATTACH_TARGET_MISSING'), half: v('fail', 'UNSUPPORTED_HELPER'), same: warn('UNSUPPORTED_ATTACH_TYPE') },
    new Map([['kept', warn('ATTACH_TARGET_MISSING')], ['fixed', v('pass')], ['half', warn('UNSUPPORTED_ATTACH_TYPE')], ['same', warn('UNSUPPORTED_ATTACH_TYPE')]]),
    sides, '2025-01-01T00:00:00Z');
  const by = Object.fromEntries(d.profiles.map((p) => [p.profile_id, [p.change, p.base_status, p.head_status, p.classification_delta]]));
  assert.deepEqual(by, {
    kept: ['regressed', 'pass', 'warn', 'new:ATTACH_TARGET_MISSING'],
    fixed: ['improved', 'warn', 'pass', 'cleared:ATTACH_TARGET_MISSING'],
    half: ['improved', 'fail', 'warn', 'UNSUPPORTED_HELPER->UNSUPPORTED_ATTACH_TYPE'],
    same: ['unchanged', 'warn', 'warn', 'unchanged'],
  });
  assert.equal(d.summary.required_regressions, 1, 'a required kernel that no longer attaches gates --fail-on-regression');
  assert.match(renderDiffMarkdown(d), /\| kept \| yes \| regressed \| pass \| warn \(ATTACH_TARGET_MISSING\) \|/);
});
