// End to end: the shell steps of action.yml, run locally with the action's inputs set (uses: steps such as
// actions/cache skipped), boot the one-kernel dev-one matrix: the outputs, the job summary and the exit code
// passthrough (0 pass, 2 the compatibility gate, 1 a usage error), free-text inputs reaching bpfcompat
// verbatim, and suite mode with a shard. Two real boots under TCG; the suite run reuses a stored verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runActionLocally, type ActionRun } from './action-steps.ts';
import { Report } from '../history/vocabulary/report-schema.ts';

const ACTION_DIR = resolve('.');
const root = mkdtempSync(join(tmpdir(), 'bpfcompat-action-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

// The caller's repository: objects and manifest at relative paths, as a workflow would check them out.
const ws = join(root, 'workspace');
mkdirSync(join(ws, 'bpf'), { recursive: true });
for (const o of ['pass_everywhere', 'missing_kprobe']) copyFileSync(`build/examples/${o}.bpf.o`, join(ws, 'bpf', `${o}.bpf.o`));
copyFileSync('examples/missing-kprobe/manifest.yaml', join(ws, 'bpf', 'missing-kprobe.yaml'));

let runs = 0;
function runAction(inputs: Record<string, string>): ActionRun {
  const tempDir = join(root, `runner-${runs++}`);
  mkdirSync(tempDir);
  return runActionLocally({ actionDir: ACTION_DIR, workspace: ws, tempDir, inputs });
}

const stepNames = (r: ActionRun, skipped: boolean) => r.steps.filter((s) => s.skipped === skipped).map((s) => s.name);
const HOSTILE = `it's "$(touch pwned)" \`id\`; $HOME`;

test('a passing object: exit 0, outputs, job summary, reports at the workspace paths', { timeout: 600_000 }, () => {
  const r = runAction({ artifact: 'bpf/pass_everywhere.bpf.o', matrix: 'dev-one', history: 'history.sqlite', junit: 'reports/junit.xml', 'artifact-name': HOSTILE, 'artifact-version': 'v1.2.3' });
  const last = r.steps.at(-1)!;
  assert.equal(r.exitCode, 0, `${last.name}: ${last.stderr.slice(-2000)}`);
  assert.deepEqual(stepNames(r, true), ['Cache kernels', "Cache the action's node_modules"], 'only uses: steps are skipped');
  assert.equal(stepNames(r, false).length, 4);
  assert.deepEqual(r.outputs, { status: 'pass', report: join(ws, 'reports', 'bpfcompat.json'), 'exit-code': '0' });
  const report = Report.parse(JSON.parse(readFileSync(r.outputs.report!, 'utf8')));
  assert.equal(report.summary.status, 'pass');
  assert.deepEqual(report.targets.map((t) => [t.profile_id, t.status]), [['debian-12', 'pass']]);
  assert.equal(report.artifact.name, HOSTILE, 'a free-text input reaches bpfcompat verbatim');
  assert.equal(report.artifact.version, 'v1.2.3');
  assert.ok(!existsSync(join(ws, 'pwned')) && !existsSync(join(ACTION_DIR, 'pwned')), 'no input is evaluated by the shell');
  assert.equal(report.run.ci?.provider, 'github-actions', 'bpfcompat sees it runs in GitHub Actions');
  assert.ok(existsSync(join(ws, 'reports', 'bpfcompat.md')), 'Markdown at the default path');
  assert.match(readFileSync(join(ws, 'reports', 'junit.xml'), 'utf8'), /<testcase /);
  assert.ok(existsSync(join(ws, 'history.sqlite')), 'history written where the input says');
  assert.match(r.summary, /^## bpfcompat compatibility gate: ✅ pass/m);
  assert.match(r.summary, /\| debian-12 \| 6\.1\.\S+ \| /);
});

test('a failing object: exit 2 passes through as the compatibility gate', { timeout: 600_000 }, () => {
  const r = runAction({ artifact: 'bpf/missing_kprobe.bpf.o', manifest: 'bpf/missing-kprobe.yaml', matrix: 'dev-one', markdown: '', concurrency: '1', 'keep-vm-on-failure': 'true', workdir: 'evidence' });
  assert.equal(r.exitCode, 2, r.steps.at(-1)!.stderr.slice(-2000));
  assert.equal(r.steps.at(-1)!.name, 'Run bpfcompat');
  assert.deepEqual(r.outputs, { status: 'fail', report: join(ws, 'reports', 'bpfcompat.json'), 'exit-code': '2' });
  const report = Report.parse(JSON.parse(readFileSync(r.outputs.report!, 'utf8')));
  assert.equal(report.targets[0]!.classification_code, 'ATTACH_TARGET_MISSING');
  // The reference's inputs: concurrency is --jobs, workdir the evidence directory, keep-vm-on-failure keeps the guest's initramfs.
  assert.equal(report.run.jobs, 1);
  const target = join(ws, 'evidence', 'runs', report.run.id, 'targets', 'debian-12');
  assert.ok(existsSync(join(target, 'console.log')) && existsSync(join(target, 'initrd.cpio')), target);
  assert.equal(report.paths.markdown, null, 'an empty markdown input writes no Markdown');
  assert.match(r.summary, /compatibility gate: ❌ fail/);
  assert.match(r.summary, /\| ATTACH_TARGET_MISSING \| 1 \|/);
});

test('no artifact, command or suite: exit 1 with status error, before anything boots', () => {
  const r = runAction({ matrix: 'dev-one' });
  assert.equal(r.exitCode, 1);
  assert.deepEqual(r.outputs, { status: 'error', report: '', 'exit-code': '1' });
  assert.match(r.steps.at(-1)!.stdout, /::error::bpfcompat: set one of the inputs artifact, command or suite/);
});

test('a bad shard value is bpfcompat\'s one-line usage error, passed through as exit 1', () => {
  const r = runAction({ artifact: 'bpf/pass_everywhere.bpf.o', matrix: 'dev-one', shard: '4/3' });
  assert.equal(r.exitCode, 1);
  assert.deepEqual(r.outputs, { status: 'error', report: '', 'exit-code': '1' });
  assert.match(r.steps.at(-1)!.stderr, /--shard 4\/3: the shard index must be between 1 and 3/);
});

test('suite mode with a shard: the suite summary goes to the job summary', { timeout: 600_000 }, () => {
  writeFileSync(join(ws, 'suite.yaml'), 'name: action-suite\ndefaults:\n  matrix: dev-one\n  report_dir: reports/cases\ncases:\n  - name: pass-everywhere\n    artifact: bpf/pass_everywhere.bpf.o\n');
  // The only target falls in shard 2/2; the history of the first test holds its verdict, so nothing boots.
  const r = runAction({ suite: 'suite.yaml', shard: '2/2', history: 'history.sqlite', artifact: 'ignored.bpf.o' });
  assert.equal(r.exitCode, 0, r.steps.at(-1)!.stderr.slice(-2000));
  assert.deepEqual(r.outputs, { status: 'pass', report: join(ws, 'reports', 'bpfcompat-suite.json'), 'exit-code': '0' });
  assert.match(r.steps.at(-1)!.stdout, /::warning::bpfcompat: suite mode ignores the artifact input/);
  const summary = JSON.parse(readFileSync(r.outputs.report!, 'utf8')) as { cases: Array<{ name: string; status: string; targets: Array<{ profile_id: string; reused: boolean }> }> };
  assert.deepEqual(summary.cases.map((c) => [c.name, c.status]), [['pass-everywhere', 'pass']]);
  assert.deepEqual(summary.cases[0]!.targets.map((t) => [t.profile_id, t.reused]), [['debian-12', true]]);
  assert.equal(r.summary, readFileSync(join(ws, 'reports', 'bpfcompat-suite.md'), 'utf8'), 'the suite Markdown is the job summary');
  // Shard 1/2 holds no target of this suite: nothing runs, the job still passes.
  const empty = runAction({ suite: 'suite.yaml', shard: '1/2' });
  assert.equal(empty.exitCode, 0, empty.steps.at(-1)!.stderr.slice(-2000));
  assert.equal(empty.outputs.status, 'pass');
});
