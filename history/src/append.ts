import type Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { compressText } from './codec.ts';
import { BpfcompatError } from './errors.ts';
import { TARGET_DICTIONARY } from './dictionary.ts';
import { canonicalJson, machineColumn, machineOf, resultKey, sha256Hex, warningCode } from './hash.ts';
import { MemberStore, type MemberRow } from './members.ts';
import { decodeCells, encodeCells, latestStatements, offer, type Cell, type Cells } from './latest.ts';
import type { AppendResult, RunInput, RunLogs, TargetInput } from './types.ts';

// Appends runs. Every content-addressed row is INSERT OR IGNORE; a run id already present is skipped
// whole, so re-appending the same report is a no-op. The per-run fields of a target (profile, required,
// reused, reused_from_run) live in run_results; the stored target JSON is the verdict itself.

const PER_RUN_FIELDS = new Set(['profile_id', 'required', 'reused', 'reused_from_run']);

export function targetBlobJson(target: TargetInput): string {
  // A filtered copy rather than spread + delete: deleting keys turns the copy into a slow dictionary-mode object.
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(target)) if (!PER_RUN_FIELDS.has(k)) copy[k] = v;
  return canonicalJson(copy);
}

/** Prepared statements, built once per connection: the bench appends a million rows through them. */
export class Appender {
  private readonly db: Database.Database;
  private readonly s: ReturnType<typeof prepare>;
  /**
   * Facts known to be committed in this file, to skip statements on the hot path. Content-addressed
   * rows are never deleted, so their ids stay valid: tags of rows present, ids of kernels, results and
   * targets, the (created_at, run) each result and version was first seen at, verified result keys, and
   * the target of each (booted run, key). Cleared on rollback and when large; a miss only costs a statement.
   */
  private readonly known = new Set<string>();
  private readonly kernelIds = new Map<string, number>();
  private readonly resultIds = new Map<string, number>();
  private readonly targetIds = new Map<string, number>();
  private readonly firstSeen = new Map<string, string>();
  private readonly keyInputs = new Map<string, { prefix: string; kernel: string; machine: string | null }>();
  private readonly targetOf = new Map<string, Map<string, number>>();
  /** per result id, a lower bound of the stored reusable verdict (it only ever gets better) */
  private readonly verdictOf = new Map<number, Candidate>();
  /** packed run membership (migration 4) */
  private readonly members: MemberStore;
  private dictionaryReady = false;
  /**
   * Latest cells per artifact name (latest.ts), as stored: kept across transactions while no other
   * connection commits (PRAGMA data_version unchanged), dropped otherwise. Rows changed by the current
   * transaction are written once at its end.
   */
  private readonly latestCells = new Map<string, Cells>();
  private readonly latestDirty = new Set<string>();
  private readonly latest: ReturnType<typeof latestStatements>;
  private dataVersion: number | undefined;

  private readonly path: string;

  constructor(db: Database.Database, path: string) {
    this.db = db;
    this.path = path;
    this.s = prepare(db);
    this.members = new MemberStore(db, path);
    this.latest = latestStatements(db);
  }

  /** Appends runs in one transaction (one run for `bpfcompat test`, batches for imports). */
  appendMany(items: readonly { input: RunInput; logs?: RunLogs | undefined }[]): AppendResult[] {
    const cached = this.known.size + this.kernelIds.size + this.resultIds.size + this.targetIds.size + this.firstSeen.size + this.keyInputs.size
      + this.targetOf.size + this.verdictOf.size;
    if (cached > 2_000_000) this.forget();
    const tx = this.db.transaction(() => {
      // Another connection's commit may have changed latest cells this connection cached.
      const version = this.db.pragma('data_version', { simple: true }) as number;
      if (version !== this.dataVersion || this.latestCells.size > 100_000) this.latestCells.clear();
      this.dataVersion = version;
      this.latestDirty.clear();
      const results = items.map(({ input, logs }) => this.appendOne(input, logs ?? {}));
      for (const name of this.latestDirty) this.latest.write.run(name, encodeCells(this.latestCells.get(name)!));
      return results;
    });
    // Foreign keys are not enforced inside append transactions: every id written is read from this file
    // in the same transaction (or cached from a committed one; rows are never deleted), and the parent
    // lookups were a sixth of the cost of a bulk append. The constraints stay declared, so
    // verify() (foreign_key_check) still reports any dangling reference. The pragma cannot change
    // inside a transaction, so it is set around it.
    const enforced = this.db.pragma('foreign_keys', { simple: true }) === 1;
    if (enforced) this.db.pragma('foreign_keys = OFF');
    try {
      return tx.immediate();
    } catch (err) {
      this.forget();
      throw err;
    } finally {
      if (enforced) this.db.pragma('foreign_keys = ON');
    }
  }

