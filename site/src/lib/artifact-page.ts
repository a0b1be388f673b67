import type { ProgramReport, TargetReport } from '../../../history/vocabulary/report-schema.ts';
import type { ArtifactEntry, KernelEntry, PlaceholderTarget, RunTally, SiteModel, VersionInfo } from './model.ts';
import { detailFor, versionShown } from './model.ts';
import { pairSlug } from './compare.ts';
import { stageSymbol, targetShown, verdictView, warningOf, type VerdictView } from './verdict.ts';

// The artifact page: version timeline, kernels × programs for the latest version (load and attach
// per cell), one detail block per cell, and the pass-rate series that the chart and its table share.

export const VERIFIER_EXCERPT_LINES = 40;

export interface ProgramCell {
  id: string;
  program: string;
  load: { symbol: string; cssClass: string; status: string };
  attach: { symbol: string; cssClass: string; status: string };
}

export interface CellDetail {
  id: string;
  profile_id: string;
  kernel_release: string;
  program: ProgramReport | null;
  target: TargetReport;
  verifierExcerpt: string;
  verifierOmitted: number;
}

export interface KernelRow {
  kernel: KernelEntry;
  view: VerdictView;
  code: string | null;
  run_id: string | null;
  cells: (ProgramCell | null)[];
}

export interface TimelineEntry extends VersionInfo {
  passed: number;
  /** of the passes, those whose best-effort attach failed */
  warned: number;
  total: number;
  compareWithPrevious: string | null;
}

export interface ArtifactPageData {
  artifact: ArtifactEntry;
  version: string;
  /** the latest version misses the same attach target on every kernel: untestable without it */
  placeholder: PlaceholderTarget | null;
  timeline: TimelineEntry[];
  programs: string[];
  rows: KernelRow[];
  details: CellDetail[];
  series: RunTally[];
}

/** The last lines of a verifier log, which hold the rejection, plus how many lines were cut. */
export function verifierExcerpt(log: string, maxLines = VERIFIER_EXCERPT_LINES): { text: string; omitted: number } {
  const lines = log.replace(/\s+$/, '').split('\n');
  if (lines.length <= maxLines) return { text: lines.join('\n'), omitted: 0 };
  return { text: lines.slice(-maxLines).join('\n'), omitted: lines.length - maxLines };
}

export function artifactPageData(model: SiteModel, art: ArtifactEntry): ArtifactPageData {
  const latest = art.versions[art.versions.length - 1];
  const version = latest?.version ?? '';
  const targets = new Map<string, TargetReport>();
  const programs: string[] = [];
  for (const k of model.kernels) {
    const d = detailFor(model, art.name, version, k.profile_id);
    if (!d) continue;
    targets.set(k.profile_id, d.target);
    for (const p of d.target.programs) if (!programs.includes(p.name)) programs.push(p.name);
  }

  const details: CellDetail[] = [];
  const rows: KernelRow[] = [];
  model.kernels.forEach((k, ki) => {
    const t = targets.get(k.profile_id);
    if (!t) return;
    const cells = programs.map((name, pi): ProgramCell | null => {
      const p = t.programs.find((x) => x.name === name);
      if (!p) return null;
      const id = `cell-${ki}-${pi}`;
      const ex = verifierExcerpt(p.verifier_log_tail);
      details.push({ id, profile_id: k.profile_id, kernel_release: t.kernel.release, program: p, target: t, verifierExcerpt: ex.text, verifierOmitted: ex.omitted });
      return { id, program: name, load: { ...stageSymbol(p.load), status: p.load }, attach: { ...stageSymbol(p.attach), status: p.attach } };
    });
    if (t.programs.length === 0) {
      // No program reached the validator (infra error, command mode): the target itself is the detail.
      details.push({ id: `cell-${ki}-t`, profile_id: k.profile_id, kernel_release: t.kernel.release, program: null, target: t, verifierExcerpt: '', verifierOmitted: 0 });
    }
    rows.push({ kernel: k, view: verdictView(versionShown(latest, t)), code: t.status === 'pass' ? warningOf(t) : t.classification_code, run_id: art.latest.get(k.profile_id)?.run_id ?? null, cells });
  });

  const timeline = art.versions.map((v, i): TimelineEntry => {
    let passed = 0;
    let warned = 0;
    let total = 0;
    for (const k of model.kernels) {
      const d = detailFor(model, art.name, v.version, k.profile_id);
      if (!d) continue;
      total++;
      if (d.target.status === 'pass') passed++;
      if (warningOf(d.target)) warned++;
    }
    const prev = art.versions[i - 1];
    return { ...v, passed, warned, total, compareWithPrevious: prev ? pairSlug(prev, v) : null };
  });

  return { artifact: art, version, placeholder: latest?.placeholder ?? null, timeline, programs, rows, details, series: art.tallies };
}

/** Pass rate in percent, one decimal; null when nothing produced a verdict. */
export function passRate(t: { passed: number; failed: number }): number | null {
  const n = t.passed + t.failed;
  return n === 0 ? null : Math.round((t.passed / n) * 1000) / 10;
}
