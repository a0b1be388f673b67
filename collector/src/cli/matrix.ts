import { stringify } from 'yaml';
import type { Verb } from './verb.ts';
import { parseFlags } from './args.ts';
import { BpfcompatError, usageError } from '../../../history/vocabulary/errors.ts';
import { importReferenceMatrix } from '../config/reference-matrix.ts';
import { writeFileAtomic } from '../infra/fs.ts';

const HELP = `Usage: bpfcompat matrix import PROFILES_DIR MATRIX.yaml [--out bpfcompat-matrix.yaml] [--json]

Converts the reference tool's matrix (a list of profile ids) and its kernel profiles (PROFILES_DIR/<id>.yaml,
usually vm/profiles) into one bpfcompat matrix, where that can be done faithfully:
  install_kernel + kernel_packages (Debian/Ubuntu .deb, RHEL-family .rpm)  → kernel: { deb | rpm } (direct boot)
  a cloud image with image.local_path                                      → image: { path } (disk-image lane)
required, timeout, arch and boot.memory_mb/cpus carry over. Every profile that cannot be converted is named on
stderr with the reason (other runners, images known only by URL, install_kernel without packages …).

  --out FILE   write the matrix there (atomically); default: print it on stdout
  --json       print {"converted", "skipped": [{id, reason}], "notes"} on stdout instead of the YAML

Exit codes: 0 at least one profile converted · 1 usage error, unreadable input, or nothing convertible.`;

export const matrixVerb: Verb = {
  name: 'matrix',
  summary: "import the reference tool's matrix and profiles",
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'import') throw usageError(sub === undefined ? 'matrix: a subcommand is required' : `matrix: unknown subcommand '${sub}'`, 'the only one is: bpfcompat matrix import PROFILES_DIR MATRIX.yaml');
    const { values, positionals } = parseFlags('matrix import', rest, { out: { type: 'string' }, json: { type: 'boolean' } }, { positionals: 2 });
    if (positionals.length !== 2) throw usageError('matrix import: PROFILES_DIR and MATRIX.yaml are required', "run 'bpfcompat matrix import --help'");
    const r = await importReferenceMatrix(positionals[0]!, positionals[1]!);
    if (r.converted.length === 0) {
      throw new BpfcompatError('CONFIG_INVALID', `matrix import: no profile of ${positionals[1]} could be converted (${r.skipped.map((s) => `${s.id}: ${s.reason}`).join('; ')})`, { hint: 'see bpfcompat matrix import --help for what converts' });
    }
    const yaml = `# Imported by bpfcompat matrix import from ${positionals[1]} and ${positionals[0]}\n${stringify(r.matrix, { lineWidth: 0 })}`;
    if (values.out) await writeFileAtomic(values.out, yaml);
    if (values.json) process.stdout.write(JSON.stringify({ converted: r.converted, skipped: r.skipped, notes: r.notes }, null, 2) + '\n');
    else if (!values.out) process.stdout.write(yaml);
    for (const s of r.skipped) process.stderr.write(`bpfcompat: not converted: ${s.id}: ${s.reason}\n`);
    for (const n of r.notes) process.stderr.write(`bpfcompat: note: ${n}\n`);
    process.stderr.write(`bpfcompat: ${r.converted.length} of ${r.converted.length + r.skipped.length} profiles converted${values.out ? ` into ${values.out}` : ''}\n`);
    return 0;
  },
};
