import type { TargetReport } from '../report/schema.ts';
import type { Report } from '../report/schema.ts';

/** The history as the test verb uses it: reuse lookups and appending the finished run. */
export interface RunHistory {
  reusable(key: string): TargetReport | null;
  /** Appends the run; returns a line for the user (or the reason it was not recorded). */
  append(report: Report, runDir: string): string;
  close(): void;
}

export function openRunHistory(_path: string | undefined): RunHistory | null {
  return null;
}
