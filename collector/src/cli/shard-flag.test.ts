// `--shard` on `bpfcompat test` and `bpfcompat suite`: bad values are one-line usage errors (exit 1) before
// anything boots; a shard holding no kernel of the matrix writes an empty report and records nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-shard-flag-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const OBJ = resolve('build/examples/pass_everywhere.bpf.o');
const cli = (args: string[]) => spawnSync(process.execPath, ['collector/bin/bpfcompat.js', ...args], { encoding: 'utf8', env: { ...process.env, BPFCOMPAT_OFFLINE: '1' } });

test('bad --shard values are one-line usage errors on test, test --command and suite', () => {
  writeFileSync(join(dir, 'suite.yaml'), `name: s\ndefaults:\n  matrix: dev-one\ncases:\n  - name: a\n    artifact: ${OBJ}\n`);
  const cases: Array<[string[], RegExp]> = [
    [['test', '--artifact', OBJ, '--matrix', 'dev-one', '--out', join(dir, 'r.json'), '--shard', '0/3'], /^bpfcompat: --shard 0\/3: the shard index must be between 1 and 3 \(/],
    [['test', '--artifact', OBJ, '--matrix', 'dev-one', '--out', join(dir, 'r.json'), '--shard', '4/3'], /--shard 4\/3: the shard index must be between 1 and 3/],
    [['test', '--artifact', OBJ, '--matrix', 'dev-one', '--out', join(dir, 'r.json'), '--shard', 'x'], /--shard must be i\/n such as 1\/3, got 'x'/],
    [['test', '--command', 'true', '--matrix', 'dev-one', '--out', join(dir, 'r.json'), '--shard', '2'], /--shard must be i\/n such as 1\/3, got '2'/],
    [['suite', '--suite', join(dir, 'suite.yaml'), '--shard', '3/2'], /--shard 3\/2: the shard index must be between 1 and 2/],
  ];
  for (const [args, re] of cases) {
    const r = cli(args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
    assert.ok(!existsSync(join(dir, 'r.json')), 'no report');
  }
});

test('a shard with no kernel of the matrix: empty report, exit 0, nothing recorded', () => {
  // dev-one has one kernel: shard 1/2 is empty (shard 2/2 holds it).
  const h = join(dir, 'h.sqlite');
  const r = cli(['test', '--artifact', OBJ, '--matrix', 'dev-one', '--out', join(dir, 'empty.json'), '--shard', '1/2', '--history', h, '--workdir', join(dir, 'work')]);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(readFileSync(join(dir, 'empty.json'), 'utf8')) as { targets: unknown[]; matrix: { profiles: string[] } };
  assert.deepEqual(report.targets, []);
  assert.deepEqual(report.matrix.profiles, []);
  assert.match(r.stderr, /shard 1\/2 holds no kernel of .*dev-one\.yaml; nothing recorded/);
  const list = cli(['history', 'list', '--history', h, '--json']);
  assert.deepEqual(JSON.parse(list.stdout), [], 'no (empty) run in the history');
});

test('test-command takes --shard like test: bad values are refused, an empty shard records nothing', () => {
  const bad = cli(['test-command', '--cmd', 'true', '--matrix', 'dev-one', '--out', join(dir, 'c.json'), '--shard', '3/2']);
  assert.equal(bad.status, 1, bad.stderr);
  assert.match(bad.stderr, /^bpfcompat: --shard 3\/2: the shard index must be between 1 and 2/);
  const h = join(dir, 'hc.sqlite');
  const r = cli(['test-command', '--cmd', 'true', '--matrix', 'dev-one', '--out', join(dir, 'c.json'), '--shard', '1/2', '--history', h, '--workdir', join(dir, 'work-c')]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual((JSON.parse(readFileSync(join(dir, 'c.json'), 'utf8')) as { targets: unknown[] }).targets, []);
  assert.match(r.stderr, /shard 1\/2 holds no kernel of .*dev-one\.yaml; nothing recorded/);
});
