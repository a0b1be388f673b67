// Records real validator evidence from real kernels as classifier fixtures.
// Usage: node collector/src/classify/testdata/record.ts [example ...]
//   Boots every example of examples/expected.yaml (or the named ones) on matrices/debian.yaml (~15 s each) and
//   writes <example>--<profile>.json (the validator's JSON, unmodified) beside this file. Needs `make validator examples`.
//   Then review and refresh the golden file: UPDATE_GOLDEN=1 node --test collector/src/classify/classify.test.ts
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..');
const expected = parse(readFileSync(join(root, 'examples', 'expected.yaml'), 'utf8')) as { examples: Record<string, { object: string; manifest?: string }> };
const only = process.argv.slice(2);
const cases = Object.entries(expected.examples).filter(([name]) => only.length === 0 || only.includes(name));
const work = mkdtempSync(join(tmpdir(), 'bpfcompat-record-'));
try {
  for (const [name, ex] of cases) {
    const out = join(work, `${name}.json`);
    const args = [join(root, 'collector/bin/bpfcompat.js'), 'test', '--artifact', ex.object, '--matrix', 'matrices/debian.yaml', '--out', out, '--no-history', '--quiet', '--workdir', join(work, 'w')];
    if (ex.manifest) args.push('--manifest', ex.manifest);
    spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
    const report = JSON.parse(readFileSync(out, 'utf8')) as { targets: Array<{ profile_id: string; evidence: { validator_result: string | null } }> };
    for (const t of report.targets) {
      if (!t.evidence.validator_result) {
        console.error(`${name} on ${t.profile_id}: no validator result (infra error?), not recorded`);
        continue;
      }
      copyFileSync(t.evidence.validator_result, join(here, `${name}--${t.profile_id}.json`));
      console.log(`recorded ${name}--${t.profile_id}.json`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
