import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateSigningKeyPair, keyIdOf, type SigningKey, type TrustedKey } from '../vocabulary/signing.ts';
import { mergeHistories, openHistory } from './index.ts';
import { makeRun } from './testdata/factory.ts';
import { tempDir } from './testdata/tmp.ts';

// Signed runs (migration 7) on real SQLite files: sign, verify against trusted keys, one changed byte caught and
// named by run, signatures kept by merge.

function newKey(): { signing: SigningKey; trusted: TrustedKey } {
  const pair = generateSigningKeyPair();
  const privateKey = createPrivateKey(pair.privatePem);
  const publicKey = createPublicKey(pair.publicPem);
  return { signing: { keyId: keyIdOf(publicKey), privateKey, publicKey }, trusted: { keyId: keyIdOf(publicKey), publicKey } };
}

const day = (d: number) => new Date(Date.UTC(2025, 0, d)).toISOString();

function history(path: string, runs: { id: string; day: number; version: string; fail?: boolean }[]): void {
  const h = openHistory(path);
  for (const r of runs) h.appendRun(makeRun({ id: r.id, version: r.version, startedAt: day(r.day), targets: r.fail ? { 'debian-11-5.10': { status: 'fail' } } : {} }));
  h.close();
}

const problems = (path: string, opts: Parameters<ReturnType<typeof openHistory>['verify']>[0] = {}) => {
  const h = openHistory(path);
  try {
    return h.verify(opts).mismatches.map((m) => `${m.table} ${m.key}: ${m.problem}`);
  } finally {
    h.close();
  }
};

test('sign signs each run once per key; verify holds against the trusted key and refuses an untrusted one, naming the run', () => {
  const dir = tempDir();
  const path = join(dir, 'h.sqlite');
  history(path, [{ id: 'r-1', day: 1, version: 'v1' }, { id: 'r-2', day: 2, version: 'v2', fail: true }]);
  const k = newKey();
  const other = newKey();
  const h = openHistory(path);
  assert.equal(h.schemaVersion, 7);
  assert.deepEqual(h.sign(k.signing).signed, ['r-1', 'r-2']);
  const again = h.sign(k.signing);
  assert.deepEqual([again.signed, again.already], [[], 2]);
  const rep = h.verify({ trusted: [k.trusted], requireSigned: true });
  assert.equal(rep.ok, true, JSON.stringify(rep.mismatches));
  assert.equal(rep.checked.signatures, 2);
  assert.equal(rep.checked.signed_runs, 2);
  h.close();
  assert.deepEqual(problems(path, { trusted: [other.trusted] }), [
    `signatures run r-1: signed by untrusted key ${k.signing.keyId.slice(0, 16)}`,
    `signatures run r-2: signed by untrusted key ${k.signing.keyId.slice(0, 16)}`,
  ]);
  // A run appended later and not signed: fine unless signatures are required.
  history(path, [{ id: 'r-3', day: 3, version: 'v3' }]);
  assert.deepEqual(problems(path, { trusted: [k.trusted] }), []);
  assert.deepEqual(problems(path, { trusted: [k.trusted], requireSigned: true }), ['signatures run r-3: no good signature by a trusted key']);
  assert.deepEqual(problems(path, { requireSigned: true }), ['signatures run r-3: not signed']);
});

test('one changed byte after signing is caught and names the run: a verdict column, a run field, the signature', () => {
  const dir = tempDir();
  const k = newKey();
  const fresh = (name: string) => {
    const path = join(dir, name);
    history(path, [{ id: 'r-1', day: 1, version: 'v1' }, { id: 'r-2', day: 2, version: 'v2', fail: true }]);
    const h = openHistory(path);
    h.sign(k.signing);
    h.close();
    return path;
  };
  const tamper = (path: string, sql: string) => {
    const db = new Database(path);
    assert.equal(db.prepare(sql).run().changes, 1, sql);
    db.close();
  };
  // r-2's failing target on 5.10 reads 'pass' now (the target JSON says fail: the column check and the signature both see it).
  const verdict = fresh('verdict.sqlite');
  tamper(verdict, "UPDATE targets SET status = 'pass' WHERE status = 'fail'");
  const v = problems(verdict, { trusted: [k.trusted] });
  assert.ok(v.some((p) => /^signatures run r-2: signature by key \w+ does not match the run's verdicts and result keys \(changed after signing\)$/.test(p)), v.join('\n'));
  assert.ok(!v.some((p) => p.startsWith('signatures run r-1')), 'the untouched run still verifies');
  // One byte of a run's own row: the version label.
  const label = fresh('label.sqlite');
  tamper(label, "UPDATE runs SET artifact_version = 'v3' WHERE id = 'r-1'");
  assert.deepEqual(problems(label, { trusted: [k.trusted] }), [`signatures run r-1: signature by key ${k.signing.keyId.slice(0, 16)} does not match the run's verdicts and result keys (changed after signing)`]);
  // One byte of the signature itself.
  const sig = fresh('sig.sqlite');
  const db = new Database(sig);
  const s = db.prepare("SELECT signature FROM signatures WHERE run_id = 'r-2'").pluck().get() as string;
  const bytes = Buffer.from(s, 'base64');
  bytes[10] = bytes[10]! ^ 1;
  db.prepare("UPDATE signatures SET signature = ? WHERE run_id = 'r-2'").run(bytes.toString('base64'));
  db.close();
  assert.deepEqual(problems(sig, { trusted: [k.trusted] }), [`signatures run r-2: signature by key ${k.signing.keyId.slice(0, 16)} does not match the run's verdicts and result keys (changed after signing)`]);
  // A key swapped in with a forged signature is an untrusted key, whatever it signed.
  const forged = fresh('forged.sqlite');
  const mallory = newKey();
  const f = openHistory(forged);
  f.sign(mallory.signing);
  f.close();
  assert.deepEqual(problems(forged, { trusted: [k.trusted] }), [
    `signatures run r-1: signed by untrusted key ${mallory.signing.keyId.slice(0, 16)}`,
    `signatures run r-2: signed by untrusted key ${mallory.signing.keyId.slice(0, 16)}`,
  ]);
});

test('merging signed shards keeps every signature (first source copied and later sources attached), in either order', () => {
  const dir = tempDir();
  const k = newKey();
  const a = join(dir, 'a.sqlite');
  const b = join(dir, 'b.sqlite');
  history(a, [{ id: 'a-1', day: 1, version: 'v1' }, { id: 'shared', day: 5, version: 'v2' }]);
  history(b, [{ id: 'b-1', day: 2, version: 'v1', fail: true }, { id: 'shared', day: 5, version: 'v2' }]);
  for (const p of [a, b]) {
    const h = openHistory(p);
    h.sign(k.signing);
    h.close();
  }
  const ab = join(dir, 'ab.sqlite');
  const ba = join(dir, 'ba.sqlite');
  mergeHistories([a, b], ab);
  mergeHistories([b, a], ba);
  for (const p of [ab, ba]) {
    const h = openHistory(p);
    const rep = h.verify({ trusted: [k.trusted], requireSigned: true });
    assert.equal(rep.ok, true, `${p}: ${JSON.stringify(rep.mismatches)}`);
    assert.equal(h.counts().signatures, 3);
    assert.deepEqual([...h.goodSignatures().keys()].sort(), ['a-1', 'b-1', 'shared']);
    h.close();
  }
  const digest = (p: string) => {
    const h = openHistory(p);
    try {
      return h.contentDigest();
    } finally {
      h.close();
    }
  };
  assert.equal(digest(ab), digest(ba), 'signatures are part of the content digest and merge the same in either order');
});
