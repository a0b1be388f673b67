import { relative, dirname } from 'node:path';
import type { Report } from '../../../history/vocabulary/report-schema.ts';
import { EXIT_COMPAT_FAILURE, EXIT_OK, EXIT_TOOL_ERROR } from '../../../history/vocabulary/errors.ts';
import { mdCell as escapeCell } from '../report/escape.ts';

// The suite summary (schema bpfcompat_suite.v0.1, the reference tool's fields) and its Markdown with the
// collection matrix: kernels as rows, cases as columns. Pure functions of the per-case reports.

export interface SuiteCaseResult {
  name: string;
  artifact: string;
  manifest: string | null;
  matrix: string;
  report: Report;
  reportJsonPath: string;
  reportMarkdownPath: string;
  /** Profiles of this case never run (--stop-on-failure stopped scheduling boots). */
  notRun?: string[];
}

export interface SuiteSummary {
  schema_version: 'bpfcompat_suite.v0.1';
  name: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  status: 'pass' | 'fail' | 'error';
  exit_code: number;
  boots: number;
  retries: number;
  /** Targets not run because --stop-on-failure stopped after a required failure (0 otherwise). */
  not_run: number;
  cases: Array<{
    name: string; artifact: string; manifest: string | null; matrix: string;
    /** not_run: nothing failed, but some of its kernels never ran (--stop-on-failure). */
    status: 'pass' | 'fail' | 'error' | 'not_run'; exit_code: number; error: string; run_id: string;
    not_run: string[];
    report_json_path: string; report_markdown_path: string;
    total_profiles: number; required_passed: number; required_failed: number;
    validation_mode: string; behavior_status: string; behavior_passed: number; behavior_failed: number;
    targets: Array<{ profile_id: string; status: string; required: boolean; classification_code: string | null; kernel_release: string; reused: boolean }>;
  }>;
}

export function suiteSummary(name: string, startedAt: Date, finishedAt: Date, cases: SuiteCaseResult[], boots: number, retries: number): SuiteSummary {
  const rows = cases.map((c) => {
    const r = c.report;
    const behavior = r.targets.flatMap((t) => (r.validation_mode === 'behavior' ? t.functional.tests : []));
    const bPassed = behavior.filter((t) => t.status === 'pass').length;
    const bFailed = behavior.filter((t) => t.status === 'fail').length;
    const infra = r.targets.filter((t) => t.status === 'infra_error');
    const notRun = c.notRun ?? [];
    return {
      name: c.name, artifact: c.artifact, manifest: c.manifest, matrix: c.matrix,
      status: r.summary.status === 'pass' && notRun.length > 0 ? 'not_run' as const : r.summary.status, exit_code: r.summary.exit_code, not_run: notRun,
      error: infra.map((t) => `${t.profile_id}: ${t.infra_error}`).join('; '),
      run_id: r.run.id, report_json_path: c.reportJsonPath, report_markdown_path: c.reportMarkdownPath,
      total_profiles: r.targets.length, required_passed: r.summary.required_passed, required_failed: r.summary.required_failed,
      validation_mode: r.validation_mode,
      behavior_status: behavior.length === 0 ? 'skipped' : bFailed > 0 ? 'fail' : 'pass', behavior_passed: bPassed, behavior_failed: bFailed,
      targets: [
        ...r.targets.map((t) => ({ profile_id: t.profile_id, status: t.status as string, required: t.required, classification_code: t.classification_code, kernel_release: t.kernel.release, reused: t.reused })),
        ...notRun.map((id) => ({ profile_id: id, status: 'not_run', required: true, classification_code: null, kernel_release: '', reused: false })),
      ],
    };
  });
  // The reference tool's rule: any errored case makes the suite an error (1), else any failed case a failure (2).
  const status = rows.some((r) => r.status === 'error') ? 'error' : rows.some((r) => r.status === 'fail') ? 'fail' : 'pass';
  return {
    schema_version: 'bpfcompat_suite.v0.1', name,
    started_at: startedAt.toISOString(), finished_at: finishedAt.toISOString(), duration_ms: finishedAt.getTime() - startedAt.getTime(),
    status, exit_code: status === 'error' ? EXIT_TOOL_ERROR : status === 'fail' ? EXIT_COMPAT_FAILURE : EXIT_OK,
    boots, retries, not_run: rows.reduce((n, r) => n + r.not_run.length, 0), cases: rows,
  };
}

/** A collection-matrix cell: the verdict and, when it failed, the class. */
export function matrixCell(t: { status: string; required: boolean; classification_code: string | null } | undefined): string {
  if (!t) return '—';
  if (t.status === 'pass') return t.required ? 'pass' : 'pass (optional)';
  if (t.status === 'infra_error') return 'infra_error';
  if (t.status === 'not_run') return 'not run';
  return `fail ${t.classification_code ?? 'UNCLASSIFIED_FAILURE'}`;
}

export function renderSuiteMarkdown(s: SuiteSummary, markdownPath: string | null): string {
  const link = (p: string) => (markdownPath ? relative(dirname(markdownPath), p) : p);
  const lines = [
    `# bpfcompat suite ${s.name}`,
    '',
    `- Status: **${s.status}** (exit ${s.exit_code})`,
    `- Cases: ${s.cases.length}; guest boots: ${s.boots}${s.retries ? ` (${s.retries} retried alone)` : ''}`,
    `- Started: ${s.started_at}; took ${(s.duration_ms / 1000).toFixed(1)} s`,
    ...(s.not_run ? [`- Stopped after the first required failure (--stop-on-failure): **${s.not_run} target(s) not run**, shown as "not run" below`] : []),
    '',
    '## Cases',
    '',
    '| Case | Mode | Status | Required pass/fail | Behavior | Profiles | Report |',
    '|---|---|---|---|---|---|---|',
    ...s.cases.map((c) => `| ${escapeCell(c.name)} | ${c.validation_mode} | ${c.status} | ${c.required_passed}/${c.required_failed} | ${c.behavior_status} | ${c.total_profiles} | [${escapeCell(c.name)}.md](${link(c.report_markdown_path)}) |`),
    '',
    '## Collection Matrix',
    '',
  ];
  const kernels: Array<{ id: string; release: string }> = [];
  for (const c of s.cases) for (const t of c.targets) {
    const k = kernels.find((x) => x.id === t.profile_id);
    if (!k) kernels.push({ id: t.profile_id, release: t.kernel_release });
    else if (!k.release) k.release = t.kernel_release;
  }
  lines.push(`| Kernel | ${s.cases.map((c) => escapeCell(c.name)).join(' | ')} |`, `|---|${s.cases.map(() => '---').join('|')}|`);
  for (const k of kernels) {
    const cells = s.cases.map((c) => matrixCell(c.targets.find((t) => t.profile_id === k.id)));
    lines.push(`| ${escapeCell(k.id)}${k.release ? ` (${escapeCell(k.release)})` : ''} | ${cells.join(' | ')} |`);
  }
  const errors = s.cases.filter((c) => c.error);
  if (errors.length) lines.push('', '## Infrastructure errors', '', ...errors.map((c) => `- ${escapeCell(c.name)}: ${escapeCell(c.error)}`));
  return lines.join('\n') + '\n';
}
