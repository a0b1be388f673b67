import type { Verb } from './verb.ts';
import { parseFlags } from './args.ts';
import { usageError } from '../../../history/vocabulary/errors.ts';

const HELP = `Usage: bpfcompat site build --history H --out DIR [--base /REPO/] [--verbose]

Renders the static compatibility site (overview, artifacts, kernels, compare, failure classes, runs,
search, JSON API under /api/v1/, badges) from a history file with Astro.

  --history H   the history SQLite file (read-only)
  --out DIR     output directory (created; existing files are replaced)
  --base PATH   base path the site is served under, e.g. /REPO/ for https://OWNER.github.io/REPO/ (default /)
  --verbose     show Astro's build log
`;

export const siteVerb: Verb = {
  name: 'site',
  summary: 'build the static compatibility site from a history (site build --history H --out DIR)',
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'build') throw usageError(sub === undefined ? 'site: missing subcommand' : `site: unknown subcommand '${sub}'`, "run 'bpfcompat site build --help'");
    const { values } = parseFlags('site build', rest, {
      history: { type: 'string' },
      out: { type: 'string' },
      base: { type: 'string' },
      verbose: { type: 'boolean' },
    }, { positionals: 0 });
    if (!values.history) throw usageError('site build: --history is required', 'pass the history SQLite file, e.g. --history ~/.local/share/bpfcompat/history.sqlite');
    if (!values.out) throw usageError('site build: --out is required', 'pass the output directory, e.g. --out site/dist');
    // Astro is loaded only for this verb: the other verbs stay fast to start.
    const { buildSite } = await import('../../../site/build.ts');
    const r = await buildSite({ history: values.history, out: values.out, base: values.base ?? '/', logLevel: values.verbose ? 'info' : 'warn' });
    process.stdout.write(`site: ${r.pages} pages, ${r.files} files (${(r.bytes / 1e6).toFixed(1)} MB) written to ${r.outDir} with base ${r.base} in ${(r.durationMs / 1000).toFixed(1)} s\n`);
    return 0;
  },
};
