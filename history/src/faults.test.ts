import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openHistory, openHistoryForReading, SCHEMA_VERSION } from './index.ts';
import { writeError } from './errors.ts';
import { makeRun } from './testdata/factory.ts';
import { tempDir } from './testdata/tmp.ts';

const CHILD = join(import.meta.dirname, 'testdata', 'append-child.ts');
const isCode = (code: string) => (e: Error & { code?: string }) => e.code === code;

test('a process killed inside appendRun leaves no half run, and the next append works', async () => {
  const dir = tempDir();
  const path = join(dir, 'h.sqlite');
  const marker = join(dir, 'marker');
  openHistory(path).close();
  const child = spawn(process.execPath, [CHILD, path, 'killed', '1'], { env: { ...process.env, BPFCOMPAT_HISTORY_TEST_HOLD: marker }, stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  // A child that fails before the hold exits instead of writing the marker: stop waiting then.
  while (!existsSync(marker) && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  assert.ok(existsSync(marker), 'the child exited before reaching the hold inside the transaction');
  child.kill('SIGKILL');
  await exited;
  const h = openHistory(path);
  assert.deepEqual(Object.values(h.counts()).reduce((a, b) => a + b, 0), 0);
  h.appendRun(makeRun({ id: 'after' }));
  assert.equal(h.counts().runs, 1);
  assert.equal(h.counts().run_results, 5);
  h.close();
});

test('two processes appending 200 runs each to one file: 400 runs present', async () => {
  const path = join(tempDir(), 'h.sqlite');
  openHistory(path).close();
  const run = (prefix: string) => new Promise<number | null>((resolve) => {
    const c = spawn(process.execPath, [CHILD, path, prefix, '200'], { stdio: ['ignore', 'ignore', 'inherit'] });
    c.on('exit', resolve);
  });
  assert.deepEqual(await Promise.all([run('left'), run('right')]), [0, 0]);
  const h = openHistory(path, { readonly: true });
  assert.equal(h.counts().runs, 400);
  assert.equal(h.counts().run_results, 2000);
  assert.equal(h.listRuns({ artifactName: 'left', limit: 1000 }).length, 200);
  assert.equal(h.verify().ok, true);
  h.close();
});

test('a history with only the first schema is upgraded with its data intact', () => {
  const path = join(tempDir(), 'h.sqlite');
  const old = new Database(path);
  // Build a real version-1 file the way version-1 code would have: migration 1 only, then a run written with its SQL.
  old.close();
  const v1 = openHistory(path, { migrateTo: 1 });
  assert.equal(v1.schemaVersion, 1);
  v1.close();
  const raw = new Database(path);
  raw.exec(`
    INSERT INTO artifacts VALUES ('a', 'sha256:a', 'object', 'x.bpf.o', 10);
    INSERT INTO validators VALUES ('v', 'validator', 20);
    INSERT INTO kernels VALUES ('k', '6.1.0-37-cloud-amd64', '{}');
    INSERT INTO targets VALUES ('t', x'00');
    INSERT INTO runs VALUES ('old-run', '2024-01-01T00:00:00Z', '2024-01-01T00:00:01Z', 1000, '0.0.9', 'm', 'm.yaml', 'legacy', 'v0', NULL, 'a', 'v', NULL,
      'artifact', 'load_only', 'tcg', 'fail', 2, 1, 0, 1, 0, 0, 1, 0, NULL, NULL, NULL);
    INSERT INTO results VALUES ('key', 'a', 'k', 'v', NULL, 'load_only', 'old-run', '2024-01-01T00:00:00Z');
    INSERT INTO run_results VALUES ('old-run', 'debian-12', 1, 'key', 0, NULL, 'fail', 'load', 'HELPER_NOT_SUPPORTED', 'high', 'r', 'k', 1, 'tcg', 't', NULL);
    INSERT INTO artifact_versions VALUES ('legacy', 'v0', '', 'a', 'old-run', '2024-01-01T00:00:00Z');`);
  raw.close();
  const h = openHistory(path);
  assert.equal(h.schemaVersion, SCHEMA_VERSION);
  const run = h.getRun('old-run')!;
  assert.equal(run.members[0]!.classification_code, 'HELPER_NOT_SUPPORTED');
  assert.equal(run.members[0]!.verifier_log_sha256, null);
  // latest_verdicts was back-filled from the old rows.
  assert.deepEqual(h.latestVerdicts().map((l) => [l.artifact_name, l.profile_id, l.status, l.version]), [['legacy', 'debian-12', 'fail', 'v0']]);
  h.appendRun(makeRun({ id: 'new-run' }), { 'debian-12-6.1#verifier': 'log' });
  assert.equal(h.counts().runs, 2);
  h.close();
});

test('a history newer than the code is refused with HISTORY_NEWER', () => {
  const path = join(tempDir(), 'h.sqlite');
  openHistory(path).close();
  const raw = new Database(path);
  raw.prepare('INSERT INTO schema_version VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'from the future', 'now');
  raw.close();
  assert.throws(() => openHistory(path), (e: Error & { code?: string; hint?: string }) => e.code === 'HISTORY_NEWER' && e.hint === 'upgrade bpfcompat' && e.message.startsWith(path));
  assert.throws(() => openHistory(path, { readonly: true }), isCode('HISTORY_NEWER'));
});

test('a non-SQLite or foreign file is refused and left byte-identical, with no WAL files beside it', () => {
  const dir = tempDir();
  const path = join(dir, 'notes.sqlite');
  const bytes = Buffer.from('these are my notes, not a database\n'.repeat(100));
  writeFileSync(path, bytes);
  for (const readonly of [false, true]) {
    assert.throws(() => openHistory(path, { readonly }), (e: Error & { code?: string }) => e.code === 'HISTORY_CORRUPT' && e.message === `${path}: not a bpfcompat history (no SQLite header)`);
  }
  assert.deepEqual(readFileSync(path), bytes);
  assert.deepEqual(readdirSync(dir), ['notes.sqlite']);
  // An SQLite file of another program is not taken over either.
  const foreign = join(dir, 'other.db');
  const raw = new Database(foreign);
  raw.exec('CREATE TABLE contacts (name TEXT)');
  raw.close();
  const before = readFileSync(foreign);
  assert.throws(() => openHistory(foreign), isCode('HISTORY_CORRUPT'));
  assert.deepEqual(readFileSync(foreign), before);
  // A damaged page past a valid header surfaces as HISTORY_CORRUPT too, not as an internal error.
  const damaged = join(dir, 'damaged.sqlite');
  openHistory(damaged).close();
  const d = readFileSync(damaged);
  d.fill(0xff, 100, d.length);
  writeFileSync(damaged, d);
  assert.throws(() => openHistory(damaged), isCode('HISTORY_CORRUPT'));
});

test('writing a read-only history fails with a HISTORY error saying it was not updated', () => {
  const path = join(tempDir(), 'h.sqlite');
  openHistory(path).close();
  const h = openHistory(path, { readonly: true });
  assert.throws(() => h.appendRun(makeRun({ id: 'x' })), (e: Error & { code?: string }) => e.code === 'HISTORY' && e.message.startsWith(`${path}: history not updated: SQLITE_READONLY`));
  h.close();
  // A path whose directory cannot exist (root bypasses permissions, so use a path under a regular file).
  const blocker = join(tempDir(), 'file');
  writeFileSync(blocker, 'x');
  const bad = join(blocker, 'h.sqlite');
  assert.throws(() => openHistory(bad), (e: Error & { code?: string }) => e.code === 'HISTORY' && e.message.startsWith(`${bad}: `) && /ENOTDIR/.test(e.message));
});

test('a full disk (SQLITE_FULL) maps to a HISTORY error with a disk-space hint', () => {
  const db = new Database(join(tempDir(), 'full.sqlite'));
  db.exec('CREATE TABLE t (x BLOB)');
  db.pragma('max_page_count = 3');
  let caught: unknown;
  try {
    db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(100_000));
  } catch (err) {
    caught = err;
  }
  db.close();
  const e = writeError('/h.sqlite', caught);
  assert.equal(e.code, 'HISTORY');
  assert.match(e.message, /^\/h\.sqlite: history not updated: SQLITE_FULL/);
  assert.match(e.hint ?? '', /disk space/);
});

/** Makes a directory unwritable for this process: chattr +i as root (root ignores modes), mode 0555 otherwise. */
function lockDir(dir: string): () => void {
  if (process.getuid?.() === 0) {
    execFileSync('chattr', ['+i', dir]);
    return () => execFileSync('chattr', ['-i', dir]);
  }
  chmodSync(dir, 0o555);
  return () => chmodSync(dir, 0o755);
}

test('a history in a directory that cannot be written is read (list, verify) without creating anything there', () => {
  const dir = tempDir();
  const path = join(dir, 'h.sqlite');
  const h = openHistory(path);
  h.appendRun(makeRun({ id: 'r1' }));
  h.close();
  const unlock = lockDir(dir);
  try {
    const r = openHistoryForReading(path);
    try {
      assert.deepEqual(r.listRuns({ limit: 5 }).map((x) => x.id), ['r1']);
      assert.equal(r.verify().ok, true);
    } finally {
      r.close();
    }
    assert.deepEqual(readdirSync(dir), ['h.sqlite']);
    // and the write that cannot happen says so
    assert.throws(() => openHistory(path).appendRun(makeRun({ id: 'r2' })), (e: Error & { code?: string }) => e.code === 'HISTORY' && /history not updated/.test(e.message));
  } finally {
    unlock();
  }
});

test('a refused history (newer schema) is left without -wal/-shm files beside it', () => {
  const dir = tempDir();
  const path = join(dir, 'h.sqlite');
  openHistory(path).close();
  const raw = new Database(path);
  raw.prepare('INSERT INTO schema_version VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'from the future', 'now');
  raw.close();
  assert.deepEqual(readdirSync(dir), ['h.sqlite']);
  assert.throws(() => openHistory(path, { readonly: true }), isCode('HISTORY_NEWER'));
  assert.deepEqual(readdirSync(dir), ['h.sqlite']);
});
