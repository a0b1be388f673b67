import type Database from 'better-sqlite3';
import { existsSync, linkSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { dropNewSidecars, openDatabase, sidecars } from './database.ts';
import { verifyHistory } from './verify.ts';
import { writeError } from './errors.ts';
import { BpfcompatError } from './errors.ts';
import { naturalColumns, SURROGATE } from './logical.ts';
import { mergeLatest } from './latest.ts';
import { MemberStore, type MemberRow } from './members.ts';
import { Queries, TABLES } from './queries.ts';

// Merges shard histories into one. Content-addressed rows are INSERT OR IGNORE; runs and their members
// are keyed by run id; the few derived columns resolve deterministically (earliest first_seen/first run,
// newest latest verdict), so merging is idempotent and the result does not depend on source order.
// Integer surrogate keys are local to each file: rows are copied by natural key and run_results'
// references are mapped through the natural keys of the source into the ids of the destination.

export interface MergeResult {
  into: string;
  sources: number;
  /** rows added per table over all sources */
  added: Record<string, number>;
}

/** How each table's rows combine on a key collision. */
const CONFLICT: Record<(typeof TABLES)[number], string> = {
  artifacts: 'DO NOTHING',
  kernels: '(sha256) DO NOTHING',
  validators: 'DO NOTHING',
  manifests: 'DO UPDATE SET content = excluded.content WHERE content IS NULL AND excluded.content IS NOT NULL',
  logs: 'DO NOTHING',
  dictionaries: 'DO NOTHING',
  targets: 'DO NOTHING', // no UNIQUE index on the hash (migration 4): see copyByHash
  runs: '(id) DO NOTHING',
  artifact_versions: `DO UPDATE SET first_seen_run = excluded.first_seen_run, first_seen_at = excluded.first_seen_at
    WHERE (excluded.first_seen_at, excluded.first_seen_run) < (artifact_versions.first_seen_at, artifact_versions.first_seen_run)`,
  results: 'DO NOTHING', // no UNIQUE index on the key (migration 4): see copyByHash
  run_results: 'DO NOTHING', // a view: see copyMembers
  latest_verdicts: 'DO NOTHING', // a view: see mergeLatest
  // A run's content is the same in every file and Ed25519 signatures are deterministic: a run signed by one key in
  // two shards differs only in when, and the earlier signing is kept.
  signatures: `DO UPDATE SET signed_at = excluded.signed_at, public_key = excluded.public_key, statement_sha256 = excluded.statement_sha256,
    signature = excluded.signature WHERE excluded.signed_at < signatures.signed_at`,
};

/**
 * Members of the source's runs that the destination lacks, their references mapped from the source's
 * ids to the destination's, in run order then profile id (a run's members are contiguous). The CROSS
 * JOINs fix the loop order: the source's runs outermost, a run the destination already has members for
 * skipped before its set is expanded, then the lookups by natural key. Left to itself the planner scanned
 * every run of the destination and built a temporary index over its results, so merging a 200-run shard
 * into a history of 100,000 runs cost a second whatever the shard's size. Member JSON columns as in
 * members.ts and logical.ts.
 */
export const RUN_RESULTS_MAPPED = `SELECT mr.seq, mr.id, j.value->>0 AS profile_id, j.value->>1, mres.id, j.value->>3, j.value->>4, mk.id, mt.id,
    j.value->>7, j.value->>8
  FROM src.runs r
    CROSS JOIN main.runs mr ON mr.id = r.id
    CROSS JOIN src.run_members rm ON rm.run = r.seq
    CROSS JOIN src.member_sets ss ON ss.id = rm.member_set
    CROSS JOIN json_each(ss.members) j
    CROSS JOIN src.results res ON res.id = j.value->>2
    CROSS JOIN src.kernels k ON k.id = j.value->>5
    CROSS JOIN src.targets t ON t.id = j.value->>6
    CROSS JOIN main.results mres ON substr(mres.result_key, 1, 16) = substr(res.result_key, 1, 16) AND mres.result_key = res.result_key
    CROSS JOIN main.kernels mk ON mk.sha256 = k.sha256
    CROSS JOIN main.targets mt ON substr(mt.sha256, 1, 16) = substr(t.sha256, 1, 16) AND mt.sha256 = t.sha256
  WHERE NOT EXISTS (SELECT 1 FROM main.run_members x WHERE x.run = mr.seq)
  ORDER BY mr.seq, profile_id`;

/** Copies the missing runs' members (packed per run, see members.ts); returns the member rows added. */
function copyMembers(db: Database.Database, into: string): number {
  const store = new MemberStore(db, into);
  // Read fully before writing: the statement reads main.run_members, which the writes change.
  const rows = db.prepare(RUN_RESULTS_MAPPED).raw().all() as [number, string, ...MemberRow][];
  let i = 0;
  while (i < rows.length) {
    const [seq, runId] = rows[i]!;
    const members: MemberRow[] = [];
    for (; i < rows.length && rows[i]![0] === seq; i++) members.push(rows[i]!.slice(2) as MemberRow);
    store.store(seq, runId, members);
  }
  return rows.length;
}

/**
 * The reusable verdict of each result is the better of the two files' (each is the best of its file):
 * the same order as the appender's better(), so the outcome is independent of merge order.
 */
export const VERDICT_POINTERS = `UPDATE main.results AS m SET verdict_run_id = s.verdict_run_id, verdict_profile = s.verdict_profile,
    verdict_at = s.verdict_at, verdict_reused = s.verdict_reused
  FROM src.results AS s
  WHERE substr(s.result_key, 1, 16) = substr(m.result_key, 1, 16) AND s.result_key = m.result_key AND s.verdict_run_id IS NOT NULL AND (m.verdict_run_id IS NULL OR s.verdict_reused < m.verdict_reused
    OR (s.verdict_reused = m.verdict_reused AND ((s.verdict_at, s.verdict_run_id) > (m.verdict_at, m.verdict_run_id)
      OR ((s.verdict_at, s.verdict_run_id) = (m.verdict_at, m.verdict_run_id) AND s.verdict_profile < m.verdict_profile))))`;

/**
 * Results the source saw earlier than the destination did: the source's rows outermost (CROSS JOIN), then
 * an update by id. As an UPDATE … FROM, the planner scanned every result of the destination however small
 * the source.
 */
export const EARLIER_SIGHTINGS = `SELECT m.id, s.first_run_id, s.created_at FROM src.results AS s
  CROSS JOIN main.results AS m ON substr(m.result_key, 1, 16) = substr(s.result_key, 1, 16) AND m.result_key = s.result_key
  WHERE (s.created_at, s.first_run_id) < (m.created_at, m.first_run_id)`;

/**
 * targets and results are unique by a hash that has no UNIQUE index (migration 4, found through an index on
 * its 16-character prefix): rows the destination lacks are inserted, and a result keeps the earliest
 * (created_at, first run) of the two files.
 */
function copyByHash(db: Database.Database, t: 'targets' | 'results'): number {
  const cols = naturalColumns(db, t).join(', ');
  let changes = 0;
  if (t === 'results') {
    const earlier = db.prepare(EARLIER_SIGHTINGS).raw().all() as [number, string, string][];
    const update = db.prepare('UPDATE main.results SET first_run_id = ?, created_at = ? WHERE id = ?');
    for (const [id, run, at] of earlier) changes += update.run(run, at, id).changes;
  }
  return changes + db.prepare(insertMissingSql(t, cols)).run().changes;
}

/** Copies the rows of src's targets or results whose hash main lacks, in the source's id order. */
export function insertMissingSql(t: 'targets' | 'results', cols: string): string {
  const key = t === 'targets' ? 'sha256' : 'result_key';
  return `INSERT INTO main.${t} (${cols}) SELECT ${cols} FROM src.${t} AS s
    WHERE NOT EXISTS (SELECT 1 FROM main.${t} AS m WHERE substr(m.${key}, 1, 16) = substr(s.${key}, 1, 16) AND m.${key} = s.${key})
    ORDER BY s.id`;
}

function copyTable(db: Database.Database, t: (typeof TABLES)[number], into: string): number {
  if (t === 'latest_verdicts') return mergeLatest(db); // a view over latest_by_artifact (latest.ts)
  if (t === 'targets' || t === 'results') return copyByHash(db, t);
  if (t === 'run_results') {
    const n = copyMembers(db, into);
    db.prepare(VERDICT_POINTERS).run();
    return n;
  }
  const cols = naturalColumns(db, t).join(', ');
  // The WHERE true keeps SQLite from reading ON CONFLICT as a join constraint of the SELECT.
  const order = SURROGATE[t] === undefined ? '' : ` ORDER BY ${SURROGATE[t]}`;
  return db.prepare(`INSERT INTO main.${t} (${cols}) SELECT ${cols} FROM src.${t} WHERE true${order} ON CONFLICT ${CONFLICT[t]}`).run().changes;
}

/** A dictionary id names fixed bytes; a source that disagrees would make its blobs undecodable here. */
function checkDictionaries(db: Database.Database, src: string, into: string): void {
  const clash = db.prepare('SELECT s.id FROM src.dictionaries s JOIN main.dictionaries m ON m.id = s.id WHERE m.sha256 != s.sha256 LIMIT 1').pluck().get();
  if (clash !== undefined) {
    throw new BpfcompatError('HISTORY', `${src}: target dictionary ${String(clash)} differs from the one in ${into}; nothing merged from it`, {
      hint: 'a shipped dictionary was edited; merge with the bpfcompat version that wrote these histories',
    });
  }
}

/**
 * Merging into a file that does not exist yet starts from a copy of the first source (VACUUM INTO, written
 * beside `into` and linked into place, so a crash leaves no half file and an `into` created meanwhile is
 * never overwritten). A copy has the same rows as a merge into an empty file, in seconds instead of a
 * row-by-row rebuild (a million results: ~2 s instead of ~25 s). Returns the rows it holds, or null when
 * `into` exists.
 */
function copyFirst(src: string, into: string): Record<string, number> | null {
  if (existsSync(into)) return null;
  try {
    mkdirSync(dirname(into), { recursive: true });
  } catch (err) {
    throw writeError(into, err);
  }
  const tmp = join(dirname(into), `.${basename(into)}.merge-${process.pid}.tmp`);
  rmSync(tmp, { force: true });
  try {
    const db = openDatabase(src, { readonly: true });
    try {
      db.prepare('VACUUM INTO ?').run(tmp);
    } finally {
      db.close();
    }
    try {
      linkSync(tmp, into);
    } catch {
      // `into` appeared meanwhile (EEXIST), or the file system has no hard links: merge row by row instead.
      return null;
    }
  } catch (err) {
    throw writeError(into, err);
  } finally {
    rmSync(tmp, { force: true });
  }
  const db = openDatabase(into);
  try {
    return new Queries(db).counts();
  } finally {
    db.close();
  }
}

/**
 * Every row a merge would import is re-derived from its content first (the checks of `history verify`, stored
 * verdict columns and latest cells included): shards are what CI jobs upload, and one edited row must not spread.
 * One bad source refuses the whole merge before the destination is touched.
 */
function verifySource(src: string): void {
  const before = sidecars(src);
  const db = openDatabase(src, { readonly: true });
  let report;
  try {
    report = verifyHistory(db);
  } finally {
    db.close();
    dropNewSidecars(src, before);
  }
  if (!report.ok) {
    const m = report.mismatches[0]!;
    throw new BpfcompatError('HISTORY_CORRUPT', `${src}: fails verification (${report.mismatches.length} mismatch${report.mismatches.length === 1 ? '' : 'es'}, first: ${m.table} ${m.key}: ${m.problem}); nothing merged`, {
      hint: `see 'bpfcompat history verify --history ${src}'; merge only histories that verify`,
    });
  }
}

/** A source that is the destination itself would wait on its own lock: refused at once. */
function refuseSelfMerge(sources: readonly string[], into: string): void {
  if (!existsSync(into)) return;
  const dest = realpathSync(into);
  for (const src of sources) {
    if (existsSync(src) && realpathSync(src) === dest) {
      throw new BpfcompatError('USAGE', `history merge: ${src} is the destination ${into} itself`, { hint: 'name the shards to merge and a different --into' });
    }
  }
}

export function mergeHistories(sources: readonly string[], into: string): MergeResult {
  refuseSelfMerge(sources, into);
  // Each source is checked (header, schema version, every content address) read-only, before anything is written.
  for (const src of sources) verifySource(src);
  const copied = sources.length > 0 ? copyFirst(sources[0]!, into) : null;
  const db = openDatabase(into);
  const added: Record<string, number> = copied ?? Object.fromEntries(TABLES.map((t) => [t, 0]));
  try {
    for (const src of copied === null ? sources : sources.slice(1)) {
      db.prepare('ATTACH DATABASE ? AS src').run(src);
      try {
        db.transaction(() => {
          checkDictionaries(db, src, into);
          for (const t of TABLES) added[t]! += copyTable(db, t, into);
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
