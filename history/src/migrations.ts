import type Database from 'better-sqlite3';
import { parse as parseYaml } from 'yaml';
import { canonicalJson, sha256Hex } from './hash.ts';

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

/**
 * Migration 3: integer surrogate keys for the hot tables, so that the million-row run_results table and
 * its indexes hold small integers instead of three 64-character hex hashes per row (appends were
 * dominated by random inserts into hash-keyed indexes that no longer fitted the page cache).
 * runs, results, kernels and targets gain an INTEGER PRIMARY KEY (their natural keys stay UNIQUE and are
 * what every API returns); run_results references them by those integers. Targets may be compressed
 * against a preset dictionary stored in `dictionaries`. The surrogates are local to one file: merge maps
 * them through the natural keys and contentDigest hashes natural keys only. run_results has no secondary
 * index; results carries the reusable verdict's (run, profile) instead. The verdict columns (status,
 * class, …) move to targets: they are facts of the target JSON, the same for every run that shares it.
 */
const m3: Migration = {
  version: 3,
  description: 'integer keys in run_results, reusable-verdict pointer in results, target dictionaries',
  up(db) {
    db.exec(`
      CREATE TABLE dictionaries (
        id     INTEGER PRIMARY KEY,              -- fixed by the code that shipped it (history/src/dictionary.ts)
        sha256 TEXT NOT NULL,
        data   BLOB NOT NULL
      );
      CREATE TABLE kernels_v3 (
        id      INTEGER PRIMARY KEY,
        sha256  TEXT NOT NULL UNIQUE,
        release TEXT NOT NULL,
        source  TEXT NOT NULL
      );
      INSERT INTO kernels_v3 (sha256, release, source) SELECT sha256, release, source FROM kernels ORDER BY sha256;
      CREATE TABLE targets_v3 (
        id         INTEGER PRIMARY KEY,
        sha256     TEXT NOT NULL UNIQUE,         -- of the uncompressed target JSON
        dictionary INTEGER REFERENCES dictionaries(id),  -- null: plain raw deflate
        data       BLOB NOT NULL,
        -- Verdict facts of the target JSON, as columns for the queries (null only for a target no run uses).
        -- They live here, once per distinct verdict, rather than in each of the many run_results rows.
        status              TEXT CHECK (status IN ('pass', 'fail', 'infra_error')),
        failed_stage        TEXT,
        classification_code TEXT,
        confidence          TEXT,
        reason              TEXT,
        kernel_btf          INTEGER,
        accel               TEXT
      );
      INSERT INTO targets_v3 (sha256, dictionary, data, status, failed_stage, classification_code, confidence, reason, kernel_btf, accel)
        SELECT t.sha256, NULL, t.data, v.status, v.failed_stage, v.classification_code, v.confidence, v.reason, v.kernel_btf, v.accel
        FROM targets t LEFT JOIN (
          SELECT target_sha256, status, failed_stage, classification_code, confidence, reason, kernel_btf, accel
          FROM run_results GROUP BY target_sha256) v ON v.target_sha256 = t.sha256
        ORDER BY t.rowid;
      CREATE TABLE runs_v3 (
        seq              INTEGER PRIMARY KEY,
        id               TEXT NOT NULL UNIQUE,
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
        ci               TEXT
      );
      INSERT INTO runs_v3 (id, started_at, finished_at, duration_ms, tool_version, matrix_name, matrix_path, artifact_name, artifact_version,
          artifact_variant, artifact_sha256, validator_sha256, manifest_sha256, mode, validation_mode, accel, summary_status, exit_code, total,
          passed, failed, infra_errors, required_passed, required_failed, reused, git_revision, git_describe, ci)
        SELECT id, started_at, finished_at, duration_ms, tool_version, matrix_name, matrix_path, artifact_name, artifact_version,
          artifact_variant, artifact_sha256, validator_sha256, manifest_sha256, mode, validation_mode, accel, summary_status, exit_code, total,
          passed, failed, infra_errors, required_passed, required_failed, reused, git_revision, git_describe, ci
        FROM runs ORDER BY started_at, id;
      CREATE TABLE results_v3 (
        id               INTEGER PRIMARY KEY,
        result_key       TEXT NOT NULL UNIQUE,
        artifact_sha256  TEXT NOT NULL REFERENCES artifacts(sha256),
        kernel_sha256    TEXT NOT NULL REFERENCES kernels_v3(sha256),
        validator_sha256 TEXT NOT NULL REFERENCES validators(sha256),
        manifest_sha256  TEXT REFERENCES manifests(sha256),
        mode             TEXT NOT NULL,
        first_run_id     TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        -- The verdict findReusable returns, kept on append instead of an index over run_results: the
        -- newest pass/fail from a fresh boot, else the newest reused one (ties: smallest profile id).
        verdict_run_id   TEXT,
        verdict_profile  TEXT,
        verdict_at       TEXT,
        verdict_reused   INTEGER
      );
      INSERT INTO results_v3 (result_key, artifact_sha256, kernel_sha256, validator_sha256, manifest_sha256, mode, first_run_id, created_at)
        SELECT result_key, artifact_sha256, kernel_sha256, validator_sha256, manifest_sha256, mode, first_run_id, created_at
        FROM results ORDER BY created_at, result_key;
      CREATE TABLE run_results_v3 (
        run                 INTEGER NOT NULL REFERENCES runs_v3(seq),
        profile_id          TEXT NOT NULL,
        required            INTEGER NOT NULL,
        result              INTEGER NOT NULL REFERENCES results_v3(id),
        reused              INTEGER NOT NULL,
        reused_from_run     TEXT,
        kernel              INTEGER NOT NULL REFERENCES kernels_v3(id),
        target              INTEGER NOT NULL REFERENCES targets_v3(id),  -- its verdict: status, class, …
        console_log_sha256  TEXT REFERENCES logs(sha256),
        verifier_log_sha256 TEXT REFERENCES logs(sha256),
        PRIMARY KEY (run, profile_id)
      ) WITHOUT ROWID;
      INSERT INTO run_results_v3
        SELECT r.seq, rr.profile_id, rr.required, res.id, rr.reused, rr.reused_from_run, k.id, t.id, rr.console_log_sha256, rr.verifier_log_sha256
        FROM run_results rr JOIN runs_v3 r ON r.id = rr.run_id JOIN results_v3 res ON res.result_key = rr.result_key
          JOIN kernels_v3 k ON k.sha256 = rr.kernel_sha256 JOIN targets_v3 t ON t.sha256 = rr.target_sha256
        ORDER BY r.seq, rr.profile_id;
      WITH ranked AS (
        SELECT rr.result, r.id AS run_id, rr.profile_id, r.started_at, rr.reused,
               row_number() OVER (PARTITION BY rr.result ORDER BY rr.reused, r.started_at DESC, r.id DESC, rr.profile_id) AS n
        FROM run_results_v3 rr JOIN runs_v3 r ON r.seq = rr.run JOIN targets_v3 t ON t.id = rr.target WHERE t.status IN ('pass', 'fail'))
      UPDATE results_v3 SET verdict_run_id = ranked.run_id, verdict_profile = ranked.profile_id, verdict_at = ranked.started_at,
          verdict_reused = ranked.reused
        FROM ranked WHERE ranked.result = results_v3.id AND ranked.n = 1;
      CREATE TEMP TABLE latest_v2 AS SELECT * FROM latest_verdicts;
      -- Children before parents: dropping a parent with foreign_keys on deletes its rows first.
      DROP TABLE latest_verdicts;
      DROP TABLE run_results;
      DROP TABLE results;
      DROP TABLE runs;
      DROP TABLE targets;
      DROP TABLE kernels;
      ALTER TABLE kernels_v3 RENAME TO kernels;
      ALTER TABLE targets_v3 RENAME TO targets;
      ALTER TABLE runs_v3 RENAME TO runs;
      ALTER TABLE results_v3 RENAME TO results;
      ALTER TABLE run_results_v3 RENAME TO run_results;
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
      INSERT INTO latest_verdicts SELECT * FROM temp.latest_v2;
      DROP TABLE temp.latest_v2;
      -- runs_by_artifact (name, started_at) is not recreated: runs_by_version serves the same name
      -- lookups (an artifact has tens of runs to order), and each index costs every append a page.
      CREATE INDEX runs_by_version ON runs(artifact_name, artifact_version, started_at);
      CREATE INDEX runs_by_start ON runs(started_at);
      -- No secondary index on run_results: findReusable reads the verdict pointer in results, and
      -- listKernels and classOccurrences (reports, not hot paths) are one sequential scan each. An index
      -- keyed by result took a random page per appended row, which bulk appends paid for at every commit.
    `);
  },
};

