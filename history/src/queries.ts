import type Database from 'better-sqlite3';
import { decompressText } from './codec.ts';
import { decodeCells } from './latest.ts';
import type {
  ArtifactSummary, ArtifactVersion, ClassOccurrence, KernelSummary, LatestVerdict, RunDetail, RunMember, RunSummary, Status, StoredResult,
} from './types.ts';

// Every read query. Rows come back as the plain types in types.ts; the site and the CLI use only these.

type Row = Record<string, unknown>;

const RUN_COLUMNS = `r.id, r.started_at, r.finished_at, r.duration_ms, r.tool_version, r.matrix_name, r.matrix_path, r.artifact_name,
  r.artifact_version, r.artifact_variant, r.artifact_uri, r.artifact_sha256, a.identity AS artifact_identity, r.mode, r.validation_mode, r.accel,
  r.summary_status, r.exit_code, r.total, r.passed, r.failed, r.infra_errors, r.required_passed, r.required_failed, r.reused,
  r.git_revision, r.git_describe, r.ci`;

function toRun(row: Row): RunSummary {
  const { git_revision, git_describe, ci, ...rest } = row;
  return {
    ...(rest as unknown as Omit<RunSummary, 'git' | 'ci'>),
    git: git_revision === null ? null : { revision: String(git_revision), describe: String(git_describe ?? '') },
    ci: ci === null ? null : (JSON.parse(String(ci)) as Record<string, string>),
  };
}

// run_results holds integer references (migration 3); members are returned with the natural keys.
const MEMBER_COLUMNS = `r.id AS run_id, rr.profile_id, rr.required, res.result_key, rr.reused, rr.reused_from_run, t.status, t.failed_stage,
  t.classification_code, t.confidence, t.reason, t.warning_code, k.sha256 AS kernel_sha256, k.release AS kernel_release, t.kernel_btf, t.accel,
  t.sha256 AS target_sha256, rr.console_log_sha256, rr.verifier_log_sha256`;
const MEMBER_JOINS = `JOIN results res ON res.id = rr.result JOIN kernels k ON k.id = rr.kernel JOIN targets t ON t.id = rr.target`;

function toMember(row: Row): RunMember {
  return { ...(row as unknown as RunMember), required: row.required === 1, reused: row.reused === 1, kernel_btf: row.kernel_btf === 1 };
}

export class Queries {
  private readonly db: Database.Database;
  private readonly cache = new Map<string, Database.Statement>();

  private readonly decoder: TargetDecoder;

  constructor(db: Database.Database) {
    this.db = db;
    this.decoder = new TargetDecoder(db);
  }

  /** The stored target JSON with that run member's per-run fields put back. */
  private withRunFields(row: Row): Record<string, unknown> {
    const target = JSON.parse(this.decoder.decode(row.dictionary as number | null, row.data as Buffer)) as Record<string, unknown>;
    return { ...target, profile_id: row.profile_id, required: row.required === 1, reused: row.reused === 1, reused_from_run: row.reused_from_run ?? null };
  }

  private stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  /** Newest first (started_at, then id). */
  listRuns(opts: { artifactName?: string; limit?: number } = {}): RunSummary[] {
    const limit = opts.limit ?? 50;
    const rows = opts.artifactName === undefined
      ? this.stmt(`SELECT ${RUN_COLUMNS} FROM runs r JOIN artifacts a ON a.sha256 = r.artifact_sha256 ORDER BY r.started_at DESC, r.id DESC LIMIT ?`).all(limit)
      : this.stmt(`SELECT ${RUN_COLUMNS} FROM runs r JOIN artifacts a ON a.sha256 = r.artifact_sha256 WHERE r.artifact_name = ? ORDER BY r.started_at DESC, r.id DESC LIMIT ?`).all(opts.artifactName, limit);
    return (rows as Row[]).map(toRun);
  }

  getRun(id: string): RunDetail | null {
    const row = this.stmt(`SELECT ${RUN_COLUMNS} FROM runs r JOIN artifacts a ON a.sha256 = r.artifact_sha256 WHERE r.id = ?`).get(id) as Row | undefined;
    if (!row) return null;
    return { ...toRun(row), members: this.resultsForRun(id) };
  }

