// The change vocabulary of the reference tool, shared by the static compare pages and the client-side
// picker (this file has no imports so the browser bundle stays tiny). An infrastructure error is not a
// compatibility verdict: it never counts as a regression or an improvement, the entry is 'inconclusive'.

export type Status = 'pass' | 'fail' | 'infra_error';

export type Change = 'added' | 'removed' | 'unchanged' | 'classification_changed' | 'improved' | 'regressed' | 'inconclusive';

export interface CompareSide {
  status: Status;
  classification_code: string | null;
  kernel_release: string;
}

export interface CompareEntry {
  profile_id: string;
  change: Change;
  base: CompareSide | null;
  head: CompareSide | null;
}

export function classifyChange(base: CompareSide | null, head: CompareSide | null): Change {
  if (!base && !head) return 'unchanged';
  if (!base) return 'added';
  if (!head) return 'removed';
  if (base.status === 'infra_error' || head.status === 'infra_error') return base.status === head.status ? 'unchanged' : 'inconclusive';
  if (base.status === 'pass' && head.status === 'fail') return 'regressed';
  if (base.status === 'fail' && head.status === 'pass') return 'improved';
  if (base.status === 'fail' && base.classification_code !== head.classification_code) return 'classification_changed';
  return 'unchanged';
}

