import type { RunInput } from '../../../history/src/index.ts';
import type { Report } from '../../../history/vocabulary/report-schema.ts';

/**
 * The history's view of a report. A Report already has RunInput's shape; this adds the manifest text
 * when the caller has it (so `history verify` can re-hash it) and pins the compatibility at compile time.
 * A target whose kernel (or validator) never resolved has no inputs and so no result key: there is nothing
 * content-addressed to store, and it stays in the report only (its infra error names why).
 */
export function toRunInput(report: Report, opts: { manifestContent?: string } = {}): RunInput {
  const manifest = report.manifest === null ? null
    : opts.manifestContent === undefined ? { sha256: report.manifest.sha256 }
    : { sha256: report.manifest.sha256, content: opts.manifestContent };
  return { ...report, manifest, targets: report.targets.filter((t) => t.result_key !== '') };
}
