// End to end: the shipped examples on the five Debian kernels, in real VMs, against examples/expected.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { Report } from '../history/vocabulary/report-schema.ts';

interface ExpectedFailure {
  stage: string;
  code: string;
  confidence: string;
  program?: string;
  root_cause: Record<string, unknown>;
  reason_contains?: string;
}
const expected = parse(readFileSync('examples/expected.yaml', 'utf8')) as {
  examples: Record<string, { object: string; manifest?: string; verdicts: Record<string, string>; failure?: ExpectedFailure; works_from?: string | null }>;
};
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-examples-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

for (const [name, ex] of Object.entries(expected.examples)) {
  test(`example ${name} gets its expected verdict on every Debian kernel`, { timeout: 600_000 }, () => {
    assert.ok(existsSync(ex.object), `${ex.object} is built by 'make examples'`);
    const out = join(dir, `${name}.json`);
    const md = join(dir, `${name}.md`);
    const junit = join(dir, `${name}.xml`);
    // An example with a manifest is recorded in a history of its own (nothing to reuse), which must then verify:
    // the stored manifest text is the one its key is the hash of.
    const history = ex.manifest ? join(dir, `${name}.sqlite`) : null;
    const args = ['collector/bin/bpfcompat.js', 'test', '--artifact', ex.object, '--matrix', 'matrices/debian.yaml', '--out', out, '--markdown', md, '--junit', junit,
      ...(history ? ['--history', history] : ['--no-history']), '--quiet', '--workdir', join(dir, 'work')];
    if (ex.manifest) args.push('--manifest', ex.manifest);
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (history) {
      assert.doesNotMatch(r.stderr + r.stdout, /history not updated/);
      const verify = spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'history', 'verify', '--history', history], { encoding: 'utf8' });
      assert.equal(verify.status, 0, `history verify: ${verify.stdout}${verify.stderr}`);
      assert.match(verify.stdout, /^ok: .*manifests=1 /m);
    }
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
      const f = ex.failure!;
      assert.equal(t.failed_stage, f.stage);
      assert.equal(t.classification_code, f.code, `${t.profile_id}: ${t.classification_reason}`);
      assert.equal(t.classification_confidence, f.confidence, t.profile_id);
      if (f.program) assert.ok(t.classification_reason.includes(f.program), `reason names the program: ${t.classification_reason}`);
      if (f.reason_contains) assert.ok(t.classification_reason.includes(f.reason_contains), t.classification_reason);
      assert.ok(t.root_cause, `${t.profile_id} names a root cause`);
      for (const [k, v] of Object.entries(f.root_cause)) assert.equal((t.root_cause as Record<string, unknown>)[k], v, `${t.profile_id} root_cause.${k}`);
      assert.ok(t.remediation.length > 0);
    }
    const markdown = readFileSync(md, 'utf8');
    for (const t of report.targets) assert.ok(markdown.includes(t.kernel.release), 'Markdown lists every kernel');
    // across the matrix: every failing program with its root cause and the first kernel from which it works
    const across = report.programs_across ?? [];
    if (!anyFail) assert.deepEqual(across, []);
    for (const p of across) {
      const first = p.works_from?.profile_id ?? null;
      assert.equal(first, ex.works_from ?? null, `${p.program} works from`);
      assert.deepEqual(p.failing.map((x) => x.profile_id), Object.keys(ex.verdicts).filter((k) => ex.verdicts[k] === 'fail'));
      assert.equal(p.code, ex.failure!.code);
      assert.ok(p.remediation.length > 0);
      const release = report.targets.find((t) => t.profile_id === first)?.kernel.release;
      assert.ok(markdown.includes(release ? `works from ${release} in this matrix` : 'fails on every kernel of this matrix'), `Markdown states where ${p.program} works`);
    }
    if (anyFail) {
      assert.ok(across.length > 0, 'programs_across lists the failing program');
      assert.ok(markdown.includes('## Programs across the matrix'));
      assert.ok(markdown.includes(`- Root cause: `), 'Markdown names the root cause per target');
    }
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
  assert.ok(md.includes('Verifier log of <bdi>loop\\_on\\_execve</bdi>'));
});
