import type { Verb } from './verb.ts';
import { intFlag, parseFlags } from './args.ts';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BpfcompatError, usageError } from '../../../history/vocabulary/errors.ts';
import { loadSigningKey } from '../../../history/vocabulary/signing.ts';

const HELP = `Usage: bpfcompat site build --history H --out DIR [--base /REPO/] [--with-artifacts DIR]… [--sign-key KEY] [--verbose]
       bpfcompat site serve --dir DIR [--port 4321] [--base /]

build: renders the static compatibility site (overview, artifacts, kernels, compare, failure classes, runs,
search, JSON API under /api/v1/, badges) from a history file with Astro.

  --history H   the history SQLite file (read-only)
  --out DIR     output directory (created; existing files are replaced)
  --base PATH   base path the site is served under, e.g. /REPO/ for https://OWNER.github.io/REPO/ (default /)
  --verbose     show Astro's build log
  --with-artifacts DIR|FILE   publish the history's objects found there (by sha256) as /artifacts/<sha256>.bpf.o,
                for bpfcompat fetch (repeatable; objects not found are listed, not fatal)
  --sign-key KEY  Ed25519 private key (bpfcompat keys generate): writes api/v1/signatures.json, the sha256 of every
                API JSON file and published object with the key id, and api/v1/signatures.json.sig, its signature

serve: serves a built site on http://127.0.0.1:PORT/ as GitHub Pages would, until interrupted (Ctrl-C).

  --dir DIR     the built site (site build's --out)
  --port N      port on 127.0.0.1 (default 4321; 0 picks a free one)
  --base PATH   the base the site was built with (default /)
`;

export const siteVerb: Verb = {
  name: 'site',
  summary: 'build the static compatibility site from a history (site build --history H --out DIR)',
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'serve') return serve(rest);
    if (sub !== 'build') throw usageError(sub === undefined ? 'site: missing subcommand' : `site: unknown subcommand '${sub}'`, "run 'bpfcompat site --help'");
    const { values } = parseFlags('site build', rest, {
      history: { type: 'string' },
      out: { type: 'string' },
      base: { type: 'string' },
      verbose: { type: 'boolean' },
      'with-artifacts': { type: 'string', multiple: true },
      'sign-key': { type: 'string' },
    }, { positionals: 0 });
    if (!values.history) throw usageError('site build: --history is required', 'pass the history SQLite file, e.g. --history ~/.local/share/bpfcompat/history.sqlite');
    if (!values.out) throw usageError('site build: --out is required', 'pass the output directory, e.g. --out site/dist');
    // Astro is loaded only for this verb: the other verbs stay fast to start.
    // The key is read before anything is built: a bad key costs no build.
    const signKey = values['sign-key'] === undefined ? undefined : loadSigningKey(values['sign-key']);
    const { buildSite } = await import('../../../site/build.ts');
    const r = await buildSite({
      history: values.history, out: values.out, base: values.base ?? '/', logLevel: values.verbose ? 'info' : 'warn',
      ...(values['with-artifacts'] ? { withArtifacts: values['with-artifacts'] } : {}), ...(signKey ? { signKey } : {}),
    });
    process.stdout.write(`site: ${r.pages} pages, ${r.files} files (${(r.bytes / 1e6).toFixed(1)} MB) written to ${r.outDir} with base ${r.base} in ${(r.durationMs / 1000).toFixed(1)} s\n`);
    if (r.artifacts) process.stdout.write(`site: ${r.artifacts.published} objects published under artifacts/${r.artifacts.missing.length ? `; not found for ${r.artifacts.missing.length}: ${r.artifacts.missing.map((s) => s.slice(0, 12)).join(', ')}` : ''}\n`);
    if (r.signed) process.stdout.write(`site: signed by key ${r.signed.keyId}: api/v1/signatures.json lists ${r.signed.files} files, api/v1/signatures.json.sig\n`);
    return 0;
  },
};

async function serve(argv: string[]): Promise<number> {
  const { values } = parseFlags('site serve', argv, { dir: { type: 'string' }, port: { type: 'string' }, base: { type: 'string' } }, { positionals: 0 });
  if (!values.dir) throw usageError('site serve: --dir is required', 'pass the directory site build wrote, e.g. --dir reports/site');
  const dir = resolve(values.dir);
  if (!existsSync(join(dir, 'index.html'))) throw usageError(`site serve: --dir ${values.dir}: no index.html in it`, "build the site first: 'bpfcompat site build --history H --out DIR'");
  const port = intFlag('port', values.port, 4321, 0, 65535);
  const base = values.base ?? '/';
  if (!base.startsWith('/') || !base.endsWith('/')) throw usageError(`site serve: --base must start and end with /, got '${base}'`);
  const { serveStatic } = await import('../../../site/serve.ts');
  const server = await serveStatic(dir, base, port).catch((err: NodeJS.ErrnoException) => {
    throw new BpfcompatError('USAGE', `site serve: cannot listen on 127.0.0.1:${port}: ${err.code ?? err.message}`, { hint: 'pick another --port' });
  });
  process.stdout.write(`site: serving ${dir} at ${server.origin}${base} (Ctrl-C stops)\n`);
  await new Promise<void>((done) => {
    const stop = () => void server.close().then(done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
