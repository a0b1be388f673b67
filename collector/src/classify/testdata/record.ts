// Records real validator evidence from real kernels as classifier fixtures.
// Usage: node collector/src/classify/testdata/record.ts   (boots the examples on matrices/debian.yaml; ~1 min)
// Writes <example>--<profile>.json (the validator's JSON, unmodified) beside this file.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..');
const cases = [
  { name: 'bpf-loop', object: 'build/examples/bpf_loop.bpf.o', manifest: null },
  { name: 'missing-kprobe', object: 'build/examples/missing_kprobe.bpf.o', manifest: 'examples/missing-kprobe/manifest.yaml' },
  { name: 'pass-everywhere', object: 'build/examples/pass_everywhere.bpf.o', manifest: null },
];
const work = mkdtempSync(join(tmpdir(), 'bpfcompat-record-'));
for (const c of cases) {
  const out = join(work, `${c.name}.json`);
  const args = [join(root, 'collector/bin/bpfcompat.js'), 'test', '--artifact', c.object, '--matrix', 'matrices/debian.yaml', '--out', out, '--no-history', '--quiet', '--workdir', join(work, 'w')];
  if (c.manifest) args.push('--manifest', c.manifest);
  spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  const report = JSON.parse(readFileSync(out, 'utf8')) as { targets: Array<{ profile_id: string; evidence: { validator_result: string | null } }> };
  for (const t of report.targets) {
    if (!t.evidence.validator_result) continue;
    copyFileSync(t.evidence.validator_result, join(here, `${c.name}--${t.profile_id}.json`));
    console.log(`recorded ${c.name}--${t.profile_id}.json`);
  }
}
rmSync(work, { recursive: true, force: true });