  /** The members of a run, by profile id. */
  resultsForRun(id: string): RunMember[] {
    const rows = this.stmt(`SELECT ${MEMBER_COLUMNS} FROM runs r JOIN run_results rr ON rr.run = r.seq ${MEMBER_JOINS} WHERE r.id = ? ORDER BY rr.profile_id`).all(id);
    return (rows as Row[]).map(toMember);
  }

  /** The newest run of an artifact version (variant null = any), or null. */
  latestRunOfVersion(name: string, version: string): RunSummary | null {
    const row = this.stmt(`SELECT ${RUN_COLUMNS} FROM runs r JOIN artifacts a ON a.sha256 = r.artifact_sha256
      WHERE r.artifact_name = ? AND r.artifact_version = ? ORDER BY r.started_at DESC, r.id DESC LIMIT 1`).get(name, version) as Row | undefined;
    return row ? toRun(row) : null;
  }

  /** The newest run of an artifact by its sha256 (an object's, or an OCI image's digest), or null. */
  latestRunOfArtifact(sha256: string): RunSummary | null {
    const row = this.stmt(`SELECT ${RUN_COLUMNS} FROM runs r JOIN artifacts a ON a.sha256 = r.artifact_sha256
      WHERE r.artifact_sha256 = ? ORDER BY r.started_at DESC, r.id DESC LIMIT 1`).get(sha256) as Row | undefined;
    return row ? toRun(row) : null;
  }

  /** The members of the newest run of an artifact version. */
  resultsForVersion(name: string, version: string): RunMember[] {
    const run = this.latestRunOfVersion(name, version);
    return run ? this.resultsForRun(run.id) : [];
  }

  listArtifacts(): ArtifactSummary[] {
    // One grouped pass over the covering index runs_by_version, then the newest run per name.
    const rows = this.stmt(`
      WITH agg AS (
        SELECT artifact_name AS name, count(*) AS runs, count(DISTINCT artifact_version) AS versions, max(started_at) AS latest_started_at
        FROM runs GROUP BY artifact_name)
      SELECT agg.name, r.artifact_version AS latest_version, r.id AS latest_run_id, agg.latest_started_at,
             r.summary_status AS latest_summary_status, agg.versions, agg.runs
      FROM agg JOIN runs r ON r.id = (SELECT id FROM runs x WHERE x.artifact_name = agg.name AND x.started_at = agg.latest_started_at ORDER BY x.id DESC LIMIT 1)
      ORDER BY agg.name`).all();
    return rows as ArtifactSummary[];
  }

  /** The versions of an artifact in the order they first appeared. */
  artifactVersions(name: string): ArtifactVersion[] {
    const rows = this.stmt(`
      SELECT v.name, v.version, NULLIF(v.variant, '') AS variant, v.artifact_sha256, v.first_seen_run, v.first_seen_at,
             l.id AS latest_run_id, l.summary_status AS latest_summary_status,
             (SELECT count(*) FROM runs x WHERE x.artifact_name = v.name AND x.artifact_version = v.version
                AND coalesce(x.artifact_variant, '') = v.variant AND x.artifact_sha256 = v.artifact_sha256) AS runs
      FROM artifact_versions v
      JOIN runs l ON l.id = (SELECT id FROM runs x WHERE x.artifact_name = v.name AND x.artifact_version = v.version
                AND coalesce(x.artifact_variant, '') = v.variant AND x.artifact_sha256 = v.artifact_sha256
                ORDER BY x.started_at DESC, x.id DESC LIMIT 1)
      WHERE v.name = ?
      ORDER BY v.first_seen_at, v.first_seen_run`).all(name);
    return rows as ArtifactVersion[];
  }

