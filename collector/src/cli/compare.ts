import { renderDiffJson, renderDiffMarkdown, diffSummaryLine, openHistoryForReading, type History } from '../../../history/src/index.ts';
import { BpfcompatError, EXIT_COMPAT_FAILURE, usageError } from '../../../history/vocabulary/errors.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { diffSides, looksLikeFile, sideFromHistory, sideFromReport, type Side } from '../recording/compare-sides.ts';
import { historyPath } from '../recording/history-path.ts';
import { existsSync } from 'node:fs';
import { parseFlags } from './args.ts';
import type { Verb } from './verb.ts';

const HELP = `Usage: bpfcompat compare BASE HEAD [--history P] [--artifact-name N] [--out diff.json] [--markdown diff.md] [--json] [--fail-on-regression]

BASE and HEAD are each a report JSON file, a run id in the history, or (with --artifact-name) a version
of that artifact (its newest run). Profiles are joined by id; each is added, removed, unchanged,
classification_changed, improved or regressed (pass > warn > fail > infra_error, where warn is a pass whose
best-effort attach failed: "loads, attach warned", shown with the warning's code).

  --out FILE            write the diff JSON
  --markdown FILE       write the diff as Markdown (summary + table)
  --json                print the diff JSON on stdout (the default when neither --out nor --markdown is given)
  --fail-on-regression  exit 2 when any profile regressed (gate a pull request); otherwise compare exits 0
  --history P           default $XDG_DATA_HOME/bpfcompat/history.sqlite

Always prints "Diff summary: profiles=… changed=… improved=… regressed=… required_regressions=…" on stderr.`;

export const compareVerb: Verb = {
  name: 'compare',
  summary: 'compare two reports, runs or artifact versions (added/removed/improved/regressed)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseFlags('compare', argv, {
      history: { type: 'string' }, 'artifact-name': { type: 'string' }, out: { type: 'string' }, markdown: { type: 'string' },
      json: { type: 'boolean' }, 'fail-on-regression': { type: 'boolean' },
    }, { positionals: 2 });
    if (positionals.length !== 2) throw usageError('compare: BASE and HEAD are required', "run 'bpfcompat compare --help'");
    let history: History | undefined;
    const resolve = (operand: string): Side => {
      if (looksLikeFile(operand)) return sideFromReport(operand);
      if (!history) {
        const path = historyPath(values.history);
        if (!existsSync(path)) throw new BpfcompatError('HISTORY', `compare: '${operand}' is not a file and there is no history at ${path}`, { hint: 'pass report .json files, or --history PATH' });
        history = openHistoryForReading(path);
      }
      return sideFromHistory(history, operand, values['artifact-name']);
    };
    let diff;
    try {
      diff = diffSides(resolve(positionals[0]!), resolve(positionals[1]!));
    } finally {
      history?.close();
    }
    if (values.out) await writeFileAtomic(values.out, renderDiffJson(diff));
    if (values.markdown) await writeFileAtomic(values.markdown, renderDiffMarkdown(diff));
    if (values.json || (!values.out && !values.markdown)) process.stdout.write(renderDiffJson(diff));
    process.stderr.write(diffSummaryLine(diff) + '\n');
    return values['fail-on-regression'] && diff.summary.regressed_profiles > 0 ? EXIT_COMPAT_FAILURE : 0;
  },
};