  private forget(): void {
    this.known.clear();
    this.kernelIds.clear();
    this.resultIds.clear();
    this.targetIds.clear();
    this.verdictOf.clear();
    this.firstSeen.clear();
    this.keyInputs.clear();
    this.targetOf.clear();
    this.members.forget();
    this.latestCells.clear();
    this.dataVersion = undefined;
    this.dictionaryReady = false;
  }

  private once(tag: string, fn: () => void): void {
    if (this.known.has(tag)) return;
    fn();
    this.known.add(tag);
  }

  /**
   * Runs an earliest-sighting upsert only when (at, run) may be earlier than what is stored: a reused
   * verdict or a re-run version would otherwise rewrite nothing at the cost of a statement. The map holds
   * an upper bound of the stored (at, run) — after an upsert with m the stored value is min(old, m) <= m —
   * so a skip is always a no-op. '\0' sorts first, so the joined strings order as the SQL tuples do
   * (timestamps and run ids are ASCII, where UTF-16 and SQLite's byte order agree).
   */
  private earliest(tag: string, at: string, run: string, upsert: () => void): void {
    const mark = `${at}\0${run}`;
    const bound = this.firstSeen.get(tag);
    if (bound !== undefined && bound <= mark) return;
    upsert();
    this.firstSeen.set(tag, mark);
  }

  /** Folds the run's members into its artifact's latest cells (written at the end of the transaction). */
  private offerLatest(run: RunInput): void {
    const { name, version, variant } = run.artifact;
    let cells = this.latestCells.get(name);
    if (cells === undefined) {
      cells = decodeCells(this.latest.read.get(name) as string | undefined);
      this.latestCells.set(name, cells);
    }
    let changed = false;
    for (const t of run.targets) {
      const cell: Cell = [run.run.id, run.run.started_at, version, variant ?? null, t.required ? 1 : 0, t.status, t.classification_code,
        t.classification_confidence, this.kernelId(t), t.result_key];
      if (offer(cells, t.profile_id, cell)) changed = true;
    }
    if (changed) this.latestDirty.add(name);
  }

  private kernelId(t: TargetInput): number {
    let id = this.kernelIds.get(t.kernel.sha256);
    if (id === undefined) {
      this.s.kernel.run(t.kernel.sha256, t.kernel.release, canonicalJson(t.kernel.source));
      id = this.s.kernelId.get(t.kernel.sha256) as number;
      this.kernelIds.set(t.kernel.sha256, id);
    }
    return id;
  }

  private dictionary(): Buffer {
    if (!this.dictionaryReady) {
      const d = TARGET_DICTIONARY;
      this.s.dictionary.run(d.id, d.sha256, d.data);
      const stored = this.s.dictionarySha.get(d.id) as string;
      if (stored !== d.sha256) {
        throw new BpfcompatError('HISTORY', `${this.path}: history not updated: its target dictionary ${d.id} differs from this bpfcompat's (${stored} vs ${d.sha256})`, {
          hint: 'a shipped dictionary was edited; use the bpfcompat version that wrote this history',
        });
      }
      this.dictionaryReady = true;
    }
    return TARGET_DICTIONARY.data;
  }

