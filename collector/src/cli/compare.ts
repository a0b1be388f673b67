import { renderDiffJson, renderDiffMarkdown, diffSummaryLine, openHistoryForReading, type History } from '../../../history/src/index.ts';
import { BpfcompatError, EXIT_COMPAT_FAILURE, usageError } from '../../../history/vocabulary/errors.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { diffSides, looksLikeFile, sideFromHistory, sideFromImage, sideFromReport, type Side } from '../recording/compare-sides.ts';
import { parseArtifactReference } from '../artifacts/reference.ts';
import { pullImage } from '../artifacts/image.ts';
import { historyPath } from '../recording/history-path.ts';
import { existsSync } from 'node:fs';
import { parseFlags } from './args.ts';
import type { Verb } from './verb.ts';

const HELP = `Usage: bpfcompat compare BASE HEAD [--history P] [--artifact-name N] [--out diff.json] [--markdown diff.md] [--json] [--fail-on-regression]
       bpfcompat compare --base-report BASE.json --head-report HEAD.json [flags]
       bpfcompat compare --artifact-name N --base-version V1 --head-version V2 [flags]

BASE and HEAD are each a report JSON file, a run id in the history, or (with --artifact-name) a version
of that artifact (its newest run). Profiles are joined by id; each is added, removed, unchanged,
classification_changed, improved or regressed (pass > warn > fail > infra_error, where warn is a pass whose
best-effort attach failed: "loads, attach warned", shown with the warning's code).

  --base-report FILE    the base report JSON (instead of the BASE operand)
  --head-report FILE    the head report JSON (instead of the HEAD operand)
  --base-version V      with --artifact-name: the base version's newest run in the history
  --head-version V      with --artifact-name: the head version's newest run in the history
  --out FILE            write the diff JSON
  --markdown FILE       write the diff as Markdown (summary + table)
  --json                print the diff JSON on stdout (the default when neither --out nor --markdown is given)
  --fail-on-regression  exit 2 when any profile regressed (gate a pull request); otherwise compare exits 0
  --history P           default $XDG_DATA_HOME/bpfcompat/history.sqlite
  --registry-insecure H an operand may be an OCI image (oci:DIR:TAG, HOST/REPO:TAG …; docs/oci.md): its newest run
                        in the history, found by the digest the reference resolves to; H allows plain HTTP for H

Always prints "Diff summary: profiles=… changed=… improved=… regressed=… required_regressions=…" on stderr.`;

export const compareVerb: Verb = {
  name: 'compare',
  summary: 'compare two reports, runs or artifact versions (added/removed/improved/regressed)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseFlags('compare', argv, {
      history: { type: 'string' }, 'artifact-name': { type: 'string' }, out: { type: 'string' }, markdown: { type: 'string' },
      json: { type: 'boolean' }, 'fail-on-regression': { type: 'boolean' },
      'registry-insecure': { type: 'string', multiple: true },
      'base-report': { type: 'string' }, 'head-report': { type: 'string' }, 'base-version': { type: 'string' }, 'head-version': { type: 'string' },
    }, { positionals: 2 });
    const [baseArg, headArg] = operands(positionals, values);
    let history: History | undefined;
    const resolveSide = async ({ operand, report }: Operand): Promise<Side> => {
      if (report || looksLikeFile(operand)) return sideFromReport(operand);
      const reference = parseArtifactReference(operand);
      if (!history) {
        const path = historyPath(values.history);
        if (!existsSync(path)) throw new BpfcompatError('HISTORY', `compare: '${operand}' is not a file and there is no history at ${path}`, { hint: 'pass report .json files, or --history PATH' });
        history = openHistoryForReading(path);
      }
      if (reference.kind !== 'file') {
        // An OCI image: its newest run, by the digest the reference resolves to now (x86_64's view of an index).
        const image = await pullImage(reference, 'x86_64', { insecureHosts: values['registry-insecure'] ?? [] });
        return sideFromImage(history, image.reference, image.digest);
      }
      return sideFromHistory(history, operand, values['artifact-name']);
    };
    let diff;
    try {
      diff = diffSides(await resolveSide(baseArg), await resolveSide(headArg));
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

interface Operand {
  operand: string;
  /** named by --base-report/--head-report: a report file, never a run id or version */
  report: boolean;
}

/** BASE and HEAD from the operands, or from the reference's flags (one form per side, each side named once). */
function operands(positionals: string[], v: { 'base-report'?: string | undefined; 'head-report'?: string | undefined; 'base-version'?: string | undefined; 'head-version'?: string | undefined; 'artifact-name'?: string | undefined }): [Operand, Operand] {
  const side = (which: 'base' | 'head', positional: string | undefined): Operand => {
    const report = v[`${which}-report`];
    const version = v[`${which}-version`];
    const named = [positional !== undefined ? `the ${which.toUpperCase()} operand` : null, report !== undefined ? `--${which}-report` : null, version !== undefined ? `--${which}-version` : null].filter((x) => x !== null);
    if (named.length > 1) throw usageError(`compare: ${named.join(' and ')} both name the ${which}`, 'name each side once');
    if (version !== undefined && !v['artifact-name']) throw usageError(`compare: --${which}-version needs --artifact-name`, 'versions are looked up in the history under an artifact name');
    if (report !== undefined) return { operand: report, report: true };
    const operand = version ?? positional;
    if (operand === undefined) throw usageError(`compare: the ${which} is missing`, 'pass BASE HEAD, --base-report/--head-report, or --artifact-name with --base-version/--head-version');
    return { operand, report: false };
  };
  if (positionals.length === 1 && (v['base-report'] !== undefined || v['base-version'] !== undefined)) return [side('base', undefined), side('head', positionals[0])];
  return [side('base', positionals[0]), side('head', positionals[1])];
}
