import type { History } from '../../../history/src/index.ts';
import { TargetReport } from '../../../history/vocabulary/report-schema.ts';

/**
 * The stored verdict a run may reuse instead of booting a VM: a pass or fail (never an infra_error) with
 * the same result key, as a TargetReport marked reused from the run that produced it. Null when none,
 * or when the stored JSON no longer matches the report schema (an older tool wrote it): then boot.
 * History errors propagate as BpfcompatError('HISTORY…') for the caller to report.
 */
export function lookupReusable(
  history: History,
  resultKey: string,
  current?: { profile_id: string; required: boolean },
): TargetReport | null {
  const stored = history.findReusable(resultKey);
  if (!stored) return null;
  // profile_id and required belong to the new run's matrix, not to the run that booted.
  const parsed = TargetReport.safeParse({ ...stored.target, ...current, reused: true, reused_from_run: stored.run_id });
  return parsed.success ? parsed.data : null;
}
