import { changeOf, classificationDelta, type Change } from '../../../history/src/compare.ts';

// The change vocabulary is history/'s (the same rules as `bpfcompat compare`), wrapped for the site's
// shapes. history/src/compare.ts has no imports, so the client-side picker bundles it as well.

export type Status = 'pass' | 'fail' | 'infra_error';
export type { Change };

export interface CompareSide {
  status: Status;
  classification_code: string | null;
  /** a pass whose best-effort attach failed: the first warning's code (a change from pass is reported) */
  warning_code?: string | null;
  kernel_release: string;
}

export interface CompareEntry {
  profile_id: string;
  change: Change;
  classification_delta: string;
  base: CompareSide | null;
  head: CompareSide | null;
}

const asVerdict = (s: CompareSide) => ({ status: s.status, classification_code: s.classification_code, confidence: null, required: true, warning_code: s.warning_code ?? null });
const shownClass = (s: CompareSide | null): string | null => (s === null ? null : s.status === 'pass' ? (s.warning_code ?? null) : s.classification_code);

export function classifyChange(base: CompareSide | null, head: CompareSide | null): Change {
  return changeOf(base ? asVerdict(base) : undefined, head ? asVerdict(head) : undefined);
}

export function compareEntry(profile_id: string, base: CompareSide | null, head: CompareSide | null): CompareEntry {
  return { profile_id, change: classifyChange(base, head), classification_delta: classificationDelta(shownClass(base), shownClass(head)), base, head };
}
