import type { Report, TargetReport } from '../../../history/vocabulary/report-schema.ts';
import { mdCell, mdFence, mdName } from './escape.ts';
import { describeRootCause } from './root-cause-text.ts';
import { acrossSection } from './markdown-across.ts';

const SYMBOL: Record<TargetReport['status'] | 'warn', string> = { pass: '✅ pass', warn: '◐ loads, attach warned', fail: '❌ fail', infra_error: '⚠️ infra_error' };

const warningsOf = (t: TargetReport) => (t.status === 'pass' ? (t.warnings ?? []) : []);
/** The state a target is shown in: a pass whose best-effort attach failed is "loads, attach warned". */
const shown = (t: TargetReport): TargetReport['status'] | 'warn' => (warningsOf(t).length > 0 ? 'warn' : t.status);

function targetRow(t: TargetReport): string {
  const w = warningsOf(t)[0];
  const cells = [
    t.profile_id,
    t.kernel.release,
    SYMBOL[shown(t)],
    t.required ? 'yes' : 'no',
    t.failed_stage ?? '',
    t.validation.load_status,
    t.validation.attach_status,
    t.btf.kernel_btf_available ? 'yes' : 'no',
    t.classification_code ? `${t.classification_code} (${t.classification_confidence})` : w ? `attach warned: ${w.code} (${w.confidence})` : '',
    t.reused ? 'reused' : `${t.vm.accel} ${(t.duration_ms / 1000).toFixed(1)} s`,
  ];
  return `| ${cells.map(mdCell).join(' | ')} |`;
}

function details(t: TargetReport): string[] {
  const out = [`### ${mdCell(t.profile_id)} — ${mdCell(t.kernel.release)}`, ''];
  out.push(`- Status: **${t.status}**${t.required ? ' (required)' : ' (optional)'}${t.reused ? ` — reused from run ${mdCell(t.reused_from_run ?? '')}` : ''}`);
  out.push(`- Kernel: ${mdCell(t.kernel.release)}, sha256 \`${t.kernel.sha256.slice(0, 16)}\`; VM: ${t.vm.accel}, boot ${t.vm.boot_ms} ms`);
  if (t.infra_error) out.push(`- Infrastructure error: ${mdCell(t.infra_error)}`);
  for (const w of warningsOf(t)) {
    out.push(`- Attach warning: program ${mdName(w.program)} loads but does not attach — **${w.code}** (${w.confidence}): ${mdCell(w.reason)}`);
    if (w.root_cause) out.push(`  - Root cause: ${mdCell(describeRootCause(w.root_cause))}; remediation: ${mdCell(w.remediation)}`);
  }
  if (t.classification_code) {
    out.push(`- Classification: **${t.classification_code}** (${t.classification_confidence}) — ${mdCell(t.classification_reason)}`);
    if (t.root_cause) out.push(`- Root cause: ${mdCell(describeRootCause(t.root_cause))}${t.root_cause.program ? ` in program ${mdName(t.root_cause.program)}` : ''}`);
    out.push(`- Remediation: ${mdCell(t.remediation)}`);
  }
  if (t.programs.length > 0) {
    out.push('', '| Program | Section | Type | Load | Attach | Detail |', '|---|---|---|---|---|---|');
    for (const p of t.programs) {
      const detail = p.attach === 'skipped' ? p.attach_reason : p.error || (p.attach_target ? `on ${p.attach_target}` : '');
      out.push(`| ${[mdName(p.object ? `${p.object}: ${p.name}` : p.name), ...[p.section, p.type, p.load, `${p.attach}${p.attach_method !== 'none' ? ` (${p.attach_method})` : ''}`, detail].map(mdCell)].join(' | ')} |`);
    }
    for (const p of t.programs.filter((x) => x.verifier_log_tail.trim() !== '')) {
      out.push('', `<details><summary>Verifier log of ${mdName(p.name)}</summary>`, '', mdFence(p.verifier_log_tail), '', '</details>');
    }
  }
  if (t.functional.status !== 'skipped') out.push(`- Functional tests: ${t.functional.status}`);
  if (t.console_tail) out.push('', '<details><summary>Console tail</summary>', '', mdFence(t.console_tail), '', '</details>');
  out.push('');
  return out;
}

