import type { Verb } from './verb.ts';
import { parseFlags } from './args.ts';
import { usageError } from '../../../history/vocabulary/errors.ts';
import { loadMatrix, laneOf } from '../config/matrix.ts';
import { locateMatrix } from '../config/locate.ts';

const HELP = `Usage: bpfcompat profile list --matrix MATRIX [--json]

Prints the profile ids of a matrix, one per line (nothing is downloaded or booted).

  --matrix PATH|NAME   matrix YAML, or a shipped matrix name (debian, dev-one, quick)   (required)
  --json               [{"id", "required", "arch", "lane"}] instead`;

export const profileVerb: Verb = {
  name: 'profile',
  summary: 'list the profiles of a matrix',
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'list') throw usageError(sub === undefined ? 'profile: a subcommand is required' : `profile: unknown subcommand '${sub}'`, 'the only one is: bpfcompat profile list --matrix MATRIX');
    const { values } = parseFlags('profile list', rest, { matrix: { type: 'string' }, json: { type: 'boolean' } }, { positionals: 0 });
    if (!values.matrix) throw usageError('profile list: --matrix is required', 'pass a matrix YAML or a shipped name such as debian');
    const matrix = await loadMatrix(locateMatrix(values.matrix));
    process.stdout.write(values.json
      ? JSON.stringify(matrix.profiles.map((p) => ({ id: p.id, required: p.required, arch: p.arch, lane: laneOf(p) }))) + '\n'
      : matrix.profiles.map((p) => p.id).join('\n') + '\n');
    return 0;
  },
};
