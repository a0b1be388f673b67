import type Database from 'better-sqlite3';
import { TABLES } from './queries.ts';

// The natural form of each table: surrogate integer keys (migration 3) are local to one file, so
// anything compared across files (contentDigest, merge) reads and writes rows by their natural keys.

type Table = (typeof TABLES)[number];

/** Surrogate key column of the tables that have one. */
export const SURROGATE: Partial<Record<Table, string>> = { kernels: 'id', targets: 'id', runs: 'seq', results: 'id' };

/** Natural key columns, for ordering. */
const NATURAL_KEY: Partial<Record<Table, string>> = { kernels: 'sha256', targets: 'sha256', runs: 'id', results: 'result_key' };

/**
 * run_results with its references resolved to natural keys. It expands the member sets itself rather than
 * reading the run_results view: a view in an ATTACHed file would not be pinned to that file's tables.
 */
export const RUN_RESULTS_NATURAL = `SELECT r.id AS run_id, j.value->>0 AS profile_id, j.value->>1 AS required, res.result_key, j.value->>3 AS reused,
    j.value->>4 AS reused_from_run, k.sha256 AS kernel_sha256, t.sha256 AS target_sha256, j.value->>7 AS console_log_sha256,
    j.value->>8 AS verifier_log_sha256
  FROM SCHEMA.run_members rm JOIN SCHEMA.member_sets s ON s.id = rm.member_set JOIN json_each(s.members) j JOIN SCHEMA.runs r ON r.seq = rm.run
    JOIN SCHEMA.results res ON res.id = j.value->>2 JOIN SCHEMA.kernels k ON k.id = j.value->>5 JOIN SCHEMA.targets t ON t.id = j.value->>6`;

/** Column names of a table without its surrogate key. */
export function naturalColumns(db: Database.Database, table: Table, schema = 'main'): string[] {
  const surrogate = SURROGATE[table];
  return (db.pragma(`${schema}.table_info(${table})`) as { name: string }[]).map((c) => c.name).filter((c) => c !== surrogate);
}

/** A SELECT of every row of a table in natural form, ordered by its natural key. */
export function naturalSelect(db: Database.Database, table: Table): string {
  if (table === 'run_results') return `${RUN_RESULTS_NATURAL.replaceAll('SCHEMA.', 'main.')} ORDER BY r.id, profile_id`;
  const cols = db.pragma(`table_info(${table})`) as { name: string; pk: number }[];
  const natural = naturalColumns(db, table);
  const pk = NATURAL_KEY[table] ?? cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name).join(', ');
  return `SELECT ${natural.join(', ')} FROM ${table} ORDER BY ${pk || natural.join(', ')}`;
}
