import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { test } from 'node:test';
import { canonicalJson, sha256Hex } from './hash.ts';
import { openHistory, SCHEMA_VERSION } from './index.ts';
import { makeRun } from './testdata/factory.ts';
import { tempDir } from './testdata/tmp.ts';

// Manifest texts are content-addressed like every stored text: the key is the sha256 of the exact text.

const manifest = { programs: { handle_exec: { attach: 'tracepoint', target: 'sched/sched_process_exec' } }, maps: {}, version: 1 };

test('a manifest whose text does not hash to its key is refused and the run is not written', () => {
  const path = join(tempDir(), 'h.sqlite');
  const h = openHistory(path);
  const canonical = canonicalJson(manifest);
  const run = makeRun({ id: 'pretty', manifest: canonical });
  // The normalised manifest pretty-printed: the same manifest, not the text its key is the hash of.
  const pretty = { ...run, manifest: { sha256: sha256Hex(canonical), content: `${JSON.stringify(manifest, null, 2)}\n` } };
  assert.throws(() => h.appendRun(pretty), (err: Error) => /history not updated: manifest [0-9a-f]{64}: its content hashes to [0-9a-f]{64}/.test(err.message));
  assert.equal(h.counts().runs, 0);
  assert.equal(h.counts().manifests, 0);
  h.appendRun(run);
  assert.equal(h.verify().ok, true);
  h.close();
});

test('migration 5 repairs manifest texts that schema 4 stored under a hash of another text', () => {
  const path = join(tempDir(), 'h.sqlite');
  openHistory(path, { migrateTo: 4 }).close();
  const canonical = canonicalJson(manifest);
  const key = sha256Hex(canonical);
  const yamlKey = sha256Hex('normalised yaml manifest');
  const corrupt = sha256Hex('corrupt');
  const raw = new Database(path);
  // As schema-4 bpfcompat wrote them: a suite's pretty-printed manifest and `test --manifest`'s YAML file under
  // the canonical hash, a text that is neither, and a manifest stored without text.
  raw.prepare('INSERT INTO manifests (sha256, content) VALUES (?, ?), (?, ?), (?, ?), (?, NULL)').run(
    key, `${JSON.stringify(manifest, null, 2)}\n`, yamlKey, '# my probe\nname: execsnoop\nprograms: []\n', corrupt, 'x\u0000y', sha256Hex('absent'));
  raw.close();
  const h = openHistory(path);
  assert.equal(h.schemaVersion, SCHEMA_VERSION);
  const rows = new Database(path, { readonly: true });
  const content = (sha: string) => rows.prepare('SELECT content FROM manifests WHERE sha256 = ?').pluck().get(sha);
  assert.equal(content(key), canonical);
  assert.equal(content(yamlKey), null);
  assert.equal(content(corrupt), 'x\u0000y');
  assert.equal(content(sha256Hex('absent')), null);
  rows.close();
  // Only the text nothing explains is still reported.
  assert.deepEqual(h.verify().mismatches.map((m) => [m.table, m.key]), [['manifests', corrupt]]);
  h.close();
});
