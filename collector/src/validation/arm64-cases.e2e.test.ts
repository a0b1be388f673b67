// End to end on one arm64 kernel under emulation (matrices/dev-one-arm64.yaml): a suite with a command case
// and an object case runs in one arm64 boot with the arm64 guest userland (Debian's bash:arm64 with its
// aarch64 libraries, the aarch64 validator), and an x86_64 loader shipped to an arm64 profile is refused
// before anything boots.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Report } from '../../../history/vocabulary/report-schema.ts';
import { sha256File } from '../../../history/vocabulary/hash.ts';
import { ARM64_BASH_PATH, ARM64_VALIDATOR_PATH } from '../guest/guest-arch.ts';
import type { SuiteSummary } from '../suite/summary.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-arm64-cases-'));
after(() => rm(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'collector/bin/bpfcompat.js'), ...args], { encoding: 'utf8', cwd: dir });

test('a suite runs a command (an aarch64 binary with its libraries) and an object in one arm64 boot', { timeout: 300_000 }, async () => {
  const suite = join(dir, 'suite.yaml');
  // Debian's bash:arm64 is dynamically linked: shipping it as the binary also stages libc/libtinfo for aarch64.
  await writeFile(suite, `name: arm64
defaults: { matrix: ${join(ROOT, 'matrices/dev-one-arm64.yaml')}, report_dir: reports, timeout: 60s }
cases:
  - name: uname
    command_binary: ${ARM64_BASH_PATH}
    command: 'uname -m; "$BPFCOMPAT_BIN" -c "echo inner \\$BASH_VERSION"'
  - { name: pass-everywhere, artifact: ${join(ROOT, 'build/examples/pass_everywhere.bpf.o')} }
`);
  const r = cli('suite', '--suite', suite, '--out', join(dir, 'summary.json'), '--no-history', '--quiet', '--workdir', join(dir, 'work'));
  const s = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as SuiteSummary;
  const statuses = Object.fromEntries(s.cases.map((c) => [c.name, c.targets.map((t) => `${t.profile_id}:${t.status}`).join(',')]));
  assert.deepEqual(statuses, { uname: 'debian-12-arm64:pass', 'pass-everywhere': 'debian-12-arm64:pass' }, r.stderr);
  assert.equal(r.status, 0, r.stderr);

  const cmd = Report.parse(JSON.parse(await readFile(join(dir, 'reports', 'uname.json'), 'utf8')));
  const t = cmd.targets[0]!;
  assert.equal(t.vm.arch, 'arm64');
  assert.equal(t.vm.accel, 'tcg', 'an arm64 guest is emulated on this x86_64 host');
  assert.match(String(t.functional.tests[0]!.stdout_tail), /^aarch64\ninner 5\.\d+/m, 'the guest is aarch64 and the shipped aarch64 bash ran');
  assert.equal(cmd.validators?.length, 1);
  assert.equal(cmd.validators![0]!.arch, 'arm64', 'the report names the arm64 harness');

  const obj = Report.parse(JSON.parse(await readFile(join(dir, 'reports', 'pass-everywhere.json'), 'utf8')));
  assert.equal(obj.targets[0]!.validation.load_status, 'pass');
  const arm64Validator = await sha256File(ARM64_VALIDATOR_PATH);
  assert.deepEqual(obj.validators?.map((v) => `${v.arch}:${v.sha256}`), [`arm64:${arm64Validator}`], 'the report names the aarch64 validator, not the x86_64 one');
  assert.equal(obj.validator.sha256, arm64Validator);
});

test('an x86_64 binary for an arm64 profile is refused with one line, before any boot', () => {
  const r = cli('test-command', '--cmd', '"$BPFCOMPAT_BIN"', '--bin', '/usr/bin/true', '--matrix', join(ROOT, 'matrices/dev-one-arm64.yaml'), '--out', join(dir, 'x.json'), '--no-history', '--quiet', '--workdir', join(dir, 'work2'));
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /--bin \/usr\/bin\/true: is an x86_64 executable and cannot run on profile debian-12-arm64 \(arm64\)/);
  assert.match(r.stderr, /aarch64-linux-gnu-gcc/);
});
