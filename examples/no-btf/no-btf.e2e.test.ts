// End to end on a kernel without BTF (built once by examples/no-btf/build-kernel.sh, `make kernel-nobtf`):
// the CO-RE example fails with MISSING_BTF naming the relocation, an object without CO-RE still passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { Report } from '../../history/vocabulary/report-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-nobtf-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// Cached after the first build; the script prints the bzImage path (and builds it when missing).
const image = execFileSync('examples/no-btf/build-kernel.sh', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const matrix = join(dir, 'matrix.yaml');
writeFileSync(matrix, `name: no-btf\nprofiles:\n  - id: nobtf-6.1\n    kernel: { file: { image: ${JSON.stringify(image)} } }\n`);

function run(object: string): { report: Report; md: string; status: number | null } {
  const name = object.replace(/\W/g, '_');
  const out = join(dir, `${name}.json`);
  const md = join(dir, `${name}.md`);
  const r = spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'test', '--artifact', object, '--matrix', matrix, '--out', out, '--markdown', md, '--no-history', '--quiet', '--workdir', join(dir, 'work')], { encoding: 'utf8' });
  return { report: Report.parse(JSON.parse(readFileSync(out, 'utf8'))), md: readFileSync(md, 'utf8'), status: r.status };
}

test('the CO-RE example fails with MISSING_BTF on a kernel built without BTF', { timeout: 300_000 }, () => {
  const { report, md, status } = run('build/examples/core_field_renamed.bpf.o');
  const t = report.targets[0]!;
  assert.equal(t.status, 'fail', t.infra_error ?? t.classification_reason);
  assert.equal(status, 2);
  assert.equal(t.btf.kernel_btf_available, false);
  assert.equal(t.btf.artifact_has_btf_ext, true);
  assert.equal(t.classification_code, 'MISSING_BTF');
  assert.equal(t.classification_confidence, 'high');
  assert.deepEqual(t.root_cause, { kind: 'btf', name: 'vmlinux', program: 'record_state', type: 'task_struct', field: '__state' });
  assert.ok(md.includes('MISSING\\_BTF'));
  assert.ok(md.includes('fails on every kernel of this matrix'));
});

test('an object without CO-RE loads and attaches on the same kernel: no BTF is not a failure by itself', { timeout: 300_000 }, () => {
  const { report, status } = run('build/examples/pass_everywhere.bpf.o');
  const t = report.targets[0]!;
  assert.equal(t.status, 'pass', t.infra_error ?? t.classification_reason);
  assert.equal(status, 0);
  assert.equal(t.btf.kernel_btf_available, false);
});
