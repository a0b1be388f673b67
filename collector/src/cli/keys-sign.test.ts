// `bpfcompat keys generate`, `history sign` and `history verify --trusted-key/--require-signed` as users run them:
// real key files, a real SQLite history, exit codes, one-line errors naming the run or the flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { openHistory } from '../../../history/src/index.ts';
import { makeRun } from '../../../history/src/testdata/factory.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-keys-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['collector/bin/bpfcompat.js', ...args], { encoding: 'utf8' });
}

function oneLineError(r: ReturnType<typeof cli>, pattern: RegExp) {
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
}

test('keys generate writes a 0600 private key and a public key, and never overwrites them', () => {
  const r = cli('keys', 'generate', '--out', join(dir, 'k'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { key_id: string; private_key: string; public_key: string };
  assert.match(out.key_id, /^[0-9a-f]{64}$/);
  assert.equal(statSync(out.private_key).mode & 0o777, 0o600);
  assert.match(readFileSync(out.private_key, 'utf8'), /BEGIN PRIVATE KEY/);
  assert.match(readFileSync(out.public_key, 'utf8'), /BEGIN PUBLIC KEY/);
  const before = readFileSync(out.private_key, 'utf8');
  oneLineError(cli('keys', 'generate', '--out', join(dir, 'k')), /bpfcompat-signing\.key exists; nothing written/);
  assert.equal(readFileSync(out.private_key, 'utf8'), before);
  oneLineError(cli('keys', 'rotate'), /keys: unknown sub-command 'rotate'/);
});

test('history sign, then verify with the trusted key; a changed verdict, an untrusted key and an unsigned run exit 1 naming the run', () => {
  assert.equal(cli('keys', 'generate', '--out', join(dir, 'ci')).status, 0);
  assert.equal(cli('keys', 'generate', '--out', join(dir, 'other')).status, 0);
  const key = join(dir, 'ci', 'bpfcompat-signing.key');
  const pub = join(dir, 'ci', 'bpfcompat-signing.pub');
  const otherPub = join(dir, 'other', 'bpfcompat-signing.pub');
  const path = join(dir, 'h.sqlite');
  const h = openHistory(path);
  h.appendRun(makeRun({ id: 'run-a', version: 'v1', targets: { 'debian-11-5.10': { status: 'fail' } } }));
  h.close();

  // Misuse: bad key files are one line naming the flag.
  oneLineError(cli('history', 'sign', '--history', path), /--key PRIVATE\.key is required/);
  oneLineError(cli('history', 'sign', '--history', path, '--key', pub), /--key .*bpfcompat-signing\.pub: not a PEM private key/);
  oneLineError(cli('history', 'verify', '--history', path, '--trusted-key', join(dir, 'nope.pub')), /--trusted-key .*nope\.pub: cannot read: ENOENT/);

  const s = cli('history', 'sign', '--history', path, '--key', key, '--json');
  assert.equal(s.status, 0, s.stderr);
  assert.deepEqual(JSON.parse(s.stdout).signed, ['run-a']);
  assert.equal(cli('history', 'verify', '--history', path, '--trusted-key', pub, '--require-signed').status, 0);
  const untrusted = cli('history', 'verify', '--history', path, '--trusted-key', otherPub);
  assert.equal(untrusted.status, 1);
  assert.match(untrusted.stdout, /MISMATCH signatures run run-a: signed by untrusted key/);

  // An unsigned run appended later fails --require-signed only.
  const h2 = openHistory(path);
  h2.appendRun(makeRun({ id: 'run-b', version: 'v2' }));
  h2.close();
  assert.equal(cli('history', 'verify', '--history', path, '--trusted-key', pub).status, 0);
  const unsigned = cli('history', 'verify', '--history', path, '--trusted-key', pub, '--require-signed');
  assert.equal(unsigned.status, 1);
  assert.match(unsigned.stdout, /MISMATCH signatures run run-b: no good signature by a trusted key/);
  assert.equal(cli('history', 'sign', '--history', path, '--key', key).status, 0);
  assert.equal(cli('history', 'verify', '--history', path, '--trusted-key', pub, '--require-signed').status, 0);

  // A verdict edited in place: fail → pass. Verify names the run; sign refuses to vouch for it and writes nothing.
  const db = new Database(path);
  assert.equal(db.prepare("UPDATE targets SET status = 'pass' WHERE status = 'fail'").run().changes, 1);
  db.close();
  const changed = cli('history', 'verify', '--history', path, '--trusted-key', pub);
  assert.equal(changed.status, 1);
  assert.match(changed.stdout, /MISMATCH signatures run run-a: signature by key [0-9a-f]{16} does not match the run's verdicts and result keys \(changed after signing\)/);
  assert.doesNotMatch(changed.stdout, /run run-b/);
  const count = () => (new Database(path, { readonly: true }).prepare('SELECT count(*) FROM signatures').pluck().get() as number);
  const n = count();
  assert.equal(cli('keys', 'generate', '--out', join(dir, 'third')).status, 0);
  oneLineError(cli('history', 'sign', '--history', path, '--key', join(dir, 'third', 'bpfcompat-signing.key')), /fails verify .*; nothing signed/);
  assert.equal(count(), n);
});

test('--sign-key with --no-history, or with a key that is not one, is a usage error before anything boots', () => {
  writeFileSync(join(dir, 'ok.bpf.c'), 'int x(void *ctx) { return 0; }\n');
  execFileSync('clang', ['-O2', '-target', 'bpf', '-c', join(dir, 'ok.bpf.c'), '-o', join(dir, 'ok.bpf.o')]);
  const base = ['test', '--artifact', join(dir, 'ok.bpf.o'), '--matrix', 'dev-one', '--out', join(dir, 'r.json'), '--offline'];
  oneLineError(cli(...base, '--no-history', '--sign-key', join(dir, 'ci', 'bpfcompat-signing.key')), /--sign-key signs the run in the history and cannot go with --no-history/);
  oneLineError(cli(...base, '--history', join(dir, 'h2.sqlite'), '--sign-key', join(dir, 'ok.bpf.c')), /--sign-key .*ok\.bpf\.c: not a PEM private key/);
  oneLineError(cli('suite', '--suite', 'examples/suite.yaml', '--no-history', '--sign-key', join(dir, 'ci', 'bpfcompat-signing.key')), /--sign-key signs the run in the history/);
  assert.ok(!readdirSync(dir).includes('r.json'));
  assert.ok(!readdirSync(dir).includes('h2.sqlite'), 'no history created for a refused key');
});
