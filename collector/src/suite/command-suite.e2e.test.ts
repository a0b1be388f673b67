// End to end on the Debian matrix, in real VMs: Debian's libbpf-tools (execsnoop) in command mode, and one
// suite holding the shipped examples, xdp-tools' xdp-loader, a failing command and a case that crashes the
// guest — all cases for a kernel in one boot, the crashing one retried alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { Report } from '../../../history/vocabulary/report-schema.ts';
import type { SuiteSummary } from './summary.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-cmd-suite-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'collector/bin/bpfcompat.js'), ...args], { encoding: 'utf8', cwd: dir });
const PROFILES = ['debian-11', 'debian-12', 'debian-13', 'debian-13-backports', 'debian-sid'];

test("libbpf-tools' execsnoop runs unmodified in command mode on every Debian kernel, and goes to history", { timeout: 600_000 }, () => {
  const out = join(dir, 'execsnoop.json');
  const hist = join(dir, 'h.sqlite');
  // execsnoop stops on SIGINT (it flushes then); something execs `ls` while it runs.
  const cmd = '(sleep 3; ls / >/dev/null) & timeout -s INT 10 "$BPFCOMPAT_BIN" > "$BPFCOMPAT_REMOTE_ROOT/ex.txt"; cat "$BPFCOMPAT_REMOTE_ROOT/ex.txt"; grep -qw ls "$BPFCOMPAT_REMOTE_ROOT/ex.txt"';
  const args = ['test-command', '--cmd', cmd, '--bin', '/usr/sbin/execsnoop', '--matrix', 'debian', '--out', out, '--history', hist, '--quiet', '--workdir', join(dir, 'work')];
  const r = cli(...args);
  const report = Report.parse(JSON.parse(readFileSync(out, 'utf8')));
  assert.deepEqual(report.targets.map((t) => `${t.profile_id}:${t.status}${t.infra_error ? ` ${t.infra_error}` : ''}`), PROFILES.map((p) => `${p}:pass`), r.stderr);
  assert.equal(r.status, 0);
  assert.equal(report.mode, 'command');
  assert.equal(report.validation_mode, 'command');
  assert.equal(report.artifact.identity, 'command://execsnoop');
  assert.equal(report.command!.binary!.basename, 'execsnoop');
  for (const t of report.targets) {
    assert.equal(t.validation.load_status, 'skipped');
    const run = t.functional.tests[0]!;
    assert.equal(run.name, 'command');
    assert.match(String(run.stdout_tail), /PCOMM\s+PID/, 'execsnoop printed its header');
    assert.match(String(run.stdout_tail), /\bls\b/, 'and saw the exec');
  }
  // Identical inputs: every verdict comes from the history, nothing boots.
  const again = cli(...args);
  assert.equal(again.status, 0, again.stderr);
  const second = Report.parse(JSON.parse(readFileSync(out, 'utf8')));
  assert.equal(second.summary.reused, 5);
  assert.match(again.stderr, /history: run .* recorded/);
});

test('a suite runs every case for a kernel in one boot; a case that crashes the guest is retried alone', { timeout: 600_000 }, () => {
  for (const o of ['pass_everywhere', 'bpf_loop', 'missing_kprobe']) assert.ok(existsSync(join(ROOT, 'build/examples', `${o}.bpf.o`)), `make examples builds ${o}`);
  const xdp = join(dir, 'xdp_pass.bpf.o');
  const multiarch = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', `-I${join(ROOT, 'validator/build/libbpf/include')}`, `-I/usr/include/${multiarch}`, '-c', join(ROOT, 'collector/src/cli/testdata/xdp_pass.bpf.c'), '-o', xdp]);
  const suite = join(dir, 'suite.yaml');
  const ex = (p: string) => join(ROOT, p);
  writeFileSync(suite, `name: e2e
defaults: { matrix: ${ex('matrices/debian.yaml')}, report_dir: reports, timeout: 60s }
cases:
  - { name: pass-everywhere, artifact: ${ex('build/examples/pass_everywhere.bpf.o')} }
  - { name: bpf-loop, artifact: ${ex('build/examples/bpf_loop.bpf.o')} }
  - name: crash
    matrix: ${ex('matrices/dev-one.yaml')}
    command: echo c > /proc/sysrq-trigger
  - { name: missing-kprobe, artifact: ${ex('build/examples/missing_kprobe.bpf.o')}, manifest: ${ex('examples/missing-kprobe/manifest.yaml')} }
  - name: xdp-loader
    artifact: xdp_pass.bpf.o
    guest_tools: [xdp-loader]
    command: xdp-loader load -m skb lo "$BPFCOMPAT_ARTIFACT" && xdp-loader status lo | grep -q xdp_pass_all
  - { name: exits-3, command: "exit 3" }
`);
  const r = cli('suite', '--suite', suite, '--out', join(dir, 'summary.json'), '--markdown', join(dir, 'summary.md'), '--no-history', '--quiet', '--workdir', join(dir, 'work'), '--jobs', '2');
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as SuiteSummary;
  assert.equal(s.schema_version, 'bpfcompat_suite.v0.1');
  const verdict = (name: string) => Object.fromEntries(s.cases.find((c) => c.name === name)!.targets.map((t) => [t.profile_id, t.status]));
  const expected = parse(readFileSync(join(ROOT, 'examples/expected.yaml'), 'utf8')) as { examples: Record<string, { verdicts: Record<string, string> }> };
  for (const name of ['pass-everywhere', 'bpf-loop', 'missing-kprobe']) assert.deepEqual(verdict(name), expected.examples[name]!.verdicts, name);
  assert.deepEqual(verdict('xdp-loader'), Object.fromEntries(PROFILES.map((p) => [p, 'pass'])), 'xdp-tools loads through libxdp everywhere');
  assert.deepEqual(verdict('exits-3'), Object.fromEntries(PROFILES.map((p) => [p, 'fail'])));
  assert.ok(s.cases.find((c) => c.name === 'exits-3')!.targets.every((t) => t.classification_code === 'COMMAND_VALIDATION_FAILURE'));
  assert.deepEqual(verdict('crash'), { 'debian-12': 'infra_error' }, 'the crashing case has no verdict');
  // 5 kernels, plus the crash retried alone and the cases after it on debian-12 in a fresh boot.
  assert.equal(s.boots, 7);
  assert.equal(s.retries, 1);
  assert.equal(s.status, 'error');
  assert.equal(r.status, 1, r.stderr);
  const crash = Report.parse(JSON.parse(readFileSync(join(dir, 'reports', 'crash.json'), 'utf8')));
  assert.match(crash.targets[0]!.infra_error!, /panic|channel|stopped/);
  const md = readFileSync(join(dir, 'summary.md'), 'utf8');
  assert.match(md, /\| Kernel \| pass-everywhere \| bpf-loop \| crash \| missing-kprobe \| xdp-loader \| exits-3 \|/);
  assert.match(md, /\| debian-12 \([^)]+\) \| pass \| pass \| infra_error \| fail \S+ \| pass \| fail COMMAND_VALIDATION_FAILURE \|/);
});
