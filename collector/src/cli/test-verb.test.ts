// Bad input to `bpfcompat test`: one line naming the file, field or flag; exit 1; no stack; no report written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, existsSync, copyFileSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const obj = join(dir, 'ok.bpf.o');
writeFileSync(join(dir, 'ok.bpf.c'), 'int x(void *ctx) { return 0; }\n');
execFileSync('clang', ['-O2', '-target', 'bpf', '-c', join(dir, 'ok.bpf.c'), '-o', obj]);

function run(args: string[]) {
  const out = join(dir, `r${Math.random().toString(16).slice(2)}.json`);
  const r = spawnSync(process.execPath, ['collector/bin/bpfcompat.js', ...args.map((a) => a.replace('@OUT', out))], { encoding: 'utf8', env: { ...process.env, BPFCOMPAT_OFFLINE: '1' } });
  return { ...r, out };
}

function expectUsageError(args: string[], mention: RegExp) {
  const r = run(args);
  assert.equal(r.status, 1, `exit 1 for ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0]!, mention);
  assert.ok(!/\bat .*\.ts:\d+/.test(r.stderr), 'no stack trace');
  assert.ok(!existsSync(r.out), 'no report written');
}

test('bad artifacts', () => {
  expectUsageError(['test', '--artifact', join(dir, 'none.o'), '--matrix', 'dev-one', '--out', '@OUT'], /--artifact .*none\.o: no such file/);
  writeFileSync(join(dir, 'empty.o'), '');
  expectUsageError(['test', '--artifact', join(dir, 'empty.o'), '--matrix', 'dev-one', '--out', '@OUT'], /empty\.o: the file is empty/);
  writeFileSync(join(dir, 'text.o'), 'hello');
  expectUsageError(['test', '--artifact', join(dir, 'text.o'), '--matrix', 'dev-one', '--out', '@OUT'], /text\.o: not an ELF object/);
  copyFileSync('/bin/true', join(dir, 'true.o'));
  expectUsageError(['test', '--artifact', join(dir, 'true.o'), '--matrix', 'dev-one', '--out', '@OUT'], /true\.o: an ELF file for machine 62, not BPF/);
  execFileSync('truncate', ['-s', '200M', join(dir, 'big.o')]);
  expectUsageError(['test', '--artifact', join(dir, 'big.o'), '--matrix', 'dev-one', '--out', '@OUT'], /big\.o: 200 MiB is larger than/);
});

test('a truncated object is refused on the host before any boot, and nothing is recorded', () => {
  const cut = join(dir, 'cut.bpf.o');
  writeFileSync(cut, readFileSync('build/examples/pass_everywhere.bpf.o').subarray(0, 3500));
  const history = join(dir, 'cut-history.sqlite');
  expectUsageError(['test', '--artifact', cut, '--matrix', 'dev-one', '--out', '@OUT', '--history', history], /--artifact .*cut\.bpf\.o: libbpf cannot open this BPF object: BPF object format invalid/);
  assert.ok(!existsSync(history), 'no history written');
});

test('control characters in names, versions and variants are refused before anything runs', () => {
  expectUsageError(['test', '--artifact', obj, '--matrix', 'dev-one', '--out', '@OUT', '--artifact-name', 'x\u001b[2J'], /--artifact-name: contains the control character U\+001B/);
  expectUsageError(['test', '--artifact', obj, '--matrix', 'dev-one', '--out', '@OUT', '--artifact-version', 'v1\nrun=forged'], /--artifact-version: contains the control character U\+000A/);
  expectUsageError(['test', '--command', 'true', '--matrix', 'dev-one', '--out', '@OUT', '--artifact-variant', 'a\u0085b'], /--artifact-variant: contains the control character U\+0085/);
  expectUsageError(['test-command', '--cmd', 'true', '--matrix', 'dev-one', '--out', '@OUT', '--artifact-name', 'a\u2028b'], /--artifact-name: contains the control character U\+2028/);
  writeFileSync(join(dir, 'ctl-matrix.yaml'), 'name: "m\\e[31m"\nprofiles:\n  - { id: a, kernel: { debian: { suite: bookworm } } }\n');
  expectUsageError(['test', '--artifact', obj, '--matrix', join(dir, 'ctl-matrix.yaml'), '--out', '@OUT'], /ctl-matrix\.yaml: name: contains the control character U\+001B/);
});

test('a history that cannot be written is refused before anything boots', () => {
  const history = join(dir, 'locked.sqlite');
  writeFileSync(history, '');
  // root ignores file modes: make it immutable instead
  const root = process.getuid?.() === 0;
  if (root) execFileSync('chattr', ['+i', history]);
  else chmodSync(history, 0o444);
  try {
    expectUsageError(['test', '--artifact', obj, '--matrix', 'dev-one', '--out', '@OUT', '--history', history], /locked\.sqlite: history not writable: the file .*locked\.sqlite cannot be written \((EPERM|EACCES)\); nothing was run/);
    expectUsageError(['test-command', '--cmd', 'true', '--matrix', 'dev-one', '--out', '@OUT', '--history', history], /history not writable/);
  } finally {
    if (root) execFileSync('chattr', ['-i', history]);
    else chmodSync(history, 0o644);
  }
});

test('bad matrices and flags', () => {
  writeFileSync(join(dir, 'bad.yaml'), 'name: x\nprofiles: [\n');
  expectUsageError(['test', '--artifact', obj, '--matrix', join(dir, 'bad.yaml'), '--out', '@OUT'], /bad\.yaml: line \d+: invalid YAML/);
  writeFileSync(join(dir, 'unknown.yaml'), 'name: x\nprofiles:\n  - id: a\n    kernal: {}\n');
  expectUsageError(['test', '--artifact', obj, '--matrix', join(dir, 'unknown.yaml'), '--out', '@OUT'], /unknown\.yaml: profiles\[0\]\.kernal: unknown key/);
  expectUsageError(['test', '--artifact', obj, '--matrix', 'dev-one', '--profile', 'debian-99', '--out', '@OUT'], /--profile debian-99: not in/);
  expectUsageError(['test', '--artifact', obj, '--matrix', 'no-such-matrix', '--out', '@OUT'], /--matrix no-such-matrix: no such file/);
  expectUsageError(['test', '--artifact', obj, '--matrix', 'dev-one', '--out', '@OUT', '--jobs', '0'], /--jobs must be between 1 and 64/);
  expectUsageError(['test', '--artifact', obj, '--matrix', 'dev-one', '--out', '@OUT', '--colour'], /Unknown option '--colour'/);
  expectUsageError(['test', '--artifact', obj, '--matrix', 'dev-one'], /--out is required/);
  expectUsageError(['test', '--artifact', obj, '--matrix', 'dev-one', '--out', '@OUT', '--validation-mode', 'fast'], /--validation-mode must be/);
  writeFileSync(join(dir, 'manifest.yaml'), 'programs: [{ name: x, attach: { kind: teleport } }]\n');
  expectUsageError(['test', '--artifact', obj, '--matrix', 'dev-one', '--out', '@OUT', '--manifest', join(dir, 'manifest.yaml')], /manifest\.yaml: programs\[0\]\.attach\.kind/);
});

test('every verb answers --help with exit 0', () => {
  const top = spawnSync(process.execPath, ['collector/bin/bpfcompat.js', '--help'], { encoding: 'utf8' });
  assert.equal(top.status, 0);
  const verbs = [...top.stdout.matchAll(/^  ([a-z-]+)  /gm)].map((m) => m[1]!);
  assert.ok(verbs.includes('test') && verbs.includes('doctor') && verbs.includes('kernels'));
  for (const v of verbs) {
    const r = spawnSync(process.execPath, ['collector/bin/bpfcompat.js', v, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, v);
    assert.match(r.stdout, /Usage:/, v);
    assert.ok(r.stdout.includes(`bpfcompat ${v}`), v);
  }
  const unknown = spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'frobnicate'], { encoding: 'utf8' });
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /unknown verb 'frobnicate'/);
});
