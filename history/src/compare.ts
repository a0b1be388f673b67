// Pure comparison of two verdict sets with the reference tool's change vocabulary
// (added, removed, unchanged, classification_changed, improved, regressed), plus JSON and Markdown output.
// No I/O: the History resolves runs and versions, the CLI reads report files; both end up here.

export interface Verdict {
  status: string;
  classification_code: string | null;
  confidence: string | null;
  required: boolean;
  /** a pass whose best-effort attach failed: the first warning's code (shown as status "warn") */
  warning_code?: string | null;
}

/** The state a verdict is shown in: a pass with an attach warning is "warn" ("loads, attach warned"). */
export function shownStatus(v: Pick<Verdict, 'status' | 'warning_code'>): string {
  return v.status === 'pass' && v.warning_code ? 'warn' : v.status;
}

const shownClass = (v: Verdict): string | null => (shownStatus(v) === 'warn' ? v.warning_code ?? null : v.classification_code);

/** profile_id → verdict */
export type VerdictSet = ReadonlyMap<string, Verdict> | Readonly<Record<string, Verdict>>;

export type Change = 'added' | 'removed' | 'unchanged' | 'classification_changed' | 'improved' | 'regressed' | 'changed';

export interface DiffSide {
  /** what the user named: a report path, a run id or name@version */
  label: string;
  run_id: string | null;
  summary_status: string | null;
}

export interface ProfileDiff {
  profile_id: string;
  /** the head's required flag, else the base's */
  required: boolean;
  change: Change;
  base_status: string | null;
  head_status: string | null;
  base_classification: string | null;
  head_classification: string | null;
  base_confidence: string | null;
  head_confidence: string | null;
  /** '', 'unchanged', 'new:X', 'cleared:X' or 'A->B' */
  classification_delta: string;
}

export interface DiffSummary {
  total_profiles: number;
  changed_profiles: number;
  unchanged_profiles: number;
  added_profiles: number;
  removed_profiles: number;
  improved_profiles: number;
  regressed_profiles: number;
  classification_changed_profiles: number;
  required_regressions: number;
  base_required_failed: number;
  head_required_failed: number;
}

export interface Diff {
  schema_version: 'bpfcompat.diff.v1';
  generated_at: string;
  base: DiffSide;
  head: DiffSide;
  summary: DiffSummary;
  profiles: ProfileDiff[];
}

/** pass > warn (loads, attach warned) > fail > infra_error > anything else: the reference's order, with warn added. */
export function statusScore(status: string): number {
  return status === 'pass' ? 4 : status === 'warn' ? 3 : status === 'fail' ? 2 : status === 'infra_error' ? 1 : 0;
}

export function classificationDelta(base: string | null, head: string | null): string {
  if (base === null && head === null) return '';
  if (base === head) return 'unchanged';
  if (base === null) return `new:${head}`;
  if (head === null) return `cleared:${base}`;
  return `${base}->${head}`;
}

export function changeOf(base: Verdict | undefined, head: Verdict | undefined): Change {
  if (!base) return 'added';
  if (!head) return 'removed';
  const b = statusScore(shownStatus(base));
  const h = statusScore(shownStatus(head));
  if (h > b) return 'improved';
  if (h < b) return 'regressed';
  if (shownStatus(base) !== shownStatus(head)) return 'changed';
  return shownClass(base) === shownClass(head) ? 'unchanged' : 'classification_changed';
}

function entries(set: VerdictSet): Map<string, Verdict> {
  return set instanceof Map ? new Map(set) : new Map(Object.entries(set as Record<string, Verdict>));
}

export function compareVerdicts(
  base: VerdictSet,
  head: VerdictSet,
  sides: { base: DiffSide; head: DiffSide },
  generatedAt: string = new Date().toISOString(),
): Diff {
  const b = entries(base);
  const h = entries(head);
  const ids = [...new Set([...b.keys(), ...h.keys()])].sort();
  const profiles = ids.map((id): ProfileDiff => {
    const bv = b.get(id);
    const hv = h.get(id);
    return {
      profile_id: id,
      required: (hv ?? bv)!.required,
      change: changeOf(bv, hv),
      base_status: bv ? shownStatus(bv) : null,
      head_status: hv ? shownStatus(hv) : null,
      base_classification: bv ? shownClass(bv) : null,
      head_classification: hv ? shownClass(hv) : null,
      base_confidence: bv?.confidence ?? null,
      head_confidence: hv?.confidence ?? null,
      classification_delta: classificationDelta(bv ? shownClass(bv) : null, hv ? shownClass(hv) : null),
    };
  });
  const count = (c: Change) => profiles.filter((p) => p.change === c).length;
  const requiredFailed = (set: Map<string, Verdict>) => [...set.values()].filter((v) => v.required && v.status === 'fail').length;
  return {
    schema_version: 'bpfcompat.diff.v1',
    generated_at: generatedAt,
    base: sides.base,
    head: sides.head,
    summary: {
      total_profiles: profiles.length,
      changed_profiles: profiles.length - count('unchanged'),
      unchanged_profiles: count('unchanged'),
      added_profiles: count('added'),
      removed_profiles: count('removed'),
      improved_profiles: count('improved'),
      regressed_profiles: count('regressed'),
      classification_changed_profiles: count('classification_changed'),
      required_regressions: profiles.filter((p) => p.change === 'regressed' && p.required).length,
      base_required_failed: requiredFailed(b),
      head_required_failed: requiredFailed(h),
    },
    profiles,
  };
}

/** The one line the CLI always prints, in the reference's wording. */
export function diffSummaryLine(d: Diff): string {
  const s = d.summary;
  return `Diff summary: profiles=${s.total_profiles} changed=${s.changed_profiles} improved=${s.improved_profiles} regressed=${s.regressed_profiles} required_regressions=${s.required_regressions}`;
}

/** A table cell: names come from artifacts and profiles, so pipes, newlines and HTML are neutralised. */
export function mdCell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/`/g, '&#96;')
    .replace(/\r\n|\r|\n/g, ' ');
}

function side(status: string | null, cls: string | null): string {
  if (status === null) return '—';
  return cls ? `${status} (${cls})` : status;
}

export function renderDiffMarkdown(d: Diff): string {
  const s = d.summary;
  const lines = [
    `# Compatibility diff: <bdi>${mdCell(d.base.label)}</bdi> → <bdi>${mdCell(d.head.label)}</bdi>`,
    '',
    `- Profiles: ${s.total_profiles}`,
    `- Changed: ${s.changed_profiles} (added ${s.added_profiles}, removed ${s.removed_profiles}, classification changed ${s.classification_changed_profiles})`,
    `- Improved: ${s.improved_profiles}`,
    `- Regressed: ${s.regressed_profiles}`,
    `- Required regressions: ${s.required_regressions}`,
    `- Required failures: base ${s.base_required_failed}, head ${s.head_required_failed}`,
    '',
    '| Profile | Required | Change | Base | Head | Class Delta |',
    '|---|---|---|---|---|---|',
    ...d.profiles.map((p) =>
      `| ${mdCell(p.profile_id)} | ${p.required ? 'yes' : 'no'} | ${p.change} | ${mdCell(side(p.base_status, p.base_classification))} | ${mdCell(side(p.head_status, p.head_classification))} | ${mdCell(p.classification_delta)} |`),
  ];
  return lines.join('\n') + '\n';
}

export function renderDiffJson(d: Diff): string {
  return JSON.stringify(d, null, 2) + '\n';
}
