import type { Verb } from './verb.ts';
import { intFlag, parseFlags } from './args.ts';
import { usageError } from '../../../history/vocabulary/errors.ts';
import { readReportFile } from '../recording/compare-sides.ts';
import { JOB_SUMMARY_DEFAULTS, renderJobSummary } from '../report/markdown.ts';

const HELP = `Usage: bpfcompat report-summary --report REPORT.json [--max-targets 25] [--max-failures 10]

Prints the job-summary Markdown of a report on stdout: the gate status, failure classes, the targets, the details
of each failure and the next steps (what bpfcompat test appends to $GITHUB_STEP_SUMMARY by itself).

  --report FILE        a report JSON written by bpfcompat test, test-command or suite   (required)
  --max-targets N      targets listed in the table (default 25)
  --max-failures N     failures (and attach warnings) detailed (default 10)`;

export const reportSummaryVerb: Verb = {
  name: 'report-summary',
  summary: 'print the job-summary Markdown of a report',
  help: HELP,
  async run(argv) {
    const { values } = parseFlags('report-summary', argv, { report: { type: 'string' }, 'max-targets': { type: 'string' }, 'max-failures': { type: 'string' } }, { positionals: 0 });
    if (!values.report) throw usageError('report-summary: --report is required', 'pass the report.json written by bpfcompat test');
    const limits = {
      maxTargets: intFlag('max-targets', values['max-targets'], JOB_SUMMARY_DEFAULTS.maxTargets, 1, 100_000),
      maxFailures: intFlag('max-failures', values['max-failures'], JOB_SUMMARY_DEFAULTS.maxFailures, 1, 100_000),
    };
    process.stdout.write(renderJobSummary(readReportFile(values.report), limits) + '\n');
    return 0;
  },
};