  /**
   * Member counts per kernel. Each distinct member set (migration 4) is expanded once and weighted by the
   * number of runs that share it, instead of expanding every run's members.
   */
  listKernels(): KernelSummary[] {
    const rows = this.stmt(`
      WITH sets AS (SELECT member_set, count(*) AS n FROM run_members GROUP BY member_set),
      m AS (SELECT j.value->>5 AS kernel, j.value->>6 AS target, sets.n FROM sets JOIN member_sets s ON s.id = sets.member_set JOIN json_each(s.members) j),
      stats AS (
        SELECT m.kernel, max(CASE WHEN t.status != 'infra_error' THEN t.kernel_btf END) AS btf, group_concat(DISTINCT t.accel) AS accels,
               sum((t.status = 'pass') * m.n) AS pass, sum((t.status = 'fail') * m.n) AS fail, sum((t.status = 'infra_error') * m.n) AS infra_error
        FROM m JOIN targets t ON t.id = m.target GROUP BY m.kernel)
      SELECT k.sha256, k.release, k.source, s.btf, s.accels, coalesce(s.pass, 0) AS pass, coalesce(s.fail, 0) AS fail,
             coalesce(s.infra_error, 0) AS infra_error
      FROM kernels k LEFT JOIN stats s ON s.kernel = k.id ORDER BY k.release, k.sha256`).all() as Row[];
    return rows.map((r) => ({
      sha256: String(r.sha256),
      release: String(r.release),
      source: JSON.parse(String(r.source)) as Record<string, unknown>,
      btf: r.btf === null ? null : r.btf === 1,
      accels: r.accels === null ? [] : String(r.accels).split(',').sort(),
      pass: Number(r.pass),
      fail: Number(r.fail),
      infra_error: Number(r.infra_error),
    }));
  }

  /**
   * Per artifact name × profile id, the newest result (any status), sorted by name then profile. Decoded
   * here rather than through the latest_verdicts view: JSON.parse of each artifact's cells is faster than
   * SQLite's json_each over 20,000 cells.
   */
  latestVerdicts(opts: { artifactName?: string } = {}): LatestVerdict[] {
    const rows = (opts.artifactName === undefined
      ? this.stmt('SELECT artifact_name, cells FROM latest_by_artifact ORDER BY artifact_name').raw().all()
      : this.stmt('SELECT artifact_name, cells FROM latest_by_artifact WHERE artifact_name = ?').raw().all(opts.artifactName)) as [string, string][];
    const kernels = new Map(this.stmt('SELECT id, sha256, release FROM kernels').raw().all().map((k) => [(k as unknown[])[0] as number, k as [number, string, string]]));
    const out: LatestVerdict[] = [];
    for (const [name, json] of rows) {
      // decodeCells returns the cells by profile id (the stored order).
      for (const [profile, c] of decodeCells(json)) {
        const k = kernels.get(c[8]);
        out.push({
          artifact_name: name, profile_id: profile, run_id: c[0], started_at: c[1], version: c[2], variant: c[3], required: c[4] === 1,
          status: c[5] as Status, classification_code: c[6], confidence: c[7], kernel_sha256: k?.[1] ?? '', kernel_release: k?.[2] ?? '', result_key: c[9],
        });
      }
    }
    return out;
  }

  /**
   * Every artifact × kernel that recorded a classification code (all codes, or one). Runs are first grouped
   * by member set and artifact, so each distinct member set is expanded once (see listKernels).
   */
  classOccurrences(code?: string): ClassOccurrence[] {
    const where = code === undefined ? 't.classification_code IS NOT NULL' : 't.classification_code = ?';
    const sql = `
      WITH per_set AS (
        SELECT rm.member_set, r.artifact_name, r.artifact_sha256, count(*) AS n, max(r.started_at || char(0) || r.id) AS latest_key,
               max(r.started_at || char(0) || r.artifact_version) AS latest_version_key
        FROM run_members rm JOIN runs r ON r.seq = rm.run GROUP BY rm.member_set, r.artifact_name, r.artifact_sha256)
      SELECT t.classification_code, ps.artifact_name, ps.artifact_sha256, k.sha256 AS kernel_sha256, k.release AS kernel_release,
             j.value->>0 AS profile_id, sum(ps.n) AS occurrences, max(ps.latest_key) AS latest_key, max(ps.latest_version_key) AS latest_version_key
      FROM per_set ps JOIN member_sets s ON s.id = ps.member_set JOIN json_each(s.members) j
        JOIN targets t ON t.id = j.value->>6 JOIN kernels k ON k.id = j.value->>5
      WHERE ${where}
      GROUP BY t.classification_code, ps.artifact_name, ps.artifact_sha256, k.sha256, profile_id
      ORDER BY t.classification_code, ps.artifact_name, k.release, profile_id`;
    const rows = (code === undefined ? this.stmt(sql).all() : this.stmt(sql).all(code)) as Row[];
    return rows.map((r) => {
      const { latest_key, latest_version_key, ...rest } = r;
      return {
        ...(rest as unknown as ClassOccurrence),
        latest_run_id: String(latest_key).split('\0')[1] ?? '',
        latest_version: String(latest_version_key).split('\0')[1] ?? '',
      };
    });
  }

