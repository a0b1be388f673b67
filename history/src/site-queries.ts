import type Database from 'better-sqlite3';
import { TargetDecoder } from './queries.ts';
import type { Status } from './types.ts';

// Bulk reads for the static site (site/src/lib/load.ts): a site build reads the whole history once,
// so these are three sequential scans instead of one query per run or per version. Read-only.

export interface SiteRunRow {
  id: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  accel: string;
  matrix_name: string;
  artifact_name: string;
  artifact_version: string;
  git_revision: string | null;
  ci: Record<string, string> | null;
}

export interface SiteResultRow {
  run_id: string;
  artifact: string;
  version: string;
  artifact_sha256: string;
  profile_id: string;
  status: Status;
  classification_code: string | null;
  /** a pass whose best-effort attach failed: the first warning's code */
  warning_code: string | null;
  reused: boolean;
  kernel_release: string;
  kernel_sha256: string;
}

export interface SiteLatestTarget {
  run_id: string;
  artifact: string;
  version: string;
  /** the stored target JSON with this run's per-run fields (profile_id, required, reused, reused_from_run) */
  target: Record<string, unknown>;
}

/** Every run, oldest first (started_at, then id). */
export function siteRuns(db: Database.Database): SiteRunRow[] {
  const rows = db.prepare(`SELECT id, started_at, finished_at, duration_ms, accel, matrix_name, artifact_name, artifact_version, git_revision, ci
    FROM runs ORDER BY started_at, id`).all() as (Omit<SiteRunRow, 'ci'> & { ci: string | null })[];
  return rows.map((r) => ({ ...r, ci: r.ci === null ? null : (JSON.parse(r.ci) as Record<string, string>) }));
}

/** Every run member as a compact row, in run order then profile id. */
export function siteResultRows(db: Database.Database): SiteResultRow[] {
  const stmt = db.prepare(`SELECT r.id, r.artifact_name, r.artifact_version, r.artifact_sha256, rr.profile_id, t.status,
      t.classification_code, rr.reused, k.release, k.sha256, t.warning_code
    FROM run_results rr JOIN runs r ON r.seq = rr.run JOIN kernels k ON k.id = rr.kernel JOIN targets t ON t.id = rr.target
    ORDER BY r.started_at, r.id, rr.profile_id`).raw();
  const out: SiteResultRow[] = [];
  for (const row of stmt.iterate() as Iterable<unknown[]>) {
    out.push({
      run_id: row[0] as string, artifact: row[1] as string, version: row[2] as string, artifact_sha256: row[3] as string,
      profile_id: row[4] as string, status: row[5] as Status, classification_code: row[6] as string | null, reused: row[7] === 1,
      kernel_release: row[8] as string, kernel_sha256: row[9] as string, warning_code: (row[10] as string | null) ?? null,
    });
  }
  return out;
}

/** The newest stored target of every artifact version × profile id (what the artifact and compare pages show). */
export function siteLatestTargets(db: Database.Database): SiteLatestTarget[] {
  const stmt = db.prepare(`SELECT x.run_id, x.artifact_name, x.artifact_version, x.profile_id, x.required, x.reused, x.reused_from_run, t.data, t.dictionary
    FROM (SELECT r.id AS run_id, r.artifact_name, r.artifact_version, rr.profile_id, rr.required, rr.reused, rr.reused_from_run, rr.target,
                 row_number() OVER (PARTITION BY r.artifact_name, r.artifact_version, rr.profile_id ORDER BY r.started_at DESC, r.id DESC) AS n
          FROM run_results rr JOIN runs r ON r.seq = rr.run) x
    JOIN targets t ON t.id = x.target
    WHERE x.n = 1`).raw();
  const decoder = new TargetDecoder(db);
  const out: SiteLatestTarget[] = [];
  for (const row of stmt.iterate() as Iterable<unknown[]>) {
    const target = JSON.parse(decoder.decode(row[8] as number | null, row[7] as Buffer)) as Record<string, unknown>;
    out.push({
      run_id: row[0] as string,
      artifact: row[1] as string,
      version: row[2] as string,
      target: { ...target, profile_id: row[3], required: row[4] === 1, reused: row[5] === 1, reused_from_run: row[6] ?? null },
    });
  }
  return out;
}