/**
 * Migration 4: run membership packed per run. A million run_results rows were the largest cost of a bulk
 * append (a B-tree insert each) and of its commits. member_sets holds each distinct member list once
 * (JSON, see members.ts) and run_members maps a run to its set: runs that reuse every verdict repeat
 * the previous run's set and add one small row. run_results becomes a view with the same columns, so
 * reads are unchanged. Foreign keys inside the JSON are not declared: verify() checks them.
 * latest_verdicts likewise becomes a view over latest_by_artifact (one row per artifact name).
 * targets and results are rebuilt (same ids and columns) with indexes on a 16-character prefix of their hash
 * instead of UNIQUE indexes on the full 64-character hex: a quarter of the index pages per bulk commit.
 */
const m4: Migration = {
  version: 4,
  description: 'run membership packed into deduplicated member sets, latest verdicts one row per artifact (both read through views), hash prefix indexes',
  up(db) {
    db.exec(`
      CREATE TABLE member_sets (
        id      INTEGER PRIMARY KEY,
        anchor  INTEGER NOT NULL,                -- smallest result id in members: the lookup key when deduplicating
        members TEXT NOT NULL                    -- JSON [[profile_id, required, result, reused, reused_from_run, kernel, target,
                                                 --        console_log_sha256, verifier_log_sha256], …] by profile_id
      );
      CREATE INDEX member_sets_by_anchor ON member_sets(anchor);
      CREATE TABLE run_members (
        run        INTEGER PRIMARY KEY REFERENCES runs(seq),
        member_set INTEGER NOT NULL REFERENCES member_sets(id)
      );
      CREATE TEMP TABLE packed AS
        SELECT run, min(result) AS anchor, json_group_array(json_array(profile_id, required, result, reused, reused_from_run, kernel, target,
                 console_log_sha256, verifier_log_sha256)) AS members
        FROM (SELECT * FROM run_results ORDER BY run, profile_id) GROUP BY run;
      INSERT INTO member_sets (anchor, members) SELECT anchor, members FROM temp.packed GROUP BY members ORDER BY min(run);
      INSERT INTO run_members (run, member_set)
        SELECT p.run, s.id FROM temp.packed p JOIN member_sets s ON s.anchor = p.anchor AND s.members = p.members ORDER BY p.run;
      DROP TABLE temp.packed;
      DROP TABLE run_results;
      -- targets and results lose their UNIQUE index on 64-character hex: a new verdict's random key
      -- dirtied a page of each at every commit (~75-byte entries). They are found by a 16-character
      -- prefix of the hash instead (~20-byte entries, a quarter of the pages), then compared in full;
      -- the appender and merge keep the hashes unique (verify() reports a duplicate).
      CREATE TABLE targets_v4 (
        id                  INTEGER PRIMARY KEY,
        sha256              TEXT NOT NULL,       -- of the uncompressed target JSON; unique, looked up through targets_by_sha
        dictionary          INTEGER REFERENCES dictionaries(id),
        data                BLOB NOT NULL,
        status              TEXT CHECK (status IN ('pass', 'fail', 'infra_error')),
        failed_stage        TEXT,
        classification_code TEXT,
        confidence          TEXT,
        reason              TEXT,
        kernel_btf          INTEGER,
        accel               TEXT
      );
      INSERT INTO targets_v4 SELECT id, sha256, dictionary, data, status, failed_stage, classification_code, confidence, reason, kernel_btf, accel
        FROM targets ORDER BY id;
      CREATE TABLE results_v4 (
        id               INTEGER PRIMARY KEY,
        result_key       TEXT NOT NULL,          -- unique, looked up through results_by_key
        artifact_sha256  TEXT NOT NULL REFERENCES artifacts(sha256),
        kernel_sha256    TEXT NOT NULL REFERENCES kernels(sha256),
        validator_sha256 TEXT NOT NULL REFERENCES validators(sha256),
        manifest_sha256  TEXT REFERENCES manifests(sha256),
        mode             TEXT NOT NULL,
        first_run_id     TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        verdict_run_id   TEXT,
        verdict_profile  TEXT,
        verdict_at       TEXT,
        verdict_reused   INTEGER
      );
      INSERT INTO results_v4 SELECT id, result_key, artifact_sha256, kernel_sha256, validator_sha256, manifest_sha256, mode, first_run_id,
          created_at, verdict_run_id, verdict_profile, verdict_at, verdict_reused
        FROM results ORDER BY id;
      DROP TABLE results;
      DROP TABLE targets;
      ALTER TABLE targets_v4 RENAME TO targets;
      ALTER TABLE results_v4 RENAME TO results;
      -- Queries must spell the expression exactly (substr(x, 1, 16) = substr(?, 1, 16)) for the planner to use these.
      CREATE INDEX targets_by_sha ON targets(substr(sha256, 1, 16));
      CREATE INDEX results_by_key ON results(substr(result_key, 1, 16));
      CREATE VIEW run_results AS
        SELECT rm.run AS run, j.value->>0 AS profile_id, j.value->>1 AS required, j.value->>2 AS result, j.value->>3 AS reused,
          j.value->>4 AS reused_from_run, j.value->>5 AS kernel, j.value->>6 AS target, j.value->>7 AS console_log_sha256,
          j.value->>8 AS verifier_log_sha256
        FROM run_members rm JOIN member_sets s ON s.id = rm.member_set JOIN json_each(s.members) j;
      -- latest_verdicts: one row per artifact name instead of one per cell (a run rewrites one row), see latest.ts.
      CREATE TABLE latest_by_artifact (
        artifact_name TEXT PRIMARY KEY,
        cells         TEXT NOT NULL                -- JSON {"runs": [[run_id, started_at, version, variant], …], "cells": [[profile_id,
                                                   --   run index, required, status, classification_code, confidence, kernel id, result_key], …]}
      ) WITHOUT ROWID;
    `);
    // Converted here rather than with latest.ts's encoder, so that this migration never changes.
    const rows = db.prepare(`SELECT l.artifact_name, l.profile_id, l.run_id, l.started_at, l.version, l.variant, l.required, l.status,
        l.classification_code, l.confidence, k.id AS kernel, l.result_key
      FROM latest_verdicts l JOIN kernels k ON k.sha256 = l.kernel_sha256 ORDER BY l.artifact_name, l.profile_id`).all() as Record<string, string | number | null>[];
    const insert = db.prepare('INSERT INTO latest_by_artifact (artifact_name, cells) VALUES (?, ?)');
    for (let i = 0; i < rows.length;) {
      const name = rows[i]!.artifact_name;
      const runs: unknown[][] = [];
      const cells: unknown[][] = [];
      for (; i < rows.length && rows[i]!.artifact_name === name; i++) {
        const r = rows[i]!;
        let ri = runs.findIndex((x) => x[0] === r.run_id);
        if (ri < 0) ri = runs.push([r.run_id, r.started_at, r.version, r.variant]) - 1;
        cells.push([r.profile_id, ri, r.required, r.status, r.classification_code, r.confidence, r.kernel, r.result_key]);
      }
      insert.run(name, JSON.stringify({ runs, cells }));
    }
    db.exec(`
      DROP TABLE latest_verdicts;
      CREATE VIEW latest_verdicts AS
        SELECT l.artifact_name, c.value->>0 AS profile_id, r.value->>0 AS run_id, r.value->>1 AS started_at, r.value->>2 AS version,
          r.value->>3 AS variant, c.value->>2 AS required, c.value->>3 AS status, c.value->>4 AS classification_code,
          c.value->>5 AS confidence, k.sha256 AS kernel_sha256, k.release AS kernel_release, c.value->>7 AS result_key
        FROM latest_by_artifact l JOIN json_each(l.cells, '$.cells') c JOIN json_each(l.cells, '$.runs') r ON r.key = c.value->>1
          JOIN kernels k ON k.id = c.value->>6;
    `);
  },
};