  private targetId(t: TargetInput): number {
    const json = targetBlobJson(t);
    const sha = sha256Hex(json);
    let id = this.targetIds.get(sha);
    if (id === undefined) {
      // sha256 has no UNIQUE index (migration 4): the lookup through the short prefix index keeps it unique.
      id = this.s.targetId.get(sha, sha) as number | undefined;
      if (id === undefined) {
        id = Number(this.s.target.run(sha, TARGET_DICTIONARY.id, compressText(json, this.dictionary()), t.status, t.failed_stage, t.classification_code,
          t.classification_confidence, t.classification_reason, t.btf.kernel_btf_available ? 1 : 0, t.vm.accel, warningCode(t)).lastInsertRowid);
      }
      this.targetIds.set(sha, id);
    }
    return id;
  }

  private appendOne(run: RunInput, logs: RunLogs): AppendResult {
    const s = this.s;
    const r = run.run;
    const a = run.artifact;
    const manifestSha = run.manifest?.sha256 ?? null;
    const sm = run.summary;
    // The run row first: ON CONFLICT DO NOTHING doubles as the "already appended" check (no SELECT per run).
    // Foreign keys are off inside append transactions, so the parents below may follow it.
    const added = s.run.run(
      r.id, r.started_at, r.finished_at, r.duration_ms, run.tool.version, run.matrix.name, run.matrix.path,
      a.name, a.version, a.variant, a.sha256, run.validator.sha256, manifestSha, run.mode, run.validation_mode, r.accel,
      sm.status, sm.exit_code, sm.total, sm.passed, sm.failed, sm.infra_errors, sm.required_passed, sm.required_failed, sm.reused,
      r.git?.revision ?? null, r.git?.describe ?? null, r.ci ? canonicalJson(r.ci) : null, a.uri ?? null,
    );
    if (added.changes === 0) return { runId: r.id, newResults: 0, inserted: false };
    const seq = Number(added.lastInsertRowid);
    this.once(`a${a.sha256}`, () => s.artifact.run(a.sha256, a.identity, run.mode === 'command' ? 'command' : 'object', a.basename, a.size_bytes));
    this.once(`v${run.validator.sha256}`, () => s.validator.run(run.validator.sha256, run.validator.basename, run.validator.size_bytes));
    if (run.manifest) {
      const m = run.manifest;
      // Once with its text is final; without text, a later run may still bring it.
      if (!this.known.has(`m${m.sha256}`)) {
        // Content-addressed like every stored text: a text that does not hash to its key would fail verify forever.
        if (m.content !== undefined && sha256Hex(m.content) !== m.sha256) {
          throw new BpfcompatError('HISTORY', `${this.path}: history not updated: manifest ${m.sha256}: its content hashes to ${sha256Hex(m.content)}`, {
            hint: 'pass the exact normalised manifest text whose sha256 is the manifest hash (canonical JSON)',
          });
        }
        s.manifest.run(m.sha256, m.content ?? null);
        if (m.content !== undefined) this.known.add(`m${m.sha256}`);
      }
    }
    this.earliest(`V${a.name}\0${a.version}\0${a.variant ?? ''}\0${a.sha256}`, r.started_at, r.id,
      () => s.version.run(a.name, a.version, a.variant ?? '', a.sha256, r.id, r.started_at));
    let newResults = 0;
    const prefix = `${a.sha256}/${run.validator.sha256}/${manifestSha}/${run.validation_mode}`;
    const rows: MemberRow[] = [];
    const booted = new Map<string, number>();
    const withLogs = Object.keys(logs).length > 0;
    for (const t of run.targets) {
      const seen = this.keyInputs.get(t.result_key);
      const machine = machineOf(t.vm);
      const machineText = machineColumn(machine);
      const key = seen !== undefined && seen.prefix === prefix && seen.kernel === t.kernel.sha256 && seen.machine === machineText ? t.result_key
        : resultKey({ artifact: a.sha256, kernel: t.kernel.sha256, validator: run.validator.sha256, manifest: manifestSha, mode: run.validation_mode, machine });
      if (key !== t.result_key) {
        throw new BpfcompatError('HISTORY', `${this.path}: history not updated: target ${t.profile_id}: result_key ${t.result_key} is not the hash of its inputs (expected ${key})`, {
          hint: 'compute result keys with resultKey() from history/src/hash.ts',
        });
      }
      if (seen === undefined) this.keyInputs.set(key, { prefix, kernel: t.kernel.sha256, machine: machineText });
      const kernel = this.kernelId(t);
      const candidate: Candidate | null = t.status === 'infra_error' ? null : { reused: t.reused ? 1 : 0, at: r.started_at, run: r.id, profile: t.profile_id };
      this.earliest(key, r.started_at, r.id, () => {
        // result_key has no UNIQUE index (migration 4): look it up through the prefix index, then insert
        // or move its first sighting. Either counts as a new result, as the upsert did before.
        const id = this.resultIds.get(key) ?? (s.resultId.get(key, key) as number | undefined);
        if (id === undefined) {
          newResults++;
          // A new key's first verdict goes into the same row: no UPDATE below (it would rewrite the row just written).
          const added = Number(s.result.run(key, a.sha256, t.kernel.sha256, run.validator.sha256, manifestSha, run.validation_mode, r.id, r.started_at,
            candidate?.run ?? null, candidate?.profile ?? null, candidate?.at ?? null, candidate?.reused ?? null, machineText).lastInsertRowid);
          this.resultIds.set(key, added);
          if (candidate !== null) this.verdictOf.set(added, candidate);
        } else {
          this.resultIds.set(key, id);
          if (s.resultFirst.run({ run: r.id, at: r.started_at, id }).changes === 1) newResults++;
        }
      });
      let resultId = this.resultIds.get(key);
      if (resultId === undefined) {
        resultId = s.resultId.get(key, key) as number;
        this.resultIds.set(key, resultId);
      }
      // A reused verdict is the stored one: point at its blob instead of hashing and compressing it again.
      // reused_from_run always names the run that booted (lookupReusable resolves chains), so only those are remembered.
      let target: number | undefined;
      if (t.reused && t.reused_from_run !== null) {
        target = this.targetOf.get(t.reused_from_run)?.get(key) ?? (s.reusedTarget.get(t.reused_from_run, resultId) as number | undefined);
      }
      if (target === undefined) {
        target = this.targetId(t);
        if (!t.reused) booted.set(key, target);
      }
      if (candidate !== null) {
        const known = this.verdictOf.get(resultId);
        if (known === undefined || (known !== candidate && better(candidate, known))) {
          s.verdict.run({ ...candidate, id: resultId });
          this.verdictOf.set(resultId, candidate);
        }
      }
      rows.push([
        t.profile_id, t.required ? 1 : 0, resultId, t.reused ? 1 : 0, t.reused_from_run, kernel, target,
        withLogs ? storeLog(s, logs[t.profile_id]) : null, withLogs ? storeLog(s, logs[`${t.profile_id}#verifier`]) : null,
      ]);
    }
    if (booted.size > 0) this.targetOf.set(r.id, booted);
    this.members.store(seq, r.id, rows);
    this.offerLatest(run);
    if (process.env.BPFCOMPAT_HISTORY_TEST_HOLD) holdForTest(process.env.BPFCOMPAT_HISTORY_TEST_HOLD);
    return { runId: r.id, newResults, inserted: true };
  }
}

