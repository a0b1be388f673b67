import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startTestSshd, type TestSshd } from './ssh/test-sshd.ts';

// The remote-host lane end to end against Debian's real sshd on 127.0.0.1: this machine is the "remote
// host", so the verdicts are this kernel's. Everything goes through the CLI, as a user would run it.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'collector', 'bin', 'bpfcompat.js');
const VALIDATOR = join(ROOT, 'validator', 'build', 'bpfcompat-validator');
const example = (name: string) => join(ROOT, 'build', 'examples', `${name}.bpf.o`);

let sshd: TestSshd;
let dir: string;
/** The profile's ssh.workdir: the scratch parent whose listing must be unchanged after every run. */
let scratchParent: string;

before(async () => {
  sshd = await startTestSshd();
  dir = await mkdtemp(join(tmpdir(), 'bpfcompat-ssh-lane-'));
  scratchParent = join(dir, 'remote-work');
  await mkdir(scratchParent);
  await writeFile(join(dir, 'client'), sshd.clientKey, { mode: 0o600 });
  await writeFile(join(dir, 'stranger'), sshd.strangerKey, { mode: 0o600 });
});

after(async () => {
  await sshd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Profile { port?: number; key?: string; hostKey?: string }
let n = 0;

async function matrix(p: Profile = {}): Promise<string> {
  const file = join(dir, `m${n++}.yaml`);
  const ssh = { host: '127.0.0.1', port: p.port ?? sshd.port, user: 'root', key: join(dir, p.key ?? 'client'), host_key: p.hostKey ?? sshd.hostKey, workdir: scratchParent };
  await writeFile(file, `name: remote-test\nprofiles:\n  - id: this-host\n    ssh: ${JSON.stringify(ssh)}\n`);
  return file;
}

interface Run { code: number; report: { targets: Array<Record<string, any>> } }

async function cli(args: string[], m: string): Promise<Run> {
  const out = join(dir, `r${n++}.json`);
  const code = await new Promise<number>((resolve) => {
    execFile(process.execPath, [CLI, ...args, '--matrix', m, '--out', out, '--no-history', '--quiet', '--workdir', join(dir, 'wd')], (err) => resolve(err ? (typeof err.code === 'number' ? err.code : 99) : 0));
  });
  return { code, report: JSON.parse(await readFile(out, 'utf8')) };
}

/** Runs a lane test and checks the scratch parent holds exactly what it held before (the scratch dir is gone). */
async function withScratchCheck<T>(fn: () => Promise<T>): Promise<T> {
  const before = (await readdir(scratchParent)).sort();
  const r = await fn();
  assert.deepEqual((await readdir(scratchParent)).sort(), before, 'the scratch directory was removed');
  return r;
}

async function validatorDirect(obj: string): Promise<{ load: string }> {
  const out = join(dir, `direct${n++}.json`);
  await new Promise<void>((resolve) => execFile(VALIDATOR, ['--artifact', obj, '--out', out, '--attach-mode', 'best-effort'], () => resolve()));
  const v = JSON.parse(await readFile(out, 'utf8'));
  return { load: v.load.status };
}

test('remote lane: pass_everywhere passes on this host, with the host\'s kernel in the report', async () => {
  const r = await withScratchCheck(async () => cli(['test', '--artifact', example('pass_everywhere')], await matrix()));
  const t = r.report.targets[0]!;
  assert.equal(t.status, 'pass', t.infra_error ?? '');
  assert.equal(r.code, 0);
  const release = await new Promise<string>((res) => execFile('uname', ['-r'], (_e, so) => res(so.trim())));
  assert.equal(t.kernel.release, release);
  assert.deepEqual(t.kernel.source, { kind: 'ssh', host: '127.0.0.1', port: sshd.port });
  assert.match(t.kernel.sha256, /^[0-9a-f]{64}$/);
  assert.equal(t.vm.accel, 'none');
  assert.equal(t.validation.load_status, 'pass');
});

test('remote lane: bpf_loop gets a real verdict, the same load status as the validator run directly', async () => {
  const r = await withScratchCheck(async () => cli(['test', '--artifact', example('bpf_loop')], await matrix()));
  const t = r.report.targets[0]!;
  assert.notEqual(t.status, 'infra_error', t.infra_error ?? '');
  assert.equal(t.validation.load_status, (await validatorDirect(example('bpf_loop'))).load);
});

test('remote lane: command mode runs as root in the scratch dir with BPFCOMPAT_* set and quoting intact', async () => {
  // The command checks its environment itself; exit 7 names what was wrong.
  const cmd = [
    '[ "$(id -u)" = 0 ] || exit 7',
    `case "$BPFCOMPAT_REMOTE_ROOT" in ${scratchParent}/bpfcompat.*/bpfcompat/jobs/*) ;; *) exit 8 ;; esac`,
    'cmp -s "$BPFCOMPAT_ARTIFACT" "$BPFCOMPAT_REMOTE_ROOT/input/pass_everywhere.bpf.o" || exit 9',
    '[ -s "$BPFCOMPAT_ARTIFACT" ] || exit 10',
    `x='it'"'"'s $(not run)'; [ "$x" = "it's \\$(not run)" ] || exit 11`,
    'echo "remote-ok $x"',
  ].join('\n');
  const r = await withScratchCheck(async () => cli(['test-command', '--cmd', cmd, '--artifact', example('pass_everywhere')], await matrix()));
  const t = r.report.targets[0]!;
  assert.equal(t.status, 'pass', JSON.stringify({ infra: t.infra_error, notes: t.notes, reason: t.classification_reason }));
  assert.equal(r.code, 0);
});

test('remote lane: a command past its timeout is stopped (exit 124) and its scratch dir is still removed', async () => {
  const r = await withScratchCheck(async () => cli(['test-command', '--cmd', 'sleep 60', '--timeout', '2s'], await matrix()));
  const t = r.report.targets[0]!;
  assert.notEqual(t.status, 'pass');
  assert.match(JSON.stringify(t), /124|timed out|timeout/);
});

test('remote lane: a wrong host key is an infra error and no job runs', async () => {
  const marker = join(dir, 'ran-despite-mismatch');
  const r = await withScratchCheck(async () => cli(['test-command', '--cmd', `touch ${marker}`], await matrix({ hostKey: sshd.otherHostKey })));
  const t = r.report.targets[0]!;
  assert.equal(t.status, 'infra_error');
  assert.match(t.infra_error, /ssh_host_key_mismatch/);
  assert.equal(r.code, 1);
  assert.equal(existsSync(marker), false, 'the command ran on a host whose key did not match');
});

test('remote lane: a host key given as its fingerprint is checked too', async () => {
  const fp = await new Promise<string>((res) => execFile('ssh-keygen', ['-lf', join(sshd.dir, 'other-host.pub')], (_e, so) => res(so.split(/\s+/)[1]!)));
  const r = await cli(['test', '--artifact', example('pass_everywhere')], await matrix({ hostKey: fp }));
  assert.match(r.report.targets[0]!.infra_error, /ssh_host_key_mismatch/);
});

test('remote lane: a client key the host does not accept is ssh_auth_failed', async () => {
  const r = await withScratchCheck(async () => cli(['test', '--artifact', example('pass_everywhere')], await matrix({ key: 'stranger' })));
  const t = r.report.targets[0]!;
  assert.equal(t.status, 'infra_error');
  assert.match(t.infra_error, /ssh_auth_failed/);
});

test('remote lane: a closed port is ssh_unreachable', async () => {
  const r = await cli(['test', '--artifact', example('pass_everywhere')], await matrix({ port: await freePort() }));
  const t = r.report.targets[0]!;
  assert.equal(t.status, 'infra_error');
  assert.match(t.infra_error, /ssh_unreachable/);
  assert.equal(r.code, 1);
});

test('remote lane: a suite runs an object and a command case in one session, each with its own verdict', async () => {
  const m = await matrix();
  const suite = join(dir, 'suite.yaml');
  await writeFile(suite, [
    'name: remote-suite',
    `defaults: { matrix: ${JSON.stringify(m)}, report_dir: ${JSON.stringify(join(dir, 'suite-reports'))}, workdir: ${JSON.stringify(join(dir, 'wd'))}, timeout: 60s }`,
    'cases:',
    `  - { name: obj, artifact: ${JSON.stringify(example('pass_everywhere'))} }`,
    '  - { name: cmd, command: "exit 3", expect_exit: 3 }',
    '  - { name: cmd-fails, command: "exit 4" }',
    '',
  ].join('\n'));
  const out = join(dir, 'summary.json');
  const code = await withScratchCheck(() => new Promise<number>((resolve) => {
    execFile(process.execPath, [CLI, 'suite', '--suite', suite, '--out', out, '--no-history', '--quiet'], (err) => resolve(err ? (typeof err.code === 'number' ? err.code : 99) : 0));
  }));
  const summary = JSON.parse(await readFile(out, 'utf8'));
  const status = Object.fromEntries(summary.cases.map((c: { name: string; status: string }) => [c.name, c.status]));
  assert.deepEqual(status, { obj: 'pass', cmd: 'pass', 'cmd-fails': 'fail' });
  assert.equal(summary.boots, 1);
  assert.equal(code, 2);
});