/** "## Fixups": what was changed before load, once per distinct change, with the kernels it applied on. */
function fixupsSection(r: Report): string[] {
  const rows = new Map<string, { f: NonNullable<TargetReport['fixups']>[number]; kernels: string[] }>();
  for (const t of r.targets) {
    for (const f of t.fixups ?? []) {
      const key = JSON.stringify([f.kind, f.target, f.status, f.detail, f.automatic]);
      const row = rows.get(key) ?? { f, kernels: [] };
      row.kernels.push(t.profile_id);
      rows.set(key, row);
    }
  }
  if (rows.size === 0) return [];
  const out = ['## Fixups', '', 'Changes made to the object before load. "bpfcompat" means the object left the value to its loader and bpfcompat chose it.', '',
    '| Chosen by | Kind | Map or program | Detail | Status | Kernels |', '|---|---|---|---|---|---|'];
  for (const { f, kernels } of rows.values()) {
    const on = kernels.length === r.targets.length ? 'all' : kernels.join(', ');
    out.push(`| ${[f.automatic ? 'bpfcompat' : 'manifest', f.kind, f.target, f.detail, f.status, on].map(mdCell).join(' | ')} |`);
  }
  out.push('');
  return out;
}

export function renderMarkdown(r: Report): string {
  const lines = [
    `# bpfcompat report: ${mdName(r.artifact.name)} ${mdName(r.artifact.version)}`,
    '',
    `- Status: **${r.summary.status}** (exit ${r.summary.exit_code}) — ${r.summary.passed} passed${r.summary.warned ? ` (${r.summary.warned} of them with attach warnings)` : ''}, ${r.summary.failed} failed, ${r.summary.infra_errors} infra errors, ${r.summary.reused} reused`,
    `- Artifact: ${mdCell(r.artifact.path)} (\`${r.artifact.identity.slice(0, 23)}\`, ${r.artifact.size_bytes} bytes)${r.artifact.uri ? ` from ${mdCell(r.artifact.uri)}` : ''}`,
    `- Validator: \`${r.validator.sha256.slice(0, 16)}\` · mode ${r.validation_mode}${r.manifest ? ` · manifest ${mdCell(r.manifest.path)}` : ''}`,
    `- Matrix: ${mdName(r.matrix.name)} (${r.matrix.profiles.length} profiles) · run ${r.run.id} · ${(r.run.duration_ms / 1000).toFixed(1)} s on ${r.run.jobs} job(s), ${r.run.accel}`,
    '',
    '## Targets',
    '',
    '| Profile | Kernel | Status | Required | Failed stage | Load | Attach | BTF | Classification | Run |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.targets.map(targetRow),
    '',
    ...acrossSection(r.programs_across ?? []),
    ...fixupsSection(r),
    '## Target details',
    '',
    ...r.targets.flatMap(details),
    '## Notes',
    '',
    ...r.summary.notes.map((n) => `- ${mdCell(n)}`),
    '',
  ];
  return lines.join('\n');
}

/** How much of the matrix a job summary lists (`report-summary --max-targets/--max-failures`). */
export interface JobSummaryLimits {
  maxTargets: number;
  maxFailures: number;
}

export const JOB_SUMMARY_DEFAULTS: JobSummaryLimits = { maxTargets: 25, maxFailures: 10 };