/** A run member that findReusable could return. */
interface Candidate {
  reused: number;
  at: string;
  run: string;
  profile: string;
}

/**
 * findReusable's order: a fresh boot before a reuse, then newest (started_at, run id), then the smallest
 * profile id. Strings compare as SQLite's BINARY collation does for ASCII (timestamps, run and profile ids).
 */
function better(a: Candidate, b: Candidate): boolean {
  if (a.reused !== b.reused) return a.reused < b.reused;
  if (a.at !== b.at) return a.at > b.at;
  if (a.run !== b.run) return a.run > b.run;
  return a.profile < b.profile;
}

function storeLog(s: ReturnType<typeof prepare>, text: string | undefined): string | null {
  if (text === undefined) return null;
  const sha = sha256Hex(text);
  if (!s.logExists.get(sha)) s.log.run(sha, Buffer.byteLength(text), compressText(text));
  return sha;
}

/**
 * Test-only: signal that a run's rows are written but not committed, then block, so a test can
 * SIGKILL the process inside the transaction. Inert unless BPFCOMPAT_HISTORY_TEST_HOLD names a file.
 */
function holdForTest(markerPath: string): void {
  writeFileSync(markerPath, 'in-transaction\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
}

function prepare(db: Database.Database) {
  return {
    artifact: db.prepare('INSERT OR IGNORE INTO artifacts (sha256, identity, kind, basename, size) VALUES (?, ?, ?, ?, ?)'),
    validator: db.prepare('INSERT OR IGNORE INTO validators (sha256, basename, size) VALUES (?, ?, ?)'),
    // A manifest first stored without its text gains the text when a later run brings it.
    manifest: db.prepare('INSERT INTO manifests (sha256, content) VALUES (?, ?) ON CONFLICT(sha256) DO UPDATE SET content = excluded.content WHERE content IS NULL AND excluded.content IS NOT NULL'),
    kernel: db.prepare('INSERT OR IGNORE INTO kernels (sha256, release, source) VALUES (?, ?, ?)'),
    kernelId: db.prepare('SELECT id FROM kernels WHERE sha256 = ?').pluck(),
    dictionary: db.prepare('INSERT OR IGNORE INTO dictionaries (id, sha256, data) VALUES (?, ?, ?)'),
    dictionarySha: db.prepare('SELECT sha256 FROM dictionaries WHERE id = ?').pluck(),
    run: db.prepare(`INSERT INTO runs (id, started_at, finished_at, duration_ms, tool_version, matrix_name, matrix_path,
      artifact_name, artifact_version, artifact_variant, artifact_sha256, validator_sha256, manifest_sha256, mode, validation_mode, accel,
      summary_status, exit_code, total, passed, failed, infra_errors, required_passed, required_failed, reused, git_revision, git_describe, ci, artifact_uri)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
    // first_seen_* is the earliest (started_at, run id) that saw the row, whatever order runs arrive in.
    version: db.prepare(`INSERT INTO artifact_versions (name, version, variant, artifact_sha256, first_seen_run, first_seen_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT DO UPDATE SET first_seen_run = excluded.first_seen_run, first_seen_at = excluded.first_seen_at
      WHERE (excluded.first_seen_at, excluded.first_seen_run) < (artifact_versions.first_seen_at, artifact_versions.first_seen_run)`),
    // result_key and targets.sha256 are found through indexes on a 16-character prefix (migration 4);
    // the expression must be spelled as in the index for the planner to use it.
    result: db.prepare(`INSERT INTO results (result_key, artifact_sha256, kernel_sha256, validator_sha256, manifest_sha256, mode, first_run_id, created_at,
        verdict_run_id, verdict_profile, verdict_at, verdict_reused, machine)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    resultFirst: db.prepare(`UPDATE results SET first_run_id = @run, created_at = @at WHERE id = @id AND (@at, @run) < (created_at, first_run_id)`),
    resultId: db.prepare('SELECT id FROM results WHERE substr(result_key, 1, 16) = substr(?, 1, 16) AND result_key = ?').pluck(),
    // The pointer only moves to a better candidate: same order as better() below.
    verdict: db.prepare(`UPDATE results SET verdict_run_id = @run, verdict_profile = @profile, verdict_at = @at, verdict_reused = @reused
      WHERE id = @id AND (verdict_run_id IS NULL OR @reused < verdict_reused OR (@reused = verdict_reused AND
        ((@at, @run) > (verdict_at, verdict_run_id) OR ((@at, @run) = (verdict_at, verdict_run_id) AND @profile < verdict_profile))))`),
    reusedTarget: db.prepare('SELECT rr.target FROM runs r JOIN run_results rr ON rr.run = r.seq WHERE r.id = ? AND rr.result = ? LIMIT 1').pluck(),
    targetId: db.prepare('SELECT id FROM targets WHERE substr(sha256, 1, 16) = substr(?, 1, 16) AND sha256 = ?').pluck(),
    target: db.prepare(`INSERT INTO targets (sha256, dictionary, data, status, failed_stage, classification_code, confidence, reason, kernel_btf, accel, warning_code)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    logExists: db.prepare('SELECT 1 FROM logs WHERE sha256 = ?').pluck(),
    log: db.prepare('INSERT INTO logs (sha256, size, data) VALUES (?, ?, ?)'),
  };
}