/**
 * Migration 5: manifest texts that do not hash to their key. The key is the sha256 of the normalised manifest's
 * canonical JSON, but `bpfcompat test --manifest` stored the user's YAML file and suites the normalised manifest
 * pretty-printed, so `history verify` reported every such row. Pretty-printed JSON whose canonical form hashes to
 * the key is replaced by that canonical JSON (the same manifest). A YAML mapping cannot be normalised here (the
 * normaliser belongs to the collector and migrations never change), so its text becomes NULL, "text not handed
 * over", which the next run with that manifest fills with the canonical JSON. Any other text is left for verify
 * to report.
 */
const m5: Migration = {
  version: 5,
  description: 'manifest texts stored as the canonical JSON their key is the hash of',
  up(db) {
    const rows = db.prepare('SELECT sha256, content FROM manifests WHERE content IS NOT NULL').all() as { sha256: string; content: string }[];
    const update = db.prepare('UPDATE manifests SET content = ? WHERE sha256 = ?');
    for (const row of rows) {
      if (sha256Hex(row.content) === row.sha256) continue;
      let json: unknown;
      try {
        json = JSON.parse(row.content);
      } catch {
        json = undefined;
      }
      if (json !== undefined) {
        const canonical = canonicalJson(json);
        if (sha256Hex(canonical) === row.sha256) update.run(canonical, row.sha256);
        continue;
      }
      let yaml: unknown;
      try {
        yaml = parseYaml(row.content);
      } catch {
        continue;
      }
      if (yaml !== null && typeof yaml === 'object' && !Array.isArray(yaml)) update.run(null, row.sha256);
    }
  },
};

