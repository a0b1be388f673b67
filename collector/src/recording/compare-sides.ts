import { existsSync, readFileSync } from 'node:fs';
import { compareVerdicts, verdictsOf, type Diff, type DiffSide, type History, type Verdict } from '../../../history/src/index.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { Report } from '../../../history/vocabulary/report-schema.ts';

// Resolves `bpfcompat compare BASE HEAD` operands: a report JSON file, a run id in the history, or a
// version of --artifact-name. Files are tried first so that a path never needs the history.

export interface Side {
  side: DiffSide;
  verdicts: Map<string, Verdict>;
}

export function readReportFile(path: string): Report {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new BpfcompatError('REPORT_INVALID', `${path}: not a readable JSON report (${(err as Error).message.split('\n')[0]})`, { hint: 'pass a report.json written by bpfcompat test' });
  }
  const parsed = Report.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BpfcompatError('REPORT_INVALID', `${path}: not a bpfcompat report (${issue.path.join('.') || '(root)'}: ${issue.message})`, { hint: 'pass a report.json written by bpfcompat test' });
  }
  return parsed.data;
}

export function looksLikeFile(operand: string): boolean {
  return operand.endsWith('.json') || existsSync(operand);
}

export function sideFromReport(path: string): Side {
  const r = readReportFile(path);
  const verdicts = new Map(r.targets.map((t) => [t.profile_id, { status: t.status, classification_code: t.classification_code, confidence: t.classification_confidence, required: t.required, warning_code: t.status === 'pass' ? (t.warnings?.[0]?.code ?? null) : null }]));
  return { side: { label: path, run_id: r.run.id, summary_status: r.summary.status }, verdicts };
}

/** A run id, or with artifactName a version of that artifact (run ids win when both match). */
export function sideFromHistory(history: History, operand: string, artifactName: string | undefined): Side {
  const byId = history.getRun(operand);
  const run = byId ?? (artifactName === undefined ? null : history.resolveRun({ name: artifactName, version: operand }));
  if (!run) {
    throw new BpfcompatError('HISTORY', `${history.path}: no run '${operand}'`, {
      hint: 'pass a report .json file, a run id from bpfcompat history list, or a version together with --artifact-name',
    });
  }
  const label = byId ? operand : `${artifactName}@${operand}`;
  return { side: { label, run_id: run.id, summary_status: run.summary_status }, verdicts: verdictsOf(run.members) };
}

export function diffSides(base: Side, head: Side): Diff {
  return compareVerdicts(base.verdicts, head.verdicts, { base: base.side, head: head.side });
}

/** The newest run of an OCI image, found by the digest its reference resolves to. */
export function sideFromImage(history: History, reference: string, digest: string): Side {
  const run = history.latestRunOfArtifact(digest.replace(/^sha256:/, ''));
  if (!run) {
    throw new BpfcompatError('HISTORY', `${history.path}: no run of ${reference} (${digest})`, { hint: `record one first: bpfcompat test --artifact ${reference} --history ${history.path}` });
  }
  return { side: { label: `${reference}@${digest.slice(0, 19)}`, run_id: run.id, summary_status: run.summary_status }, verdicts: verdictsOf(run.members) };
}
