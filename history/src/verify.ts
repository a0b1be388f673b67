import type Database from 'better-sqlite3';
import { decompressText } from './codec.ts';
import { resultKey, sha256Hex } from './hash.ts';
import { TABLES } from './queries.ts';
import type { VerifyMismatch, VerifyReport } from './types.ts';

// Re-derives every content address from the stored bytes. A mismatch means the file was edited or
// damaged outside bpfcompat (or a producer hashed differently); the CLI exits 1 on any.

export function verifyHistory(db: Database.Database): VerifyReport {
  const mismatches: VerifyMismatch[] = [];
  const checked: Record<string, number> = { logs: 0, targets: 0, manifests: 0, results: 0 };
  const blobs = (table: 'logs' | 'targets') => {
    for (const row of db.prepare(`SELECT sha256, data FROM ${table}`).iterate() as IterableIterator<{ sha256: string; data: Buffer }>) {
      checked[table]!++;
      let text: string;
      try {
        text = decompressText(row.data);
      } catch (err) {
        mismatches.push({ table, key: row.sha256, problem: `cannot decompress: ${(err as Error).message}` });
        continue;
      }
      const actual = sha256Hex(text);
      if (actual !== row.sha256) mismatches.push({ table, key: row.sha256, problem: `content hashes to ${actual}` });
    }
  };
  blobs('logs');
  blobs('targets');
  for (const row of db.prepare('SELECT sha256, content FROM manifests').iterate() as IterableIterator<{ sha256: string; content: string | null }>) {
    if (row.content === null) continue;
    checked.manifests!++;
    const actual = sha256Hex(row.content);
    if (actual !== row.sha256) mismatches.push({ table: 'manifests', key: row.sha256, problem: `content hashes to ${actual}` });
  }
  const results = db.prepare('SELECT result_key, artifact_sha256, kernel_sha256, validator_sha256, manifest_sha256, mode FROM results').iterate() as IterableIterator<Record<string, string | null>>;
  for (const r of results) {
    checked.results!++;
    const actual = resultKey({ artifact: r.artifact_sha256!, kernel: r.kernel_sha256!, validator: r.validator_sha256!, manifest: r.manifest_sha256 ?? null, mode: r.mode! });
    if (actual !== r.result_key) mismatches.push({ table: 'results', key: String(r.result_key), problem: `inputs hash to ${actual}` });
  }
  for (const fk of db.pragma('foreign_key_check') as { table: string; rowid: number | null; parent: string }[]) {
    mismatches.push({ table: fk.table, key: String(fk.rowid ?? ''), problem: `dangling reference to ${fk.parent}` });
  }
  return { ok: mismatches.length === 0, checked, mismatches };
}

/**
 * One sha256 over every row of every data table in primary-key order: two histories with the same
 * digest hold the same facts. Used by merge tests and `history verify --json`.
 */
export function contentDigest(db: Database.Database): string {
  const lines: string[] = [];
  for (const table of TABLES) {
    const cols = (db.pragma(`table_info(${table})`) as { name: string; pk: number }[]);
    const pk = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    const order = (pk.length ? pk : cols.map((c) => c.name)).join(', ');
    lines.push(`#${table}`);
    for (const row of db.prepare(`SELECT ${cols.map((c) => c.name).join(', ')} FROM ${table} ORDER BY ${order}`).raw().iterate() as IterableIterator<unknown[]>) {
      lines.push(JSON.stringify(row.map((v) => (Buffer.isBuffer(v) ? sha256Hex(v) : v))));
    }
  }
  return sha256Hex(lines.join('\n'));
}
