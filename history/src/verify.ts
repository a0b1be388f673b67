import type Database from 'better-sqlite3';
import { decompressText } from './codec.ts';
import { naturalSelect } from './logical.ts';
import { resultKey, sha256Hex, warningCode, type MachineInputs } from './hash.ts';
import { TABLES, TargetDecoder } from './queries.ts';
import type { VerifyMismatch, VerifyReport } from './types.ts';

// Re-derives every content address from the stored bytes. A mismatch means the file was edited or
// damaged outside bpfcompat (or a producer hashed differently); the CLI exits 1 on any.

export function verifyHistory(db: Database.Database): VerifyReport {
  const mismatches: VerifyMismatch[] = [];
  const checked: Record<string, number> = { logs: 0, targets: 0, manifests: 0, results: 0, dictionaries: 0 };
  for (const row of db.prepare('SELECT id, sha256, data FROM dictionaries').iterate() as IterableIterator<{ id: number; sha256: string; data: Buffer }>) {
    checked.dictionaries!++;
    const actual = sha256Hex(row.data);
    if (actual !== row.sha256) mismatches.push({ table: 'dictionaries', key: String(row.id), problem: `content hashes to ${actual}` });
  }
  const decoder = new TargetDecoder(db);
  const blobs = (table: 'logs' | 'targets') => {
    const sql = table === 'logs' ? 'SELECT sha256, NULL AS dictionary, data FROM logs'
      : 'SELECT sha256, dictionary, data, status, failed_stage, classification_code, confidence, reason, kernel_btf, accel, warning_code FROM targets';
    for (const row of db.prepare(sql).iterate() as IterableIterator<{ sha256: string; dictionary: number | null; data: Buffer } & Record<string, unknown>>) {
      checked[table]!++;
      let text: string;
      try {
        text = table === 'logs' ? decompressText(row.data) : decoder.decode(row.dictionary, row.data);
      } catch (err) {
        mismatches.push({ table, key: row.sha256, problem: `cannot decompress: ${(err as Error).message}` });
        continue;
      }
      const actual = sha256Hex(text);
      if (actual !== row.sha256) mismatches.push({ table, key: row.sha256, problem: `content hashes to ${actual}` });
      else if (table === 'targets' && row.status !== null) {
        const stale = verdictColumnsDiffer(row, JSON.parse(text) as Record<string, unknown>);
        if (stale) mismatches.push({ table, key: row.sha256, problem: `column ${stale} disagrees with the stored target JSON` });
      }
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
  const results = db.prepare('SELECT result_key, artifact_sha256, kernel_sha256, validator_sha256, manifest_sha256, mode, machine FROM results').iterate() as IterableIterator<Record<string, string | null>>;
  for (const r of results) {
    checked.results!++;
    const machine = r.machine === null || r.machine === undefined ? undefined : (JSON.parse(r.machine) as MachineInputs);
    const actual = resultKey({ artifact: r.artifact_sha256!, kernel: r.kernel_sha256!, validator: r.validator_sha256!, manifest: r.manifest_sha256 ?? null, mode: r.mode!, machine });
    if (actual !== r.result_key) mismatches.push({ table: 'results', key: String(r.result_key), problem: `inputs hash to ${actual}` });
  }
  // targets.sha256 and results.result_key are unique by the writers, not by an index (migration 4).
  for (const [table, key] of [['targets', 'sha256'], ['results', 'result_key']] as const) {
    for (const row of db.prepare(`SELECT ${key} AS k, count(*) AS n FROM ${table} GROUP BY substr(${key}, 1, 16), ${key} HAVING n > 1`).iterate() as IterableIterator<{ k: string; n: number }>) {
      mismatches.push({ table, key: row.k, problem: `stored ${row.n} times` });
    }
  }
  for (const fk of db.pragma('foreign_key_check') as { table: string; rowid: number | null; parent: string }[]) {
    mismatches.push({ table: fk.table, key: String(fk.rowid ?? ''), problem: `dangling reference to ${fk.parent}` });
  }
  // References inside packed member sets (migration 4) are not declared foreign keys: checked here, once per set.
  for (const row of db.prepare(DANGLING_MEMBERS).iterate() as IterableIterator<{ set_id: number; profile_id: string; parent: string }>) {
    mismatches.push({ table: 'run_results', key: `member set ${row.set_id} profile ${row.profile_id}`, problem: `dangling reference to ${row.parent}` });
  }
  const danglingCells = db.prepare(`SELECT l.artifact_name, c.value->>0 AS profile_id FROM latest_by_artifact l JOIN json_each(l.cells, '$.cells') c
    WHERE NOT EXISTS (SELECT 1 FROM kernels k WHERE k.id = c.value->>6) ORDER BY 1, 2`).all() as { artifact_name: string; profile_id: string }[];
  for (const row of danglingCells) {
    mismatches.push({ table: 'latest_verdicts', key: `${row.artifact_name} profile ${row.profile_id}`, problem: 'dangling reference to kernels' });
  }
  // Each latest cell copies its run member's verdict (status, code, confidence, key): a copy that disagrees would
  // show the site and latest_verdicts a verdict no stored target holds.
  for (const row of db.prepare(STALE_LATEST).iterate() as IterableIterator<{ artifact_name: string; profile_id: string; problem: string }>) {
    mismatches.push({ table: 'latest_verdicts', key: `${row.artifact_name} profile ${row.profile_id}`, problem: row.problem });
  }
  return { ok: mismatches.length === 0, checked, mismatches };
}

const STALE_LATEST = `SELECT artifact_name, profile_id, CASE
      WHEN member_profile IS NULL THEN 'no member of run ' || run_id || ' for this profile'
      WHEN target_id IS NULL OR member_key IS NULL THEN NULL -- a dangling reference, reported above
      WHEN status IS NOT target_status THEN 'status ' || status || ' but its target says ' || target_status
      WHEN code IS NOT target_code THEN 'classification_code ' || ifnull(code, 'null') || ' but its target says ' || ifnull(target_code, 'null')
      WHEN confidence IS NOT target_confidence THEN 'confidence ' || ifnull(confidence, 'null') || ' but its target says ' || ifnull(target_confidence, 'null')
      WHEN result_key IS NOT member_key THEN 'result_key differs from its member''s'
    END AS problem
  FROM (
    SELECT l.artifact_name, c.value->>0 AS profile_id, r.value->>0 AS run_id, c.value->>3 AS status, c.value->>4 AS code,
      c.value->>5 AS confidence, c.value->>7 AS result_key, t.status AS target_status, t.classification_code AS target_code,
      t.confidence AS target_confidence, res.result_key AS member_key, m.profile_id AS member_profile, t.id AS target_id
    FROM latest_by_artifact l JOIN json_each(l.cells, '$.cells') c JOIN json_each(l.cells, '$.runs') r ON r.key = c.value->>1
      LEFT JOIN runs ru ON ru.id = r.value->>0
      LEFT JOIN run_results m ON m.run = ru.seq AND m.profile_id = c.value->>0
      LEFT JOIN targets t ON t.id = m.target
      LEFT JOIN results res ON res.id = m.result)
  WHERE problem IS NOT NULL ORDER BY 1, 2`;

const DANGLING_MEMBERS = `SELECT set_id, profile_id, parent FROM (
    SELECT s.id AS set_id, j.value->>0 AS profile_id, CASE
      WHEN NOT EXISTS (SELECT 1 FROM results x WHERE x.id = j.value->>2) THEN 'results'
      WHEN NOT EXISTS (SELECT 1 FROM kernels x WHERE x.id = j.value->>5) THEN 'kernels'
      WHEN NOT EXISTS (SELECT 1 FROM targets x WHERE x.id = j.value->>6) THEN 'targets'
      WHEN j.value->>7 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM logs x WHERE x.sha256 = j.value->>7) THEN 'logs'
      WHEN j.value->>8 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM logs x WHERE x.sha256 = j.value->>8) THEN 'logs'
    END AS parent
    FROM member_sets s JOIN json_each(s.members) j)
  WHERE parent IS NOT NULL ORDER BY set_id, profile_id`;

/** The verdict columns of a targets row (migration 3) are copies of fields of its JSON: the first that differs, or null. */
function verdictColumnsDiffer(row: Record<string, unknown>, t: Record<string, unknown>): string | null {
  const expected: Record<string, unknown> = {
    status: t.status, failed_stage: t.failed_stage, classification_code: t.classification_code, confidence: t.classification_confidence,
    reason: t.classification_reason, kernel_btf: (t.btf as { kernel_btf_available?: boolean } | undefined)?.kernel_btf_available ? 1 : 0,
    accel: (t.vm as { accel?: string } | undefined)?.accel,
    warning_code: warningCode(t as { warnings?: { code: string }[] }),
  };
  for (const [col, value] of Object.entries(expected)) if ((value ?? null) !== row[col]) return col;
  return null;
}

/**
 * One sha256 over every row of every data table in natural-key order, with integer surrogate keys
 * resolved to the natural keys they stand for: two histories with the same digest hold the same facts,
 * whatever order their rows were appended or merged in. Used by merge tests and `history verify --json`.
 */
export function contentDigest(db: Database.Database): string {
  const lines: string[] = [];
  for (const table of TABLES) {
    lines.push(`#${table}`);
    for (const row of db.prepare(naturalSelect(db, table)).raw().iterate() as IterableIterator<unknown[]>) {
      lines.push(JSON.stringify(row.map((v) => (Buffer.isBuffer(v) ? sha256Hex(v) : v))));
    }
  }
  return sha256Hex(lines.join('\n'));
}
