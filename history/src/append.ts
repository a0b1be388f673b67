import type Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { compressText } from './codec.ts';
import { BpfcompatError } from './errors.ts';
import { canonicalJson, resultKey, sha256Hex } from './hash.ts';
import type { AppendResult, RunInput, RunLogs, TargetInput } from './types.ts';

// Appends runs. Every content-addressed row is INSERT OR IGNORE; a run id already present is skipped
// whole, so re-appending the same report is a no-op. The per-run fields of a target (profile, required,
// reused, reused_from_run) live in run_results; the stored target JSON is the verdict itself.

const PER_RUN_FIELDS = ['profile_id', 'required', 'reused', 'reused_from_run'] as const;

export function targetBlobJson(target: TargetInput): string {
  const copy: Record<string, unknown> = { ...(target as unknown as Record<string, unknown>) };
  for (const f of PER_RUN_FIELDS) delete copy[f];
  return canonicalJson(copy);
}

/** Prepared statements, built once per connection: the bench appends a million rows through them. */
export class Appender {
  private readonly db: Database.Database;
  private readonly s: ReturnType<typeof prepare>;
  /**
   * Facts known to be committed in this file, to skip statements on the hot path: content-addressed rows
   * present (they are never deleted), verified result keys, and the blob of (run, key) pairs. Cleared on
   * rollback and when large; a miss only costs the statement.
   */
  private readonly known = new Set<string>();
  private readonly keyInputs = new Map<string, string>();
  private readonly blobOf = new Map<string, string>();

  private readonly path: string;

  constructor(db: Database.Database, path: string) {
    this.db = db;
    this.path = path;
    this.s = prepare(db);
  }

  /** Appends runs in one transaction (one run for `bpfcompat test`, batches for imports). */
  appendMany(items: readonly { input: RunInput; logs?: RunLogs | undefined }[]): AppendResult[] {
    if (this.known.size + this.keyInputs.size + this.blobOf.size > 500_000) this.forget();
    const tx = this.db.transaction(() => items.map(({ input, logs }) => this.appendOne(input, logs ?? {})));
    try {
      return tx.immediate();
    } catch (err) {
      this.forget();
      throw err;
    }
  }

  private forget(): void {
    this.known.clear();
    this.keyInputs.clear();
    this.blobOf.clear();
  }

  private once(tag: string, fn: () => void): void {
    if (this.known.has(tag)) return;
    fn();
    this.known.add(tag);
  }

