// Unit tests of command mode and suites: identity, verdicts, boot planning, the suite schema, the summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseYamlText } from '../config/load.ts';
import { Suite } from '../config/suite.ts';
import { commandIdentity, parseExpectExit, checkCommandText, inspectCommandBinary } from '../validation/command-spec.ts';
import { byteTail, targetFromCommand } from '../validation/command-target.ts';
import { planBoots, type BootItem } from '../validation/boot-plan.ts';
import { parseLoaderList, sharedLibraryClosure } from '../guest/closure.ts';
import { buildJobLayer } from '../guest/initramfs.ts';
import { matrixCell, renderSuiteMarkdown, suiteSummary } from './summary.ts';
import { sha256Hex } from '../../../history/vocabulary/hash.ts';
import { TargetReport } from '../../../history/vocabulary/report-schema.ts';
import { behaviorManifest } from './prepare.ts';

const tmp = mkdtempSync(join(tmpdir(), 'bpfcompat-suite-unit-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('command identity follows the reference rule and changes with every input', () => {
  const base = { command: '$BPFCOMPAT_BIN --self-test', expectExit: 0, binary: null, artifact: null };
  const id = commandIdentity(base);
  assert.equal(id.invocationSha256, sha256Hex('$BPFCOMPAT_BIN --self-test\0expected-exit=0'));
  assert.equal(id.sha256, sha256Hex(id.invocationSha256));
  assert.equal(id.identity, 'command://command');
  const bin = { path: '/x/loader', basename: 'loader', sha256: 'ab'.repeat(32), sizeBytes: 1 };
  const withBin = commandIdentity({ ...base, binary: bin });
  assert.equal(withBin.identity, 'command://loader');
  assert.equal(withBin.sha256, sha256Hex(`${id.invocationSha256}\0${bin.sha256}`));
  assert.notEqual(commandIdentity({ ...base, expectExit: 1 }).sha256, id.sha256);
  assert.notEqual(commandIdentity({ ...base, artifact: { path: 'a', basename: 'a', sha256: 'cd'.repeat(32), sizeBytes: 1 } }).sha256, id.sha256);
});

test('bad command-mode input is a one-line usage error naming the flag', async () => {
  assert.throws(() => checkCommandText('  ', '--cmd'), /--cmd: the command is empty/);
  assert.throws(() => parseExpectExit('256', '--expect-exit'), /--expect-exit must be an exit code between 0 and 255, got '256'/);
  assert.throws(() => parseExpectExit('-1', '--expect-exit'), /between 0 and 255/);
  assert.equal(parseExpectExit('124', '--expect-exit'), 124);
  await assert.rejects(inspectCommandBinary(join(tmp, 'nope'), '--bin'), /--bin .*nope: no such file/);
  const f = join(tmp, 'not-exec');
  writeFileSync(f, '#!/bin/sh\n');
  chmodSync(f, 0o644);
  await assert.rejects(inspectCommandBinary(f, '--bin'), /--bin .*not-exec: not executable/);
});

test('the CLI rejects bad command-mode and suite input with exit 1 and one line', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['collector/bin/bpfcompat.js', ...args], { encoding: 'utf8' });
  const cases: Array<[string[], RegExp]> = [
    [['test-command', '--cmd', '', '--matrix', 'debian', '--out', join(tmp, 'r.json')], /--cmd: the command is empty/],
    [['test-command', '--cmd', 'true', '--bin', join(tmp, 'missing-loader'), '--matrix', 'debian', '--out', join(tmp, 'r.json')], /--bin .*missing-loader: no such file/],
    [['test', '--command', 'true', '--command-expect-exit', '300', '--matrix', 'debian', '--out', join(tmp, 'r.json')], /--command-expect-exit must be an exit code between 0 and 255/],
    [['test', '--artifact', 'x.o', '--command-binary', '/bin/true', '--matrix', 'debian', '--out', join(tmp, 'r.json')], /--command-binary requires --command/],
  ];
  const dup = join(tmp, 'dup.yaml');
  writeFileSync(dup, 'name: s\ndefaults: { matrix: ../matrices/debian.yaml }\ncases:\n  - { name: a, command: "true" }\n  - { name: a, command: "false" }\n');
  cases.push([['suite', '--suite', dup], /dup\.yaml: cases\[1\]\.name: duplicate case name a/]);
  const missing = join(tmp, 'missing.yaml');
  writeFileSync(missing, `name: s\ndefaults: { matrix: ${join(process.cwd(), 'matrices/debian.yaml')} }\ncases:\n  - { name: gone, artifact: no-such.bpf.o }\n`);
  cases.push([['suite', '--suite', missing], /missing\.yaml: case gone: artifact .*no-such\.bpf\.o: no such file/]);
  for (const [args, re] of cases) {
    const r = run(...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
});