/** The GitHub job summary: the gate status, failure classes, the matrix, the failures' details and what to do next. */
export function renderJobSummary(r: Report, limits: JobSummaryLimits = JOB_SUMMARY_DEFAULTS): string {
  const classes = new Map<string, number>();
  for (const t of r.targets) {
    const c = t.status === 'infra_error' ? 'INFRA_ERROR' : t.status === 'fail' ? (t.classification_code ?? 'UNCLASSIFIED_FAILURE') : null;
    if (c) classes.set(c, (classes.get(c) ?? 0) + 1);
  }
  const warned = r.targets.filter((t) => warningsOf(t).length > 0);
  const lines = [
    `## bpfcompat compatibility gate: ${r.summary.status === 'pass' ? '✅ pass' : r.summary.status === 'fail' ? '❌ fail' : '⚠️ error'}`,
    '',
    `${mdName(r.artifact.name)} ${mdName(r.artifact.version)} · ${r.summary.required_passed} required passed, ${r.summary.required_failed} required failed, ${r.summary.infra_errors} infra errors${warned.length > 0 ? `, ${warned.length} loaded with attach warnings` : ''}`,
    '',
  ];
  if (classes.size > 0) {
    lines.push('| Failure class | Count |', '|---|---|', ...[...classes].map(([c, n]) => `| ${c} | ${n} |`), '');
  }
  lines.push('| Profile | Kernel | Status | Class |', '|---|---|---|---|');
  for (const t of r.targets.slice(0, limits.maxTargets)) lines.push(`| ${mdCell(t.profile_id)} | ${mdCell(t.kernel.release)} | ${SYMBOL[shown(t)]} | ${mdCell(t.classification_code ?? warningsOf(t)[0]?.code ?? '')} |`);
  if (r.targets.length > limits.maxTargets) lines.push('', `(${r.targets.length - limits.maxTargets} more targets in the full report)`);
  lines.push('');
  if (warned.length > 0) {
    lines.push('### Attach warnings (the programs load but do not attach; `--require-attach` makes these failures)', '');
    for (const t of warned.slice(0, limits.maxFailures)) for (const w of warningsOf(t)) lines.push(`- ${mdCell(t.profile_id)}: ${mdName(w.program)} — **${w.code}**: ${mdCell(w.reason)}`);
    lines.push('');
  }
  const failed = r.targets.filter((t) => t.status !== 'pass');
  if (failed.length > 0) {
    lines.push('### Failure details', '');
    for (const t of failed.slice(0, limits.maxFailures)) {
      const what = t.status === 'infra_error'
        ? `infrastructure error (no verdict): ${mdCell(t.infra_error ?? '')}`
        : `**${t.classification_code ?? 'UNCLASSIFIED_FAILURE'}** (${t.classification_confidence ?? 'low'}) at ${t.failed_stage ?? 'an unknown stage'}: ${mdCell(t.classification_reason ?? '')}`;
      lines.push(`- ${mdCell(t.profile_id)} (${mdCell(t.kernel.release)}${t.required ? ', required' : ', optional'}): ${what}`);
      if (t.status === 'fail' && t.remediation) lines.push(`  - Remediation: ${mdCell(t.remediation)}`);
    }
    if (failed.length > limits.maxFailures) lines.push(`- (${failed.length - limits.maxFailures} more in the full report)`);
    lines.push('');
  }
  lines.push('### Next steps', '', ...nextSteps(r, failed), '');
  return lines.join('\n');
}

function nextSteps(r: Report, failed: TargetReport[]): string[] {
  const steps: string[] = [];
  const report = r.paths.markdown ?? r.paths.json;
  if (failed.some((t) => t.status === 'fail')) steps.push(`- Read each failing target's verifier log and remediation in ${mdCell(report)}.`);
  if (failed.some((t) => t.status === 'infra_error')) steps.push('- Infrastructure errors are no verdict: re-run the job; `bpfcompat doctor` checks the host, and the console log of each target is in the run\'s evidence directory.');
  if (failed.some((t) => t.status === 'fail' && !t.required)) steps.push('- Optional targets do not gate: mark a profile `required: false` in the matrix to keep it visible without failing the job.');
  if (failed.length > 0) steps.push('- Compare with the last good run: `bpfcompat compare --base-report BASE.json --head-report ' + mdCell(r.paths.json) + '`.');
  if (failed.length === 0) steps.push('- Every target passed. Record versions in a history (`--history`) to compare runs and publish the site (`bpfcompat site build`).');
  return steps;
}
