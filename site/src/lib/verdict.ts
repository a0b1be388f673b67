import type { Status } from './snapshot.ts';

// A verdict is shown with colour AND a text symbol, so the tables read without colour and in
// screen readers. The CSS classes map to colours in site/src/styles/site.css.

export interface VerdictView {
  status: Status | 'none';
  symbol: string;
  label: string;
  cssClass: string;
}

const VIEWS: Record<Status | 'none', VerdictView> = {
  pass: { status: 'pass', symbol: '✓', label: 'pass', cssClass: 'v-pass' },
  fail: { status: 'fail', symbol: '✗', label: 'fail', cssClass: 'v-fail' },
  infra_error: { status: 'infra_error', symbol: '⚠', label: 'infrastructure error', cssClass: 'v-infra' },
  none: { status: 'none', symbol: '–', label: 'not tested', cssClass: 'v-none' },
};

export function verdictView(status: Status | null | undefined): VerdictView {
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
      return { symbol: '⚠', cssClass: 'v-infra' };
    default:
      return { symbol: '–', cssClass: 'v-none' };
  }
}
