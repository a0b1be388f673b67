// End to end, one real boot: test --screen screens the kernel first, boots it anyway and names the disagreement
// where the screen assumed what only the boot decides (here the verifier rejects an unchecked map access).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Report } from '../../../history/vocabulary/report-schema.ts';

test('test --screen prints the prediction, boots, and prints where the screen and the boot disagree', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-test-screen-'));
  try {
    const out = join(dir, 'r.json');
    const r = spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'test', '--artifact', 'build/examples/verifier_rejection.bpf.o', '--matrix', 'matrices/debian.yaml',
      '--profile', 'debian-12', '--screen', '--no-history', '--jobs', '1', '--quiet', '--out', out, '--workdir', join(dir, 'wd')], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /screen \(predicted, not booted\): 1 pass, 0 fail, 0 unknown/);
    assert.match(r.stderr, /screen disagrees: debian-12: screen predicted pass, the boot says fail \(VERIFIER_REJECTION\)/);
    const report = Report.parse(JSON.parse(readFileSync(out, 'utf8')));
    assert.equal(report.targets[0]!.status, 'fail');
    assert.doesNotMatch(readFileSync(out, 'utf8'), /predicted/, 'predictions are not part of the report');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
