import type { TargetReport } from '../../../history/vocabulary/report-schema.ts';
import type { SiteResultRow } from '../../../history/src/site-queries.ts';

// What the site reads from the history, in one shape: load.ts fills it through history/, the page
// modules turn it into page data. Compact rows for every result (cheap at 300k rows), full target
// JSON only for the latest result of each artifact version on each kernel profile.

export type { Status } from '../../../history/src/types.ts';

export interface SnapshotRun {
  id: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  accel: string;
  matrix: string;
  git_revision: string | null;
  ci: Record<string, string> | null;
}

/** One result of one run, without the heavy evidence: the row history/ reads for the site. */
export type ResultRow = SiteResultRow;

/** The latest full result of one artifact version on one profile. */
export interface DetailedResult {
  run_id: string;
  artifact: string;
  version: string;
  target: TargetReport;
}

export interface SiteSnapshot {
  /** Runs ordered oldest first. */
  runs: SnapshotRun[];
  /** Every result, in run order. */
  rows: ResultRow[];
  /** Latest full result per artifact version × profile. */
  details: DetailedResult[];
}

export const detailKey = (artifact: string, version: string, profile: string): string => `${artifact}\u0000${version}\u0000${profile}`;
