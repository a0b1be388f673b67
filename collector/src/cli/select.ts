import { parseFlags } from './args.ts';
import { decide, decisionText, SELECT_FLAGS, SELECT_FLAGS_HELP } from './select-flags.ts';
import type { Verb } from './verb.ts';

// `bpfcompat select`: which build of an artifact is proven (or predicted) to work on a host. Only parses flags,
// calls runtime/ and prints.

const HELP = `Usage: bpfcompat select --artifact-name NAME (--site DIR|URL | --history H) (--host FILE | --kernel-release R)
                        [--version V] [--prefer v1,v2,…] [--require verified] [--deny-class CODE]…
                        [--trusted-key PUB]… [--require-signed] [--json]

Picks, for one host, the variant of an artifact with the strongest evidence, newest version first:
  verified   the variant passed on a booted kernel with the host's release (and image sha256 when --host knows it)
  predicted  no such kernel was booted, but every program type, map type and helper it uses, and every root cause
             it failed on elsewhere, is supported in the host's profile (--host; see docs/runtime.md for what this
             does and does not promise)
  none       no candidate qualifies
Within a version a verified candidate beats a predicted one, then --prefer order. The decision trace lists every
candidate and why it was or was not taken. Nothing is loaded on the host.

${SELECT_FLAGS_HELP}

Exit codes: 0 a variant was chosen · 2 none qualifies · 1 usage error, unreadable or refused evidence.`;

export const selectVerb: Verb = {
  name: 'select',
  summary: 'pick the artifact variant with evidence for a host (verified, predicted or none)',
  help: HELP,
  async run(argv) {
    const { values } = parseFlags('select', argv, SELECT_FLAGS);
    const { selection } = await decide(values, 'select');
    process.stdout.write((values.json ? JSON.stringify(selection, null, 2) : decisionText(selection)) + '\n');
    return selection.evidence === 'none' ? 2 : 0;
  },
};
