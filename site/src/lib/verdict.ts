import type { TargetReport } from '../../../history/vocabulary/report-schema.ts';
import type { Status } from './snapshot.ts';

/** What a cell shows: a target's status, with a pass whose best-effort attach failed shown as its own state. */
export type Shown = Status | 'warn' | 'untestable';

export function shownOf(status: Status, warningCode: string | null | undefined): Shown {
  return status === 'pass' && warningCode ? 'warn' : status;
}

/** The first attach warning's code of a passing target, or null. */
export const warningOf = (t: Pick<TargetReport, 'status' | 'warnings'>): string | null => (t.status === 'pass' ? (t.warnings?.[0]?.code ?? null) : null);

export const targetShown = (t: Pick<TargetReport, 'status' | 'warnings'>): Shown => shownOf(t.status, warningOf(t));

// A verdict is shown with colour AND a text symbol, so the tables read without colour and in
// screen readers. The CSS classes map to colours in site/src/styles/site.css.

export interface VerdictView {
  status: Shown | 'none';
  symbol: string;
  label: string;
  cssClass: string;
}

const VIEWS: Record<Shown | 'none', VerdictView> = {
  pass: { status: 'pass', symbol: '✓', label: 'pass', cssClass: 'v-pass' },
  warn: { status: 'warn', symbol: '◐', label: 'loads, attach warned', cssClass: 'v-warn' },
  // every kernel of the run misses the same attach target: a placeholder its loader replaces, not a verdict
  untestable: { status: 'untestable', symbol: '◌', label: 'untestable without its attach target', cssClass: 'v-untestable' },
  fail: { status: 'fail', symbol: '✗', label: 'fail', cssClass: 'v-fail' },
  infra_error: { status: 'infra_error', symbol: '⚠', label: 'infrastructure error', cssClass: 'v-infra' },
  none: { status: 'none', symbol: '–', label: 'not tested', cssClass: 'v-none' },
};

export function verdictView(status: Shown | null | undefined): VerdictView {
  return VIEWS[status ?? 'none'];
}

/** Per-stage status (load/attach) to a symbol: skipped and warn are not failures. */
export function stageSymbol(stage: 'pass' | 'fail' | 'warn' | 'skipped'): { symbol: string; cssClass: string } {
  switch (stage) {
    case 'pass':
      return { symbol: '✓', cssClass: 'v-pass' };
    case 'fail':
      return { symbol: '✗', cssClass: 'v-fail' };
    case 'warn':
      return { symbol: '◐', cssClass: 'v-warn' };
    default:
      return { symbol: '–', cssClass: 'v-none' };
  }
}
