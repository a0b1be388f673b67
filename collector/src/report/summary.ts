import type { Report, TargetReport } from '../../../history/vocabulary/report-schema.ts';
import { EXIT_COMPAT_FAILURE, EXIT_OK, EXIT_TOOL_ERROR } from '../../../history/vocabulary/errors.ts';

/** Run-level status and exit code: infra errors give 1 (never a verdict), a failed required target 2, else 0. */
export function summarize(targets: TargetReport[]): Report['summary'] {
  const infra = targets.filter((t) => t.status === 'infra_error');
  const requiredFailed = targets.filter((t) => t.required && t.status === 'fail');
  const notes: string[] = [];
  let status: Report['summary']['status'] = 'pass';
  let exit = EXIT_OK;
  if (infra.length > 0) {
    status = 'error';
    exit = EXIT_TOOL_ERROR;
    notes.push(`At least one target failed with an infrastructure error (${infra.map((t) => t.profile_id).join(', ')}): no verdict for it.`);
  }
  if (requiredFailed.length > 0) {
    if (infra.length === 0) {
      status = 'fail';
      exit = EXIT_COMPAT_FAILURE;
    }
    notes.push(`Compatibility check failed on required profile(s): ${requiredFailed.map((t) => t.profile_id).join(', ')}.`);
  }
  const optionalFailed = targets.filter((t) => !t.required && t.status === 'fail');
  if (optionalFailed.length > 0) notes.push(`Optional profile(s) failed (not gating): ${optionalFailed.map((t) => t.profile_id).join(', ')}.`);
  const warned = targets.filter((t) => t.status === 'pass' && (t.warnings?.length ?? 0) > 0);
  if (warned.length > 0) notes.push(`Loaded but attach warned on: ${warned.map((t) => `${t.profile_id} (${t.warnings!.map((w) => w.code).join(', ')})`).join(', ')}; --require-attach makes these failures.`);
  if (status === 'pass') notes.push('All required profiles passed.');
  return {
    status,
    exit_code: exit,
    total: targets.length,
    passed: targets.filter((t) => t.status === 'pass').length,
    failed: targets.filter((t) => t.status === 'fail').length,
    infra_errors: infra.length,
    required_passed: targets.filter((t) => t.required && t.status === 'pass').length,
    required_failed: requiredFailed.length,
    warned: warned.length,
    reused: targets.filter((t) => t.reused).length,
    notes,
  };
}
