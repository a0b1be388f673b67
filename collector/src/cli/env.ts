import type { Verb } from './verb.ts';
import { parseFlags } from './args.ts';
import { usageError } from '../../../history/vocabulary/errors.ts';
import { environmentJson, environmentMarkdown, environmentText } from '../config/environment.ts';

const HELP = `Usage: bpfcompat env [--json | --markdown]

Prints every BPFCOMPAT_* environment variable bpfcompat reads (host), sets for a command-mode job (guest), passes
between its own parts (internal) or its tests use (test), with its default and meaning.

  --json       the catalogue as JSON ({"variables": [{name, scope, default, description}]})
  --markdown   the catalogue as a Markdown table (docs/environment.md is this output)`;

export const envVerb: Verb = {
  name: 'env',
  summary: 'the catalogue of BPFCOMPAT_* environment variables',
  help: HELP,
  async run(argv) {
    const { values } = parseFlags('env', argv, { json: { type: 'boolean' }, markdown: { type: 'boolean' } }, { positionals: 0 });
    if (values.json && values.markdown) throw usageError('env: --json and --markdown exclude each other', 'pass one of them');
    process.stdout.write(values.json ? environmentJson() : values.markdown ? environmentMarkdown() : environmentText());
    return 0;
  },
};