/**
 * Migration 6: the machine a verdict came from (the guest's CPU model, memory and CPUs) is an input of its result
 * key. Older rows have none: their key is the hash of the other inputs alone, as it was when they were written.
 */
const m6: Migration = {
  version: 6,
  description: 'results.machine (the guest machine, an input of the result key) and targets.warning_code (a pass whose attach warned)',
  up(db) {
    db.exec('ALTER TABLE results ADD COLUMN machine TEXT');
    // A copy of the first attach warning's code, like the other verdict columns (migration 3); older targets carry none.
    db.exec('ALTER TABLE targets ADD COLUMN warning_code TEXT');
  },
};

/**
 * Migration 7: signatures over runs. A row is one key's Ed25519 signature over a run's statement (runStatement in
 * signatures.ts: the run's identity, its verdicts and the result keys and target hashes they come from), with the
 * raw public key so a verifier can name the key before it decides whether to trust it. runs.artifact_uri is where
 * the tested object can be fetched from (test --artifact-uri), part of what a signature covers.
 */
const m7: Migration = {
  version: 7,
  description: 'signatures: Ed25519 signatures over each run\'s verdicts and result keys; runs.artifact_uri',
  up(db) {
    db.exec('ALTER TABLE runs ADD COLUMN artifact_uri TEXT');
    db.exec(`
      CREATE TABLE signatures (
        run_id           TEXT NOT NULL REFERENCES runs(id),
        key_id           TEXT NOT NULL,           -- sha256 of the raw public key
        public_key       TEXT NOT NULL,           -- raw 32-byte Ed25519 public key, base64
        statement_sha256 TEXT NOT NULL,           -- sha256 of the signed statement (canonical JSON)
        signature        TEXT NOT NULL,           -- base64
        signed_at        TEXT NOT NULL,
        PRIMARY KEY (run_id, key_id)
      ) WITHOUT ROWID;
    `);
  },
};

export const MIGRATIONS: readonly Migration[] = [m1, m2, m3, m4, m5, m6, m7];
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