test('the suite schema rejects unknown keys and cases without artifact or command', () => {
  const parse = (text: string) => parseYamlText('s.yaml', text, Suite, 'see docs/suites.md');
  assert.throws(() => parse('name: s\ndefaults: { matrix: m.yaml }\ncases:\n  - { name: a, artifact: a.o, colour: red }\n'), /s\.yaml: cases\[0\]\.colour: unknown key/);
  assert.throws(() => parse('name: s\ndefaults: { matrix: m.yaml }\ncases:\n  - { name: a }\n'), /cases\[0\]: needs an artifact or a command/);
  assert.throws(() => parse('name: s\ncases:\n  - { name: a, artifact: a.o }\n'), /cases\[0\]\.matrix: missing/);
  assert.throws(() => parse('name: s\ndefaults: { matrix: m.yaml }\ncases:\n  - { name: a, command: x, manifest: m.yaml }\n'), /cases\[0\]\.manifest: does not apply to a command case/);
  const ok = parse('name: s\ndefaults: { matrix: m.yaml, guest_tools: [bpftool] }\ncases:\n  - { name: a, artifact: a.o, test: { mode: behavior, command: "true", expect: { event_contains: x } } }\n');
  assert.equal(ok.defaults.report_dir, 'reports/suites');
  const m = behaviorManifest(null, ok.cases[0]!);
  assert.equal(m.functional_tests[0]!.name, 'a-behavior');
  assert.equal(m.functional_tests[0]!.expect_stdout_contains, 'x', 'event_contains is an alias of stdout_contains');
});

test('reference suite keys that cannot apply are refused with a line naming the key and what to use', () => {
  const parse = (text: string) => parseYamlText('s.yaml', text, Suite, 'see docs/suites.md');
  const withCase = (extra: string) => parse(`name: s\ndefaults: { matrix: m.yaml }\ncases:\n  - { name: a, artifact: a.o, ${extra} }\n`);
  assert.throws(() => withCase('workdir: w'), /cases\[0\]\.workdir: not supported per case: .*defaults\.workdir or pass --workdir/);
  assert.throws(() => withCase('concurrency: 2'), /cases\[0\]\.concurrency: not supported per case: .*defaults\.concurrency or pass --jobs/);
  assert.throws(() => withCase('runner: firecracker'), /cases\[0\]\.runner: only vm is supported/);
  // What the reference means by them is what happens here anyway: accepted.
  const ok = parse('name: s\ndefaults: { matrix: m.yaml, runner: vm, concurrency: 2, workdir: w, keep_vm_on_failure: true }\ncases:\n  - { name: a, artifact: a.o, runner: vm, keep_vm_on_failure: true }\n');
  assert.equal(ok.defaults.concurrency, 2);
  // keep_vm_on_failure either way and artifact_uri (recorded in the report) are the reference's meaning here too.
  const kept = withCase('artifact_uri: "s3://b/a.o", keep_vm_on_failure: false');
  assert.equal(kept.cases[0]!.artifact_uri, 's3://b/a.o');
});

test('ld.so --list output becomes the closure; a missing library is named', async () => {
  const out = '\tlinux-vdso.so.1 (0x00007fff)\n\tlibelf.so.1 => /lib/x86_64-linux-gnu/libelf.so.1 (0x00007f00)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f11)\n';
  assert.deepEqual(parseLoaderList(out, 'x'), ['/lib/x86_64-linux-gnu/libelf.so.1', '/lib64/ld-linux-x86-64.so.2']);
  assert.throws(() => parseLoaderList('\tlibxdp.so.1 => not found\n', '/usr/sbin/tool'), /\/usr\/sbin\/tool: shared library libxdp\.so\.1 not found/);
  const bash = await sharedLibraryClosure('/usr/bin/bash');
  const paths = bash.map((c) => c.guestPath);
  assert.ok(paths.includes('/lib64/ld-linux-x86-64.so.2'), paths.join(' '));
  assert.ok(paths.some((p) => p.endsWith('/libc.so.6')));
  assert.ok(paths.some((p) => p.endsWith('/libtinfo.so.6')));
  assert.deepEqual(await sharedLibraryClosure('/bin/busybox'), [], 'a static binary needs nothing');
});

test('jobs of one boot may stage the same file; different contents at one path are refused', async () => {
  const f = { guestPath: '/usr/lib/x.so', data: 'same' };
  const layer = await buildJobLayer([
    { id: 'a', kind: 'command', command: 'true', files: [f], timeoutMs: 1000 },
    { id: 'b', kind: 'command', command: 'true', files: [f], timeoutMs: 1000 },
  ]);
  assert.equal(layer.toString('latin1').split('usr/lib/x.so').length - 1, 1, 'written once');
  await assert.rejects(buildJobLayer([
    { id: 'a', kind: 'command', command: 'true', files: [f], timeoutMs: 1000 },
    { id: 'b', kind: 'command', command: 'true', files: [{ guestPath: '/usr/lib/x.so', data: 'other' }], timeoutMs: 1000 },
  ]), /differs from the one another job staged there/);
});

