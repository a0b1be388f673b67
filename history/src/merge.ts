import type Database from 'better-sqlite3';
import { openDatabase } from './database.ts';
import { writeError } from './errors.ts';
import { TABLES } from './queries.ts';

// Merges shard histories into one. Content-addressed rows are INSERT OR IGNORE; runs and their members
// are keyed by run id; the few derived columns resolve deterministically (earliest first_seen/first run,
// newest latest verdict), so merging is idempotent and the result does not depend on source order.

export interface MergeResult {
  into: string;
  sources: number;
  /** rows added per table over all sources */
  added: Record<string, number>;
}

/** How each table's rows combine on a key collision. */
const CONFLICT: Record<(typeof TABLES)[number], string> = {
  artifacts: 'DO NOTHING',
  kernels: 'DO NOTHING',
  validators: 'DO NOTHING',
  manifests: 'DO UPDATE SET content = excluded.content WHERE content IS NULL AND excluded.content IS NOT NULL',
  logs: 'DO NOTHING',
  targets: 'DO NOTHING',
  runs: 'DO NOTHING',
  artifact_versions: `DO UPDATE SET first_seen_run = excluded.first_seen_run, first_seen_at = excluded.first_seen_at
    WHERE (excluded.first_seen_at, excluded.first_seen_run) < (artifact_versions.first_seen_at, artifact_versions.first_seen_run)`,
  results: `DO UPDATE SET first_run_id = excluded.first_run_id, created_at = excluded.created_at
    WHERE (excluded.created_at, excluded.first_run_id) < (results.created_at, results.first_run_id)`,
  run_results: 'DO NOTHING',
  latest_verdicts: `DO UPDATE SET run_id = excluded.run_id, started_at = excluded.started_at, version = excluded.version, variant = excluded.variant,
    required = excluded.required, status = excluded.status, classification_code = excluded.classification_code, confidence = excluded.confidence,
    kernel_sha256 = excluded.kernel_sha256, kernel_release = excluded.kernel_release, result_key = excluded.result_key
    WHERE (excluded.started_at, excluded.run_id) > (latest_verdicts.started_at, latest_verdicts.run_id)`,
};

function columns(db: Database.Database, table: string): string {
  return (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name).join(', ');
}

export function mergeHistories(sources: readonly string[], into: string): MergeResult {
  // Each source is checked (header, schema version) the same way as any history, read-only.
  for (const src of sources) openDatabase(src, { readonly: true }).close();
  const db = openDatabase(into);
  const added: Record<string, number> = Object.fromEntries(TABLES.map((t) => [t, 0]));
  try {
    for (const src of sources) {
      db.prepare('ATTACH DATABASE ? AS src').run(src);
      try {
        db.transaction(() => {
          // The WHERE true keeps SQLite from reading ON CONFLICT as a join constraint of the SELECT.
          for (const t of TABLES) {
            const cols = columns(db, t);
            added[t]! += db.prepare(`INSERT INTO main.${t} (${cols}) SELECT ${cols} FROM src.${t} WHERE true ON CONFLICT ${CONFLICT[t]}`).run().changes;
          }
        }).immediate();
      } finally {
        db.exec('DETACH DATABASE src');
      }
    }
  } catch (err) {
    throw writeError(into, err);
  } finally {
    db.close();
  }
  return { into, sources: sources.length, added };
}
