import type Database from 'better-sqlite3';

// Ordered schema migrations. A database records every applied version in schema_version; opening runs
// the missing ones in one transaction each. Never edit a shipped migration: add the next one.

export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

/** Migration 1: the first schema. Content-addressed tables keyed by sha256; runs keyed by run id. */
const m1: Migration = {
  version: 1,
  description: 'content-addressed tables, runs and run membership',
  up(db) {
    db.exec(`
      CREATE TABLE artifacts (
        sha256   TEXT PRIMARY KEY,
        identity TEXT NOT NULL,                  -- sha256:<hex> or command://<name>
        kind     TEXT NOT NULL CHECK (kind IN ('object', 'command')),
        basename TEXT NOT NULL,
        size     INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE kernels (
        sha256  TEXT PRIMARY KEY,
        release TEXT NOT NULL,
        source  TEXT NOT NULL                    -- canonical JSON
      ) WITHOUT ROWID;
      CREATE TABLE validators (
        sha256   TEXT PRIMARY KEY,
        basename TEXT NOT NULL,
        size     INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE manifests (
        sha256  TEXT PRIMARY KEY,
        content TEXT                             -- null when the producer did not hand the text over
      ) WITHOUT ROWID;
      CREATE TABLE logs (
        sha256 TEXT PRIMARY KEY,                 -- of the uncompressed text
        size   INTEGER NOT NULL,
        data   BLOB NOT NULL                     -- raw deflate
      ) WITHOUT ROWID;
      CREATE TABLE targets (
        sha256 TEXT PRIMARY KEY,                 -- of the uncompressed target JSON
        data   BLOB NOT NULL                     -- raw deflate
      );
      CREATE TABLE runs (
        id               TEXT PRIMARY KEY,
        started_at       TEXT NOT NULL,
        finished_at      TEXT NOT NULL,
        duration_ms      INTEGER NOT NULL,
        tool_version     TEXT NOT NULL,
        matrix_name      TEXT NOT NULL,
        matrix_path      TEXT NOT NULL,
        artifact_name    TEXT NOT NULL,
        artifact_version TEXT NOT NULL,
        artifact_variant TEXT,
        artifact_sha256  TEXT NOT NULL REFERENCES artifacts(sha256),
        validator_sha256 TEXT NOT NULL REFERENCES validators(sha256),
        manifest_sha256  TEXT REFERENCES manifests(sha256),
        mode             TEXT NOT NULL CHECK (mode IN ('artifact', 'command')),
        validation_mode  TEXT NOT NULL,
        accel            TEXT NOT NULL,
        summary_status   TEXT NOT NULL,
        exit_code        INTEGER NOT NULL,
        total            INTEGER NOT NULL,
        passed           INTEGER NOT NULL,
        failed           INTEGER NOT NULL,
        infra_errors     INTEGER NOT NULL,
        required_passed  INTEGER NOT NULL,
        required_failed  INTEGER NOT NULL,
        reused           INTEGER NOT NULL,
        git_revision     TEXT,
        git_describe     TEXT,
        ci               TEXT                    -- canonical JSON or null
      );
      -- A result is identified by the hash of its inputs; the verdicts each run observed are in run_results,
      -- because one key can see an infra_error first and a verdict later.
      CREATE TABLE results (
        result_key       TEXT PRIMARY KEY,
        artifact_sha256  TEXT NOT NULL REFERENCES artifacts(sha256),
        kernel_sha256    TEXT NOT NULL REFERENCES kernels(sha256),
        validator_sha256 TEXT NOT NULL REFERENCES validators(sha256),
        manifest_sha256  TEXT REFERENCES manifests(sha256),
        mode             TEXT NOT NULL,
        first_run_id     TEXT NOT NULL,          -- earliest run (by started_at, id) that recorded the key
        created_at       TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE run_results (
        run_id              TEXT NOT NULL REFERENCES runs(id),
        profile_id          TEXT NOT NULL,
        required            INTEGER NOT NULL,
        result_key          TEXT NOT NULL REFERENCES results(result_key),
        reused              INTEGER NOT NULL,
        reused_from_run     TEXT,
        status              TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'infra_error')),
        failed_stage        TEXT,
        classification_code TEXT,
        confidence          TEXT,
        reason              TEXT NOT NULL,
        kernel_sha256       TEXT NOT NULL REFERENCES kernels(sha256),
        kernel_btf          INTEGER NOT NULL,
        accel               TEXT NOT NULL,
        target_sha256       TEXT NOT NULL REFERENCES targets(sha256),
        console_log_sha256  TEXT REFERENCES logs(sha256),
        PRIMARY KEY (run_id, profile_id)
      ) WITHOUT ROWID;
      CREATE TABLE artifact_versions (
        name            TEXT NOT NULL,
        version         TEXT NOT NULL,
        variant         TEXT NOT NULL DEFAULT '', -- '' = no variant (a PK column cannot usefully be null)
        artifact_sha256 TEXT NOT NULL REFERENCES artifacts(sha256),
        first_seen_run  TEXT NOT NULL,
        first_seen_at   TEXT NOT NULL,
        PRIMARY KEY (name, version, variant, artifact_sha256)
      ) WITHOUT ROWID;
      CREATE INDEX runs_by_artifact ON runs(artifact_name, started_at);
    `);
  },
};

