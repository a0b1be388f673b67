import type { TargetReport } from '../../../history/vocabulary/report-schema.ts';
import { openDatabase } from '../../../history/src/database.ts';
import { siteLatestTargets, siteResultRows, siteRuns } from '../../../history/src/site-queries.ts';
import type { ResultRow, SiteSnapshot } from './snapshot.ts';
import { buildSiteModel, type SiteModel } from './model.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { artifactEvidence, openHistory } from '../../../history/src/index.ts';
import type { ArtifactEvidence } from '../../../history/vocabulary/evidence-schema.ts';

// Reads the history once per build. Every page route calls siteData(); the first call opens the
// history read-only and builds the model, later calls (other routes, same process) reuse it.

export interface SiteData {
  model: SiteModel;
  rows: ResultRow[];
  /** per artifact name: every version's variants, their needs and verdicts per kernel (api/v1/artifacts/<slug>/evidence.json) */
  evidence: Map<string, ArtifactEvidence>;
}

/** The evidence of every artifact of the history (artifact-evidence.v1), read once per build. */
export function readEvidence(historyPath: string, names: readonly string[]): Map<string, ArtifactEvidence> {
  const h = openHistory(historyPath, { readonly: true });
  try {
    const out = new Map<string, ArtifactEvidence>();
    for (const name of names) {
      const e = artifactEvidence(h, name);
      if (e) out.set(name, e);
    }
    return out;
  } finally {
    h.close();
  }
}

export function readSnapshot(historyPath: string): SiteSnapshot {
  const db = openDatabase(historyPath, { readonly: true });
  try {
    const runs = siteRuns(db).map((r) => ({
      id: r.id, started_at: r.started_at, finished_at: r.finished_at, duration_ms: r.duration_ms, accel: r.accel,
      matrix: r.matrix_name, git_revision: r.git_revision, ci: r.ci,
    }));
    const rows: ResultRow[] = siteResultRows(db);
    // The stored JSON is the collector's TargetReport (history/ stores it whole without importing the schema).
    const details = siteLatestTargets(db).map((d) => ({ run_id: d.run_id, artifact: d.artifact, version: d.version, target: d.target as unknown as TargetReport }));
    return { runs, rows, details };
  } finally {
    db.close();
  }
}

const CACHE_KEY = Symbol.for('bpfcompat.site.data');
type Cache = { path: string; data: SiteData };

export function siteData(historyPath: string | undefined = process.env.BPFCOMPAT_SITE_HISTORY): SiteData {
  if (!historyPath) {
    throw new BpfcompatError('USAGE', 'no history to render: BPFCOMPAT_SITE_HISTORY is not set', { hint: "use 'bpfcompat site build --history PATH'" });
  }
  const g = globalThis as unknown as Record<symbol, Cache | undefined>;
  const cached = g[CACHE_KEY];
  if (cached && cached.path === historyPath) return cached.data;
  const snapshot = readSnapshot(historyPath);
  const model = buildSiteModel(snapshot);
  const data = { model, rows: snapshot.rows, evidence: readEvidence(historyPath, model.artifacts.map((a) => a.name)) };
  g[CACHE_KEY] = { path: historyPath, data };
  return data;
}

/** Drops the cached model (the CLI calls it before a build, so a rebuild in one process rereads the history). */
export function forgetSiteData(): void {
  delete (globalThis as unknown as Record<symbol, Cache | undefined>)[CACHE_KEY];
}
