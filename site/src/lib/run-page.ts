import type { ResultRow } from './snapshot.ts';
import type { RunEntry, SiteModel } from './model.ts';

// The run page: when, on what, how long, with which acceleration, and which results were reused
// from an earlier run instead of booting a VM.

export interface RunPageData {
  run: RunEntry;
  rows: ResultRow[];
}

/** Groups result rows by run in one pass (the run pages are built from this index). */
export function rowsByRun(rows: readonly ResultRow[]): Map<string, ResultRow[]> {
  const out = new Map<string, ResultRow[]>();
  for (const r of rows) {
    let list = out.get(r.run_id);
    if (!list) out.set(r.run_id, (list = []));
    list.push(r);
  }
  return out;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function runPages(model: SiteModel, rows: readonly ResultRow[]): RunPageData[] {
  const byRun = rowsByRun(rows);
  return model.runs.map((run) => ({ run, rows: byRun.get(run.id) ?? [] }));
}
