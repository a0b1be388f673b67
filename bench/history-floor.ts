import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { compressText } from '../history/src/codec.ts';
import { TARGET_DICTIONARY } from '../history/src/dictionary.ts';
import type { RunInput } from '../history/src/index.ts';

// The floor under history appends on this machine: the fewest rows any design with the history's contract
// writes, through raw better-sqlite3 with no bookkeeping. Per run: one run row with the three lookups the
// queries need (by id, by artifact version, by start time), its members as the id of a set stored once, and
// one rewrite of its artifact's latest-verdict row (the latest-per-cell query needs it). Per new verdict: one
// verdict row and one result row found by its key, a run's new target JSON deflated as one blob through
// history's codec. Left out, so no real design is below it: canonical JSON (plain JSON.stringify here),
// artifact, kernel and version rows, deduplication lookups of targets and of member sets not in memory,
// verdict pointers, logs, and the checks that refuse bad input. history.bench.ts runs it on the same inputs
// as bpfcompat's appender and prints both.

export interface FloorOptions {
  /** per-run rows only (run row and latest row): what remains when verdicts cost nothing */
  runsOnly?: boolean;
}

/** Appends the batches in one transaction each; returns the milliseconds spent inside the transactions. */
export function appendFloor(path: string, batches: Iterable<RunInput[]>, opts: FloorOptions = {}): number {
  for (const ext of ['', '-wal', '-shm']) rmSync(path + ext, { force: true });
  const db = new Database(path);
  // The pragmas history/src/database.ts sets.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  db.pragma('wal_autocheckpoint = 10000');
  db.exec(`
    CREATE TABLE runs (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
      duration_ms INTEGER NOT NULL, tool_version TEXT NOT NULL, matrix_name TEXT NOT NULL, matrix_path TEXT NOT NULL,
      artifact_name TEXT NOT NULL, artifact_version TEXT NOT NULL, artifact_variant TEXT, artifact_sha256 TEXT NOT NULL,
      validator_sha256 TEXT NOT NULL, manifest_sha256 TEXT, mode TEXT NOT NULL, validation_mode TEXT NOT NULL, accel TEXT NOT NULL,
      summary_status TEXT NOT NULL, exit_code INTEGER NOT NULL, total INTEGER NOT NULL, passed INTEGER NOT NULL, failed INTEGER NOT NULL,
      infra_errors INTEGER NOT NULL, required_passed INTEGER NOT NULL, required_failed INTEGER NOT NULL, reused INTEGER NOT NULL,
      git_revision TEXT, git_describe TEXT, ci TEXT, member_set INTEGER NOT NULL);
    CREATE INDEX runs_by_version ON runs(artifact_name, artifact_version, started_at);
    CREATE INDEX runs_by_start ON runs(started_at);
    CREATE TABLE member_sets (id INTEGER PRIMARY KEY, members TEXT NOT NULL);
    CREATE TABLE packs (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
    CREATE TABLE verdicts (id INTEGER PRIMARY KEY, pack INTEGER NOT NULL, idx INTEGER NOT NULL, sha256 TEXT NOT NULL, status TEXT NOT NULL,
      failed_stage TEXT, classification_code TEXT, confidence TEXT, reason TEXT);
    CREATE TABLE results (id INTEGER PRIMARY KEY, result_key TEXT NOT NULL, kernel_sha256 TEXT NOT NULL, first_run TEXT NOT NULL,
      verdict INTEGER);
    CREATE INDEX results_by_key ON results(substr(result_key, 1, 16));
    CREATE TABLE latest (artifact_name TEXT PRIMARY KEY, cells TEXT NOT NULL) WITHOUT ROWID;
  `);
  const s = {
    run: db.prepare(`INSERT INTO runs (id, started_at, finished_at, duration_ms, tool_version, matrix_name, matrix_path, artifact_name,
      artifact_version, artifact_variant, artifact_sha256, validator_sha256, manifest_sha256, mode, validation_mode, accel, summary_status,
      exit_code, total, passed, failed, infra_errors, required_passed, required_failed, reused, git_revision, git_describe, ci, member_set)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
    set: db.prepare('INSERT INTO member_sets (members) VALUES (?)'),
    pack: db.prepare('INSERT INTO packs (data) VALUES (?)'),
    verdict: db.prepare(`INSERT INTO verdicts (pack, idx, sha256, status, failed_stage, classification_code, confidence, reason)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    resultId: db.prepare('SELECT id FROM results WHERE substr(result_key, 1, 16) = substr(?, 1, 16) AND result_key = ?').pluck(),
    result: db.prepare('INSERT INTO results (result_key, kernel_sha256, first_run, verdict) VALUES (?, ?, ?, ?)'),
    latest: db.prepare('INSERT OR REPLACE INTO latest (artifact_name, cells) VALUES (?, ?)'),
  };
  /** member sets already written: runs that reuse every verdict repeat the previous run's set */
  const sets = new Map<string, number>();
  let ms = 0;
  for (const batch of batches) {
    const start = performance.now();
    db.transaction(() => {
      for (const input of batch) {
        const { run: r, artifact: a, summary: sm } = input;
        const members: unknown[] = [];
        const booted = opts.runsOnly ? [] : input.targets.filter((t) => !t.reused);
        let pack = 0;
        if (booted.length > 0) {
          const jsons = booted.map((t) => JSON.stringify(t));
          pack = Number(s.pack.run(compressText(`[${jsons.join(',')}]`, TARGET_DICTIONARY.data)).lastInsertRowid);
          booted.forEach((t, i) => {
            const verdict = s.verdict.run(pack, i, createHash('sha256').update(jsons[i]!).digest('hex'), t.status, t.failed_stage,
              t.classification_code, t.classification_confidence, t.classification_reason).lastInsertRowid;
            const result = s.resultId.get(t.result_key, t.result_key) ?? s.result.run(t.result_key, t.kernel.sha256, r.id, verdict).lastInsertRowid;
            members.push([t.profile_id, result, verdict]);
          });
        }
        for (const t of input.targets) if (t.reused) members.push([t.profile_id, t.result_key, t.reused_from_run]);
        const json = JSON.stringify(members);
        let set = sets.get(json);
        if (set === undefined) {
          set = Number(s.set.run(json).lastInsertRowid);
          sets.set(json, set);
        }
        s.run.run(r.id, r.started_at, r.finished_at, r.duration_ms, input.tool.version, input.matrix.name, input.matrix.path, a.name,
          a.version, a.variant, a.sha256, input.validator.sha256, input.manifest?.sha256 ?? null, input.mode, input.validation_mode, r.accel,
          sm.status, sm.exit_code, sm.total, sm.passed, sm.failed, sm.infra_errors, sm.required_passed, sm.required_failed, sm.reused,
          r.git?.revision ?? null, r.git?.describe ?? null, r.ci ? JSON.stringify(r.ci) : null, set);
        s.latest.run(a.name, JSON.stringify({ run: [r.id, r.started_at, a.version, a.variant],
          cells: input.targets.map((t) => [t.profile_id, t.required ? 1 : 0, t.status, t.classification_code, t.classification_confidence, t.result_key]) }));
      }
    }).immediate();
    ms += performance.now() - start;
  }
  db.close();
  for (const ext of ['', '-wal', '-shm']) rmSync(path + ext, { force: true });
  return ms;
}