/**
 * Migration 2: full verifier logs per target, the indexes the site and reuse lookups need, and
 * latest_verdicts — the newest result per artifact name × profile, kept on append so that the
 * site's main grid is one small scan instead of a window over every run_results row.
 */
const m2: Migration = {
  version: 2,
  description: 'verifier logs, lookup indexes, latest_verdicts',
  up(db) {
    db.exec(`
      ALTER TABLE run_results ADD COLUMN verifier_log_sha256 TEXT REFERENCES logs(sha256);
      CREATE INDEX run_results_by_key ON run_results(result_key);
      CREATE INDEX run_results_by_kernel ON run_results(kernel_sha256, status);
      CREATE INDEX run_results_by_class ON run_results(classification_code) WHERE classification_code IS NOT NULL;
      CREATE INDEX runs_by_version ON runs(artifact_name, artifact_version, started_at);
      CREATE INDEX runs_by_start ON runs(started_at);
      CREATE TABLE latest_verdicts (
        artifact_name       TEXT NOT NULL,
        profile_id          TEXT NOT NULL,
        run_id              TEXT NOT NULL REFERENCES runs(id),
        started_at          TEXT NOT NULL,
        version             TEXT NOT NULL,
        variant             TEXT,
        required            INTEGER NOT NULL,
        status              TEXT NOT NULL,
        classification_code TEXT,
        confidence          TEXT,
        kernel_sha256       TEXT NOT NULL,
        kernel_release      TEXT NOT NULL,
        result_key          TEXT NOT NULL,
        PRIMARY KEY (artifact_name, profile_id)
      ) WITHOUT ROWID;
      INSERT INTO latest_verdicts
        SELECT artifact_name, profile_id, run_id, started_at, version, variant, required, status,
               classification_code, confidence, kernel_sha256, kernel_release, result_key
        FROM (
          SELECT r.artifact_name, rr.profile_id, rr.run_id, r.started_at, r.artifact_version AS version,
                 r.artifact_variant AS variant, rr.required, rr.status, rr.classification_code, rr.confidence,
                 rr.kernel_sha256, k.release AS kernel_release, rr.result_key,
                 ROW_NUMBER() OVER (PARTITION BY r.artifact_name, rr.profile_id ORDER BY r.started_at DESC, r.id DESC) AS n
          FROM run_results rr JOIN runs r ON r.id = rr.run_id JOIN kernels k ON k.sha256 = rr.kernel_sha256
        ) WHERE n = 1;
    `);
  },
};

export const MIGRATIONS: readonly Migration[] = [m1, m2];
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
