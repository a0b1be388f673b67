import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openHistory } from '../../../history/src/index.ts';
import { makeRun } from '../../../history/src/testdata/factory.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'bpfcompat.js');
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-cli-history-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, XDG_DATA_HOME: join(dir, 'xdg') } });

const hist = join(dir, 'h.sqlite');
{
  const h = openHistory(hist);
  h.appendRun(makeRun({ id: 'r1', version: 'v1', startedAt: '2025-01-01T00:00:00Z' }));
  h.appendRun(makeRun({ id: 'r2', version: 'v2', startedAt: '2025-01-02T00:00:00Z', targets: { 'debian-11-5.10': { status: 'fail' } } }));
  h.close();
}

test('history list/show print runs; --json is machine-readable', () => {
  const list = cli('history', 'list', '--history', hist);
  assert.equal(list.status, 0, list.stderr);
  assert.deepEqual(list.stdout.trim().split('\n').map((l) => l.split(' ')[0]), ['execsnoop@v2', 'execsnoop@v1']);
  assert.match(list.stdout, /status=fail required=3\/1 .*run=r2/);
  const json = JSON.parse(cli('history', 'list', '--history', hist, '--limit', '1', '--json').stdout);
  assert.deepEqual(json.map((r: { id: string }) => r.id), ['r2']);
  const show = cli('history', 'show', 'r2', '--history', hist);
  assert.match(show.stdout, /debian-11-5\.10 {2}fail {2}HELPER_NOT_SUPPORTED/);
  const missing = cli('history', 'show', 'nope', '--history', hist);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr.trim().split('\n').length, 1);
  assert.match(missing.stderr, /no run nope/);
});

test('history on a missing default path and on a non-SQLite file: one-line errors, exit 1', () => {
  const none = cli('history', 'list');
  assert.equal(none.status, 1);
  assert.match(none.stderr, /xdg\/bpfcompat\/history\.sqlite: no history there/);
  const bogus = join(dir, 'bogus.sqlite');
  writeFileSync(bogus, 'not sqlite at all, but long enough to have a header');
  const r = cli('history', 'verify', '--history', bogus);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim(), `bpfcompat: ${bogus}: not a bpfcompat history (no SQLite header) (pass another --history path, or move the file away to start a new history)`);
});

test('compare versions with --fail-on-regression exits 2 and writes JSON and Markdown; run ids and report files work too', () => {
  const out = join(dir, 'diff.json');
  const md = join(dir, 'diff.md');
  const r = cli('compare', 'v1', 'v2', '--history', hist, '--artifact-name', 'execsnoop', '--out', out, '--markdown', md, '--fail-on-regression');
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /Diff summary: profiles=5 changed=1 improved=0 regressed=1 required_regressions=1/);
  const diff = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(diff.profiles.find((p: { profile_id: string }) => p.profile_id === 'debian-11-5.10').change, 'regressed');
  assert.match(readFileSync(md, 'utf8'), /\| debian-11-5\.10 \| yes \| regressed \| pass \| fail \(HELPER_NOT_SUPPORTED\) \| new:HELPER_NOT_SUPPORTED \|/);
  const improved = cli('compare', 'r2', 'r1', '--history', hist, '--fail-on-regression');
  assert.equal(improved.status, 0);
  assert.equal(JSON.parse(improved.stdout).summary.improved_profiles, 1);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ schema_version: 'bpfcompat.report.v1' }));
  const br = cli('compare', bad, 'r1', '--history', hist);
  assert.equal(br.status, 1);
  assert.match(br.stderr, new RegExp(`^bpfcompat: ${bad.replace(/[.]/g, '\\.')}: not a bpfcompat report \\(tool: `));
});

test('history merge then verify', () => {
  const into = join(dir, 'merged.sqlite');
  const m = cli('history', 'merge', hist, '--into', into, '--json');
  assert.equal(m.status, 0, m.stderr);
  assert.equal(JSON.parse(m.stdout).added.runs, 2);
  const again = JSON.parse(cli('history', 'merge', hist, '--into', into, '--json').stdout);
  assert.equal(again.added.runs, 0);
  const v = cli('history', 'verify', '--history', into, '--json');
  assert.equal(v.status, 0);
  assert.equal(JSON.parse(v.stdout).ok, true);
  assert.match(cli('history', '--help').stdout, /history merge A\.sqlite/);
});

test('history list and show never print a stored control character raw', () => {
  const h2 = join(dir, 'ctl.sqlite');
  const h = openHistory(h2);
  h.appendRun(makeRun({ id: 'c1', name: 'x\u001b[2J', version: 'v1\nforged=1' }));
  h.close();
  const list = cli('history', 'list', '--history', h2);
  assert.equal(list.status, 0, list.stderr);
  assert.ok(!list.stdout.includes('\u001b'), 'no raw escape');
  assert.equal(list.stdout.trim().split('\n').length, 1, 'a newline does not split the record');
  assert.match(list.stdout, /^x\\u\{1b\}\[2J@v1\\u\{a\}forged=1 status=/);
  const show = cli('history', 'show', 'c1', '--history', h2);
  assert.ok(!show.stdout.includes('\u001b'));
});

test('read verbs work on a history in a directory that cannot be written, and create nothing there', () => {
  const locked = join(dir, 'locked');
  mkdirSync(locked);
  const path = join(locked, 'h.sqlite');
  const h = openHistory(path);
  h.appendRun(makeRun({ id: 'l1', version: 'v1' }));
  h.appendRun(makeRun({ id: 'l2', version: 'v2' }));
  h.close();
  const root = process.getuid?.() === 0;
  if (root) execFileSync('chattr', ['+i', locked]);
  else chmodSync(locked, 0o555);
  try {
    const list = cli('history', 'list', '--history', path);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /run=l2/);
    const verify = cli('history', 'verify', '--history', path);
    assert.equal(verify.status, 0, verify.stderr);
    const cmp = cli('compare', 'l1', 'l2', '--history', path, '--json');
    assert.equal(cmp.status, 0, cmp.stderr);
    assert.deepEqual(readdirSync(locked), ['h.sqlite']);
  } finally {
    if (root) execFileSync('chattr', ['-i', locked]);
    else chmodSync(locked, 0o755);
  }
});
