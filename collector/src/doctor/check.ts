/** One line of `bpfcompat doctor`: what was checked, how it stands, and what to do about it. */
export interface Check {
  name: string;
  status: 'ok' | 'missing' | 'warn';
  detail: string;
  /** What to do when the status is not ok. */
  fix: string;
}
