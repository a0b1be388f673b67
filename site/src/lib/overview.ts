import type { KernelEntry, LatestCell, SiteModel } from './model.ts';
import { verdictView, type VerdictView } from './verdict.ts';
import { classPageCode } from './classes.ts';

// The overview grid: artifacts × kernel profiles, the latest verdict per cell. A filter (kernel or
// class) is applied at build time so that every filtered view is a plain static page.

export interface OverviewCell {
  profile_id: string;
  view: VerdictView;
  code: string | null;
  /** The catalogue class the cell is filed under (the live filter matches on it). */
  classKey: string | null;
  version: string | null;
  title: string;
}

export interface OverviewRow {
  artifact: string;
  slug: string;
  latestVersion: string;
  cells: OverviewCell[];
  /** clean passes (loaded and attached) */
  passed: number;
  /** passes whose best-effort attach failed: they load, but do not attach */
  warned: number;
  total: number;
}

export type OverviewFilter = { kind: 'all' } | { kind: 'kernel'; profile_id: string } | { kind: 'class'; code: string };

export interface OverviewData {
  kernels: KernelEntry[];
  rows: OverviewRow[];
  classCounts: { code: string; count: number }[];
}

function cellTitle(artifact: string, profile: string, c: LatestCell | undefined): string {
  if (!c) return `${artifact} on ${profile}: not tested`;
  const v = verdictView(c.shown);
  const code = cellCode(c);
  return `${artifact} ${c.version} on ${profile} (${c.kernel_release}): ${v.label}${code ? ` — ${code}` : ''}`;
}

/** The code a cell shows: a failure's classification, or a warned attach's code. */
export const cellCode = (c: LatestCell | undefined): string | null => (!c || c.shown === 'pass' ? null : c.shown === 'warn' ? c.warning_code : c.classification_code);

/** The catalogue class of a failing or attach-warned cell; null for a clean pass or an untested cell. */
export function cellClass(c: LatestCell | undefined): string | null {
  if (!c || c.shown === 'pass') return null;
  return classPageCode(cellCode(c) ?? (c.status === 'infra_error' ? 'INFRA_ERROR' : 'UNKNOWN'));
}

export function overviewData(model: SiteModel, filter: OverviewFilter = { kind: 'all' }): OverviewData {
  const kernels = filter.kind === 'kernel' ? model.kernels.filter((k) => k.profile_id === filter.profile_id) : model.kernels;
  const rows: OverviewRow[] = [];
  for (const art of model.artifacts) {
    if (filter.kind === 'class' && ![...art.latest.values()].some((c) => cellClass(c) === filter.code)) continue;
    let passed = 0;
    let warned = 0;
    let total = 0;
    const cells = kernels.map((k): OverviewCell => {
      const c = art.latest.get(k.profile_id);
      if (c) {
        total++;
        if (c.shown === 'pass') passed++;
        if (c.shown === 'warn') warned++;
      }
      return { profile_id: k.profile_id, view: verdictView(c?.shown), classKey: cellClass(c), code: cellCode(c), version: c?.version ?? null, title: cellTitle(art.name, k.profile_id, c) };
    });
    if (filter.kind === 'kernel' && total === 0) continue;
    rows.push({ artifact: art.name, slug: art.slug, latestVersion: art.versions[art.versions.length - 1]?.version ?? '', cells, passed, warned, total });
  }
  const classCounts = [...model.classCells.entries()].map(([code, cells]) => ({ code, count: cells.length })).sort((a, b) => a.code.localeCompare(b.code));
  return { kernels, rows, classCounts };
}