  getLog(sha256: string): string | null {
    const blob = this.stmt('SELECT data FROM logs WHERE sha256 = ?').pluck().get(sha256) as Buffer | undefined;
    return blob ? decompressText(blob) : null;
  }

  /** The stored target JSON of one run member, with that run's per-run fields put back. */
  getTarget(runId: string, profileId: string): Record<string, unknown> | null {
    const row = this.stmt(`SELECT rr.profile_id, rr.required, rr.reused, rr.reused_from_run, t.dictionary, t.data
      FROM runs r JOIN run_results rr ON rr.run = r.seq JOIN targets t ON t.id = rr.target WHERE r.id = ? AND rr.profile_id = ?`)
      .get(runId, profileId) as Row | undefined;
    return row ? this.withRunFields(row) : null;
  }

  /**
   * The verdict a new run may reuse for this key: the newest pass or fail from a fresh boot (a reuse
   * row only when no fresh one is stored), never an infra_error. Appends and merges keep that row's
   * (run, profile) in results (migration 3), so this is three primary-key lookups.
   */
  findReusable(resultKey: string): StoredResult | null {
    const row = this.stmt(`
      SELECT r.id AS run_id, rr.profile_id, rr.required, rr.reused, rr.reused_from_run, t.status, t.dictionary, t.data
      FROM results res JOIN runs r ON r.id = res.verdict_run_id
        JOIN run_results rr ON rr.run = r.seq AND rr.profile_id = res.verdict_profile JOIN targets t ON t.id = rr.target
      WHERE substr(res.result_key, 1, 16) = substr(@key, 1, 16) AND res.result_key = @key`).get({ key: resultKey }) as Row | undefined;
    if (!row) return null;
    const origin = row.reused === 1 && row.reused_from_run !== null ? String(row.reused_from_run) : String(row.run_id);
    return { result_key: resultKey, status: row.status as Status as 'pass' | 'fail', run_id: origin, target: this.withRunFields(row) };
  }

  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of TABLES) out[t] = this.stmt(`SELECT count(*) FROM ${t}`).pluck().get() as number;
    return out;
  }
}

// Parents before children: merge copies tables in this order.
export const TABLES = ['artifacts', 'artifact_versions', 'kernels', 'validators', 'manifests', 'logs', 'dictionaries', 'targets', 'runs', 'results', 'run_results', 'latest_verdicts', 'signatures'] as const;

/** Reads target blobs: caches the file's dictionaries (a handful of rows, never changed once written). */
export class TargetDecoder {
  private readonly db: Database.Database;
  private readonly dictionaries = new Map<number, Buffer>();

  constructor(db: Database.Database) {
    this.db = db;
  }

  decode(dictionary: number | null, data: Buffer): string {
    if (dictionary === null) return decompressText(data);
    let dict = this.dictionaries.get(dictionary);
    if (dict === undefined) {
      dict = this.db.prepare('SELECT data FROM dictionaries WHERE id = ?').pluck().get(dictionary) as Buffer | undefined;
      if (dict === undefined) throw new Error(`target blob names dictionary ${dictionary}, which is not stored`);
      this.dictionaries.set(dictionary, dict);
    }
    return decompressText(data, dict);
  }
}
