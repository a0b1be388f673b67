import { appendFile } from 'node:fs/promises';
import { Report, type TargetReport } from '../../../history/vocabulary/report-schema.ts';
import { summarize } from './summary.ts';
import { renderJobSummary, renderMarkdown } from './markdown.ts';
import { renderJunit } from './junit.ts';
import { programsAcross } from './across.ts';
import { writeFileAtomic } from '../infra/fs.ts';

export const TOOL_VERSION = '0.1.0';

export interface ReportParts {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  jobs: number;
  accel: 'kvm' | 'tcg' | 'none';
  git: { revision: string; describe: string } | null;
  ci: Record<string, string> | null;
  artifact: Report['artifact'];
  command: Report['command'];
  validator: Report['validator'];
  /** Per guest CPU, only when a CPU other than x86_64 is in the matrix (see validatorsBlock). */
  validators?: Report['validators'];
  manifest: Report['manifest'];
  mode: Report['validation_mode'];
  matrix: Report['matrix'];
  targets: TargetReport[];
  paths: Report['paths'];
}

/** Assembles the report and checks it against its own schema, so no report leaves that the schema would refuse. */
export function assembleReport(p: ReportParts): Report {
  const report: Report = {
    schema_version: 'bpfcompat.report.v1',
    tool: { name: 'bpfcompat', version: TOOL_VERSION },
    run: {
      id: p.runId,
      started_at: p.startedAt.toISOString(),
      finished_at: p.finishedAt.toISOString(),
      duration_ms: p.finishedAt.getTime() - p.startedAt.getTime(),
      accel: p.accel,
      jobs: p.jobs,
      git: p.git,
      ci: p.ci,
    },
    mode: p.command ? 'command' : 'artifact',
    artifact: p.artifact,
    command: p.command,
    validator: p.validator,
    ...(p.validators ? { validators: p.validators } : {}),
    manifest: p.manifest,
    validation_mode: p.mode,
    matrix: p.matrix,
    targets: p.targets,
    summary: summarize(p.targets),
    paths: p.paths,
    programs_across: programsAcross(p.targets),
  };
  return Report.parse(report);
}

/** Writes every requested report file atomically, and the GitHub job summary when asked. */
export async function writeReports(report: Report, stepSummary: string | undefined): Promise<void> {
  await writeFileAtomic(report.paths.json, JSON.stringify(report, null, 2) + '\n');
  if (report.paths.markdown) await writeFileAtomic(report.paths.markdown, renderMarkdown(report));
  if (report.paths.junit) await writeFileAtomic(report.paths.junit, renderJunit(report));
  if (stepSummary) await appendFile(stepSummary, renderJobSummary(report) + '\n');
}
