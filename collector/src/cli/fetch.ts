import { join } from 'node:path';
import { usageError } from '../../../history/vocabulary/errors.ts';
import { objectBytes } from '../runtime/object-source.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { parseFlags } from './args.ts';
import { decide, decisionText, SELECT_FLAGS, SELECT_FLAGS_HELP } from './select-flags.ts';
import type { Verb } from './verb.ts';

// `bpfcompat fetch`: select, then write the chosen object, verified by sha256 against the evidence. Only parses
// flags, calls runtime/ and writes the one file.

const HELP = `Usage: bpfcompat fetch --out-dir DIR (select's flags)

Decides as 'bpfcompat select' does, then writes the chosen object to DIR/<name>-<version>[-<variant>].bpf.o. The
object is read from the site's /artifacts/<sha256>.bpf.o (published by site build --with-artifacts), else from the
URL recorded with test --artifact-uri (also from --history), and written only when its sha256 is the one the
evidence names (and, with --trusted-key, the one the site's signed manifest lists). It is written atomically; when anything is refused, nothing is written. It is never loaded.

  --out-dir DIR           where to write the object                                          (required)
${SELECT_FLAGS_HELP}

Exit codes: 0 written · 2 no variant qualifies (nothing written) · 1 usage error, or refused evidence or object (nothing written).`;

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

export const fetchVerb: Verb = {
  name: 'fetch',
  summary: 'select, then write the chosen object verified by sha256 (never loads it)',
  help: HELP,
  async run(argv) {
    const { values } = parseFlags('fetch', argv, { ...SELECT_FLAGS, 'out-dir': { type: 'string' } });
    if (!values['out-dir']) throw usageError('fetch: --out-dir DIR is required', "run 'bpfcompat fetch --help'");
    const { source, selection } = await decide(values, 'fetch');
    if (selection.evidence === 'none' || selection.artifact_sha256 === null) {
      process.stdout.write((values.json ? JSON.stringify({ ...selection, path: null }, null, 2) : decisionText(selection)) + '\n');
      return 2;
    }
    const sha = selection.artifact_sha256;
    const variant = source.evidence.versions.find((v) => v.version === selection.version)?.variants.find((v) => v.artifact_sha256 === sha && v.variant === selection.variant);
    const { bytes } = await objectBytes(source, sha, variant?.artifact_uri ?? null);
    const path = join(values['out-dir'], `${safe(selection.artifact)}-${safe(selection.version!)}${selection.variant ? `-${safe(selection.variant)}` : ''}.bpf.o`);
    await writeFileAtomic(path, bytes);
    process.stdout.write((values.json ? JSON.stringify({ ...selection, path }, null, 2) : `${decisionText(selection)}\nwrote ${path} (sha256 ${sha})`) + '\n');
    return 0;
  },
};