  private appendOne(run: RunInput, logs: RunLogs): AppendResult {
    const s = this.s;
    const r = run.run;
    if (s.runExists.get(r.id)) return { runId: r.id, newResults: 0, inserted: false };
    const a = run.artifact;
    this.once(`a${a.sha256}`, () => s.artifact.run(a.sha256, a.identity, run.mode === 'command' ? 'command' : 'object', a.basename, a.size_bytes));
    this.once(`v${run.validator.sha256}`, () => s.validator.run(run.validator.sha256, run.validator.basename, run.validator.size_bytes));
    const manifestSha = run.manifest?.sha256 ?? null;
    if (run.manifest) s.manifest.run(run.manifest.sha256, run.manifest.content ?? null);
    const sm = run.summary;
    s.run.run(
      r.id, r.started_at, r.finished_at, r.duration_ms, run.tool.version, run.matrix.name, run.matrix.path,
      a.name, a.version, a.variant, a.sha256, run.validator.sha256, manifestSha, run.mode, run.validation_mode, r.accel,
      sm.status, sm.exit_code, sm.total, sm.passed, sm.failed, sm.infra_errors, sm.required_passed, sm.required_failed, sm.reused,
      r.git?.revision ?? null, r.git?.describe ?? null, r.ci ? canonicalJson(r.ci) : null,
    );
    s.version.run(a.name, a.version, a.variant ?? '', a.sha256, r.id, r.started_at);
    let newResults = 0;
    for (const t of run.targets) {
      const inputs = `${a.sha256}/${t.kernel.sha256}/${run.validator.sha256}/${manifestSha}/${run.validation_mode}`;
      const key = this.keyInputs.get(t.result_key) === inputs ? t.result_key
        : resultKey({ artifact: a.sha256, kernel: t.kernel.sha256, validator: run.validator.sha256, manifest: manifestSha, mode: run.validation_mode });
      if (key !== t.result_key) {
        throw new BpfcompatError('HISTORY', `${this.path}: history not updated: target ${t.profile_id}: result_key ${t.result_key} is not the hash of its inputs (expected ${key})`, {
          hint: 'compute result keys with resultKey() from history/src/hash.ts',
        });
      }
      this.keyInputs.set(key, inputs);
      this.once(`k${t.kernel.sha256}`, () => s.kernel.run(t.kernel.sha256, t.kernel.release, canonicalJson(t.kernel.source)));
      newResults += s.result.run(key, a.sha256, t.kernel.sha256, run.validator.sha256, manifestSha, run.validation_mode, r.id, r.started_at).changes;
      // A reused verdict is the stored one: point at its blob instead of hashing and compressing it again.
      let targetSha: string | undefined;
      if (t.reused && t.reused_from_run !== null) {
        targetSha = this.blobOf.get(`${t.reused_from_run}/${key}`) ?? (s.reusedBlob.get(t.reused_from_run, key) as string | undefined);
      }
      if (targetSha === undefined) {
        const json = targetBlobJson(t);
        const sha = sha256Hex(json);
        this.once(`t${sha}`, () => {
          if (!s.targetExists.get(sha)) s.target.run(sha, compressText(json));
        });
        targetSha = sha;
      }
      this.blobOf.set(`${r.id}/${key}`, targetSha);
      const consoleSha = storeLog(s, logs[t.profile_id]);
      const verifierSha = storeLog(s, logs[`${t.profile_id}#verifier`]);
      s.member.run(
        r.id, t.profile_id, t.required ? 1 : 0, key, t.reused ? 1 : 0, t.reused_from_run, t.status, t.failed_stage,
        t.classification_code, t.classification_confidence, t.classification_reason, t.kernel.sha256,
        t.btf.kernel_btf_available ? 1 : 0, t.vm.accel, targetSha, consoleSha, verifierSha,
      );
    }
    s.latest.run(r.id);
    if (process.env.BPFCOMPAT_HISTORY_TEST_HOLD) holdForTest(process.env.BPFCOMPAT_HISTORY_TEST_HOLD);
    return { runId: r.id, newResults, inserted: true };
  }
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
    runExists: db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck(),
    artifact: db.prepare('INSERT OR IGNORE INTO artifacts (sha256, identity, kind, basename, size) VALUES (?, ?, ?, ?, ?)'),
    validator: db.prepare('INSERT OR IGNORE INTO validators (sha256, basename, size) VALUES (?, ?, ?)'),
    // A manifest first stored without its text gains the text when a later run brings it.
    manifest: db.prepare('INSERT INTO manifests (sha256, content) VALUES (?, ?) ON CONFLICT(sha256) DO UPDATE SET content = excluded.content WHERE content IS NULL AND excluded.content IS NOT NULL'),
    kernel: db.prepare('INSERT OR IGNORE INTO kernels (sha256, release, source) VALUES (?, ?, ?)'),
    run: db.prepare(`INSERT INTO runs (id, started_at, finished_at, duration_ms, tool_version, matrix_name, matrix_path,
      artifact_name, artifact_version, artifact_variant, artifact_sha256, validator_sha256, manifest_sha256, mode, validation_mode, accel,
      summary_status, exit_code, total, passed, failed, infra_errors, required_passed, required_failed, reused, git_revision, git_describe, ci)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    // first_seen_* is the earliest (started_at, run id) that saw the row, whatever order runs arrive in.
    version: db.prepare(`INSERT INTO artifact_versions (name, version, variant, artifact_sha256, first_seen_run, first_seen_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT DO UPDATE SET first_seen_run = excluded.first_seen_run, first_seen_at = excluded.first_seen_at
      WHERE (excluded.first_seen_at, excluded.first_seen_run) < (artifact_versions.first_seen_at, artifact_versions.first_seen_run)`),
    result: db.prepare(`INSERT INTO results (result_key, artifact_sha256, kernel_sha256, validator_sha256, manifest_sha256, mode, first_run_id, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT DO UPDATE SET first_run_id = excluded.first_run_id, created_at = excluded.created_at
      WHERE (excluded.created_at, excluded.first_run_id) < (results.created_at, results.first_run_id)`),
    reusedBlob: db.prepare('SELECT target_sha256 FROM run_results WHERE run_id = ? AND result_key = ? LIMIT 1').pluck(),
    targetExists: db.prepare('SELECT 1 FROM targets WHERE sha256 = ?').pluck(),
    target: db.prepare('INSERT INTO targets (sha256, data) VALUES (?, ?)'),
    logExists: db.prepare('SELECT 1 FROM logs WHERE sha256 = ?').pluck(),
    log: db.prepare('INSERT INTO logs (sha256, size, data) VALUES (?, ?, ?)'),
    member: db.prepare(`INSERT INTO run_results (run_id, profile_id, required, result_key, reused, reused_from_run, status, failed_stage,
      classification_code, confidence, reason, kernel_sha256, kernel_btf, accel, target_sha256, console_log_sha256, verifier_log_sha256)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    // Newest (started_at, run id) wins, so merges in any order agree.
    // One statement per run (not per target) keeps the hot path short; WHERE true disambiguates the upsert.
    latest: db.prepare(`INSERT INTO latest_verdicts (artifact_name, profile_id, run_id, started_at, version, variant, required, status,
      classification_code, confidence, kernel_sha256, kernel_release, result_key)
      SELECT r.artifact_name, rr.profile_id, r.id, r.started_at, r.artifact_version, r.artifact_variant, rr.required, rr.status,
        rr.classification_code, rr.confidence, rr.kernel_sha256, k.release, rr.result_key
      FROM run_results rr JOIN runs r ON r.id = rr.run_id JOIN kernels k ON k.sha256 = rr.kernel_sha256 WHERE rr.run_id = ? AND true
      ON CONFLICT DO UPDATE SET run_id = excluded.run_id, started_at = excluded.started_at, version = excluded.version, variant = excluded.variant,
        required = excluded.required, status = excluded.status, classification_code = excluded.classification_code, confidence = excluded.confidence,
        kernel_sha256 = excluded.kernel_sha256, kernel_release = excluded.kernel_release, result_key = excluded.result_key
      WHERE (excluded.started_at, excluded.run_id) > (latest_verdicts.started_at, latest_verdicts.run_id)`),
  };
}
