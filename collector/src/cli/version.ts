import type { Verb } from './verb.ts';
import { parseFlags } from './args.ts';
import { TOOL_VERSION } from '../report/write.ts';
import { Report } from '../../../history/vocabulary/report-schema.ts';

const HELP = `Usage: bpfcompat version [--json]

Prints the tool's version (also: bpfcompat --version).

  --json   {"version", "report_schema", "node"} on one line`;

export const versionVerb: Verb = {
  name: 'version',
  summary: 'print the version (--json for data)',
  help: HELP,
  async run(argv) {
    const { values } = parseFlags('version', argv, { json: { type: 'boolean' } }, { positionals: 0 });
    process.stdout.write(values.json ? JSON.stringify({ version: TOOL_VERSION, report_schema: Report.shape.schema_version.value, node: process.versions.node }) + '\n' : `bpfcompat ${TOOL_VERSION}\n`);
    return 0;
  },
};
