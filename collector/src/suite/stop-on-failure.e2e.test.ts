// End to end in a real VM: `bpfcompat suite --stop-on-failure` with one guest at a time stops after the first
// boot that holds a required failure; the other kernel never boots and its targets are listed as not run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { SuiteSummary } from './summary.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-stop-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('--stop-on-failure starts no further boot after a required failure and reports what did not run', { timeout: 300_000 }, () => {
  writeFileSync(join(dir, 'two.yaml'), `name: two
profiles:
  - { id: debian-11, kernel: { debian: { suite: bullseye, flavour: cloud-amd64 } } }
  - { id: debian-12, kernel: { debian: { suite: bookworm, flavour: cloud-amd64 } } }
`);
  writeFileSync(join(dir, 'suite.yaml'), `name: stop
defaults: { matrix: two.yaml, report_dir: reports, timeout: 60s }
cases:
  - { name: fails, command: "exit 3" }
  - { name: passes, command: "true" }
`);
  const r = spawnSync(process.execPath, [join(ROOT, 'collector/bin/bpfcompat.js'), 'suite', '--suite', join(dir, 'suite.yaml'), '--stop-on-failure', '--jobs', '1',
    '--out', join(dir, 'summary.json'), '--markdown', join(dir, 'summary.md'), '--no-history', '--quiet', '--workdir', join(dir, 'work')], { encoding: 'utf8', cwd: dir });
  assert.equal(r.status, 2, r.stderr);
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as SuiteSummary;
  assert.equal(s.boots, 1, 'the second kernel never booted');
  assert.equal(s.not_run, 2);
  const byName = Object.fromEntries(s.cases.map((c) => [c.name, c]));
  // Whichever kernel booted first (longest first, from remembered timings), the other one did not run.
  const ran = byName.fails!.targets.find((t) => t.status === 'fail')!.profile_id;
  const skipped = ran === 'debian-11' ? 'debian-12' : 'debian-11';
  assert.deepEqual(byName.fails!.not_run, [skipped]);
  assert.deepEqual(byName.passes!.not_run, [skipped]);
  assert.equal(byName.fails!.status, 'fail');
  assert.equal(byName.passes!.status, 'not_run', 'passed where it ran, but not complete');
  assert.deepEqual(byName.passes!.targets.map((t) => `${t.profile_id}:${t.status}`).sort(), [`${ran}:pass`, `${skipped}:not_run`].sort());
  assert.match(r.stderr, /stopped after the first required failure, 2 target\(s\) not run/);
  const md = readFileSync(join(dir, 'summary.md'), 'utf8');
  assert.match(md, /Stopped after the first required failure \(--stop-on-failure\): \*\*2 target\(s\) not run\*\*/);
  assert.match(md, new RegExp(`\\| ${skipped} \\| not run \\| not run \\|`));
  assert.match(md, new RegExp(`\\| ${ran} \\([^)]+\\) \\| fail COMMAND_VALIDATION_FAILURE \\| pass \\|`));
});
