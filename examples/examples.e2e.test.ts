// End to end: the shipped examples on the five Debian kernels, in real VMs, against examples/expected.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { Report } from '../collector/src/report/schema.ts';

const expected = parse(readFileSync('examples/expected.yaml', 'utf8')) as {
  examples: Record<string, { object: string; manifest?: string; verdicts: Record<string, string>; failure?: { stage: string; code?: string; program: string } }>;
};
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-examples-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

for (const [name, ex] of Object.entries(expected.examples)) {
  test(`example ${name} gets its expected verdict on every Debian kernel`, { timeout: 600_000 }, () => {
    assert.ok(existsSync(ex.object), `${ex.object} is built by 'make examples'`);
    const out = join(dir, `${name}.json`);
    const md = join(dir, `${name}.md`);
    const junit = join(dir, `${name}.xml`);
    const args = ['collector/bin/bpfcompat.js', 'test', '--artifact', ex.object, '--matrix', 'matrices/debian.yaml', '--out', out, '--markdown', md, '--junit', junit, '--no-history', '--quiet', '--workdir', join(dir, 'work')];
    if (ex.manifest) args.push('--manifest', ex.manifest);
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    const report = Report.parse(JSON.parse(readFileSync(out, 'utf8')));
    const infra = report.targets.filter((t) => t.status === 'infra_error');
    assert.deepEqual(infra.map((t) => `${t.profile_id}: ${t.infra_error}`), [], 'no infrastructure errors');
    const got = Object.fromEntries(report.targets.map((t) => [t.profile_id, t.status]));
    assert.deepEqual(got, ex.verdicts);
    const anyFail = Object.values(ex.verdicts).includes('fail');
    assert.equal(r.status, anyFail ? 2 : 0, `exit code (stderr: ${r.stderr})`);
    for (const t of report.targets) {
      assert.equal(t.vm.accel, 'tcg');
      assert.ok(t.kernel.sha256.match(/^[0-9a-f]{64}$/));
      if (t.status === 'pass') {
        assert.equal(t.validation.load_status, 'pass');
        assert.ok(t.programs.every((p) => p.load === 'pass'));
        continue;
      }
      assert.equal(t.failed_stage, ex.failure!.stage);
      if (ex.failure!.code) assert.equal(t.classification_code, ex.failure!.code);
      assert.ok(t.classification_reason.includes(ex.failure!.program), `reason names the program: ${t.classification_reason}`);
      assert.ok(t.remediation.length > 0);
    }
    const markdown = readFileSync(md, 'utf8');
    for (const t of report.targets) assert.ok(markdown.includes(t.kernel.release), 'Markdown lists every kernel');
    const xml = readFileSync(junit, 'utf8');
    assert.equal((xml.match(/<testcase /g) ?? []).length, 5);
    execFileSync('xmllint', ['--noout', junit]);
  });
}

test('the bpf_loop rejection on 5.10 carries the verifier log in JSON and Markdown', () => {
  const report = Report.parse(JSON.parse(readFileSync(join(dir, 'bpf-loop.json'), 'utf8')));
  const t = report.targets.find((x) => x.profile_id === 'debian-11')!;
  assert.match(t.kernel.release, /^5\.10\./);
  const p = t.programs.find((x) => x.name === 'loop_on_execve')!;
  assert.equal(p.load, 'fail');
  assert.ok(p.helpers.includes(181), 'bpf_loop (181) is among the helpers the program calls');
  assert.match(p.verifier_log_tail, /func_info|unknown func|invalid func/);
  const md = readFileSync(join(dir, 'bpf-loop.md'), 'utf8');
  assert.ok(md.includes('Verifier log of loop\\_on\\_execve'));
});