const kernel = (sha: string) => ({ release: 'r', arch: 'x86_64' as const, imagePath: '', imageSha256: sha, modulesDir: null, configPath: null, origin: { kind: 'file' as const, image: '' } });
const profile = (id: string) => ({ id, required: true, arch: 'x86_64' as const, kernel: { file: { image: 'x' } }, memory_mb: 1024, cpus: 1 });
const ctx = { profileId: 'p', required: true, resultKey: 'k', kernel: kernel('a'), accel: 'tcg' as const, machine: { cpu: 'EPYC-Rome-v1', memory_mb: 1024, cpus: 1 }, bootMs: 1, startedAt: new Date(0), finishedAt: new Date(10), consoleLogPath: null, validatorResultPath: null };

test('one boot per kernel image: cases on the same kernel share a boot, in order', () => {
  const item = (ci: number, sha: string, id: string): BootItem => ({ ci, pi: 0, label: `${id}/${ci}`, profile: profile(id) as BootItem['profile'], kernel: kernel(sha), key: `${ci}${sha}`, timeoutMs: 1, machine: { cpu: 'm', memory_mb: 1024, cpus: 1 } });
  const boots = planBoots([item(0, 'k1', 'a'), item(0, 'k2', 'b'), item(1, 'k1', 'a'), item(2, 'k1', 'c'), item(1, 'k2', 'b')]);
  assert.equal(boots.length, 2);
  assert.deepEqual(boots[0]!.map((i) => i.ci), [0, 1, 2]);
  assert.deepEqual(boots[1]!.map((i) => i.ci), [0, 1]);
});

test('a command verdict is its exit code, with 4 KiB tails and load skipped', () => {
  const spec = { command: 'x', expectExit: 0, binary: null };
  const big = Buffer.from('a'.repeat(10_000) + 'END');
  const pass = TargetReport.parse(targetFromCommand(ctx, spec, { id: 'j', exitCode: 0, files: { stdout: big }, durationMs: 5 }, 60_000));
  assert.equal(pass.status, 'pass');
  assert.equal(pass.validation.load_status, 'skipped');
  const t = pass.functional.tests[0]!;
  assert.equal(t.name, 'command');
  assert.equal((t.stdout_tail as string).length, 4096);
  assert.ok((t.stdout_tail as string).endsWith('END'));
  const fail = targetFromCommand(ctx, spec, { id: 'j', exitCode: 3, files: {}, durationMs: 5 }, 60_000);
  assert.equal(fail.status, 'fail');
  assert.equal(fail.failed_stage, 'command');
  assert.equal(fail.classification_code, 'COMMAND_VALIDATION_FAILURE');
  assert.equal(fail.functional.tests[0]!.exit_code, 3);
  assert.equal(byteTail(Buffer.from('é'.repeat(3)), 3), 'é', 'a cut UTF-8 sequence is dropped');
});

test('the suite summary gates like the reference and the matrix has kernels as rows, cases as columns', () => {
  const target = (id: string, status: 'pass' | 'fail' | 'infra_error', code: string | null) => ({ ...targetFromCommand({ ...ctx, profileId: id }, { command: 'x', expectExit: 0, binary: null }, { id: 'j', exitCode: status === 'pass' ? 0 : 1, files: {}, durationMs: 1 }, 1000), status, classification_code: code });
  const report = (targets: ReturnType<typeof target>[], status: 'pass' | 'fail' | 'error') => ({ run: { id: 'r' }, validation_mode: 'command', targets, summary: { status, exit_code: status === 'pass' ? 0 : status === 'fail' ? 2 : 1, required_passed: 1, required_failed: 0 } }) as never;
  const cases = [
    { name: 'alpha', artifact: 'a', manifest: null, matrix: 'm', report: report([target('k1', 'pass', null), target('k2', 'fail', 'UNSUPPORTED_MAP_TYPE')], 'fail'), reportJsonPath: '/r/alpha.json', reportMarkdownPath: '/r/alpha.md' },
    { name: 'beta', artifact: 'b', manifest: null, matrix: 'm', report: report([target('k1', 'pass', null), target('k2', 'pass', null)], 'pass'), reportJsonPath: '/r/beta.json', reportMarkdownPath: '/r/beta.md' },
  ];
  const s = suiteSummary('demo', new Date(0), new Date(1000), cases, 2, 0);
  assert.equal(s.schema_version, 'bpfcompat_suite.v0.1');
  assert.equal(s.status, 'fail');
  assert.equal(s.exit_code, 2);
  const md = renderSuiteMarkdown(s, '/r/summary.md');
  assert.match(md, /\| Kernel \| alpha \| beta \|/);
  assert.match(md, /\| k2 \(r\) \| fail UNSUPPORTED_MAP_TYPE \| pass \|/);
  assert.match(md, /\[alpha\.md\]\(alpha\.md\)/);
  assert.equal(matrixCell({ status: 'infra_error', required: true, classification_code: null }), 'infra_error');
  const err = suiteSummary('demo', new Date(0), new Date(1), [{ ...cases[1]!, report: report([target('k1', 'infra_error', null)], 'error') }, cases[0]!], 1, 0);
  assert.equal(err.exit_code, 1, 'an errored case makes the suite an error even when another failed');
});
