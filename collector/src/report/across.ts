// Across the matrix: for each program that fails (or only loads, its attach warned) somewhere, the kernels where it
// does, its root cause and the first kernel of the matrix from which it works. Pure: a function of the targets in
// matrix order.
import type { ProgramAcross, RootCause, TargetReport } from '../../../history/vocabulary/report-schema.ts';
import type { ClassificationCode } from '../../../history/vocabulary/codes.ts';
import { CLASSIFICATION_CODES } from '../../../history/vocabulary/codes.ts';
import { remediationFor } from '../classify/remediation.ts';
import { missingEverywhere } from '../../../history/vocabulary/placeholder.ts';

/** Name used when a target failed without a failing program (e.g. a functional test or the whole object). */
export const WHOLE_OBJECT = '(object)';

function failingProgramsOf(t: TargetReport): string[] {
  if (t.status !== 'fail') return [];
  const named = t.programs.filter((p) => p.load === 'fail' || p.attach === 'fail').map((p) => p.name);
  const classified = t.root_cause?.program;
  if (classified && !named.includes(classified)) named.unshift(classified);
  return named.length > 0 ? named : [WHOLE_OBJECT];
}

const isCode = (c: string | null): c is ClassificationCode => c !== null && (CLASSIFICATION_CODES as readonly string[]).includes(c);

/** The root cause of this program on target t: the target's own when it is about this program or the object. */
function causeOn(t: TargetReport, program: string): RootCause | null {
  const rc = t.root_cause;
  if (!rc) return null;
  return rc.program === undefined || rc.program === program ? rc : null;
}

/** The attach warning of this program on a passing target, when it has one. */
const warningOn = (t: TargetReport, program: string) => (t.status === 'pass' ? t.warnings?.find((w) => w.program === program) : undefined);

/**
 * The attach target this program misses on every decided kernel (two or more), the same name everywhere: the sign of a
 * placeholder its loader replaces at run time (fentry/dummy_file_read), not of a function these kernels lack.
 */
function placeholderTarget(decided: TargetReport[], program: string): ProgramAcross['placeholder_target'] {
  const missing = missingEverywhere(decided.map((t) => {
    const w = warningOn(t, program);
    if (w) return w.code === 'ATTACH_TARGET_MISSING' ? w.root_cause : null;
    return t.status === 'fail' && t.classification_code === 'ATTACH_TARGET_MISSING' ? causeOn(t, program) : null;
  }));
  return missing && { name: missing.name, kind: missing.kind, kernels: missing.kernels };
}

const placeholderRemediation = (program: string, p: NonNullable<ProgramAcross['placeholder_target']>) =>
  `the ${p.kind} target ${p.name} is missing on all ${p.kernels} kernels of the matrix: most likely a placeholder its loader replaces at run time (bpf_program__set_attach_target before load, or the kprobe it attaches); name the real target in the manifest to validate the object alone: programs: [{ name: ${program}, attach: { target: FUNCTION } }]`;

export function programsAcross(targets: TargetReport[]): ProgramAcross[] {
  const decided = targets.filter((t) => t.status !== 'infra_error');
  const names: string[] = [];
  for (const t of decided) for (const n of [...failingProgramsOf(t), ...(t.status === 'pass' ? (t.warnings ?? []).map((w) => w.program) : [])]) if (!names.includes(n)) names.push(n);
  return names.map((program) => {
    const fails = decided.map((t) => failingProgramsOf(t).includes(program));
    const warns = decided.map((t) => warningOn(t, program) !== undefined);
    const lastBad = decided.reduce((last, _, i) => (fails[i] || warns[i] ? i : last), -1);
    const first = lastBad + 1 < decided.length ? decided[lastBad + 1]! : null;
    const boundary = decided[lastBad]!;
    const boundaryWarning = warningOn(boundary, program);
    const rc = boundaryWarning ? boundaryWarning.root_cause : causeOn(boundary, program);
    const code = boundaryWarning ? boundaryWarning.code : boundary.classification_code;
    const worksFrom = first ? { profile_id: first.profile_id, release: first.kernel.release } : null;
    const warned = decided.flatMap((t) => {
      const w = warningOn(t, program);
      return w ? [{ profile_id: t.profile_id, release: t.kernel.release, code: w.code, confidence: w.confidence, root_cause: w.root_cause }] : [];
    });
    const placeholder = placeholderTarget(decided, program);
    return {
      program,
      failing: decided.filter((_, i) => fails[i]).map((t) => ({
        profile_id: t.profile_id,
        release: t.kernel.release,
        code: t.classification_code,
        confidence: t.classification_confidence,
        root_cause: causeOn(t, program),
      })),
      ...(warned.length > 0 ? { warned } : {}),
      passing: decided.filter((_, i) => !fails[i] && !warns[i]).map((t) => t.profile_id),
      works_from: worksFrom,
      code,
      root_cause: rc,
      remediation: placeholder ? placeholderRemediation(program, placeholder)
        : isCode(code) ? remediationFor(code, rc, worksFrom ? { profileId: worksFrom.profile_id, release: worksFrom.release } : null) : boundary.remediation,
      ...(placeholder ? { placeholder_target: placeholder } : {}),
    };
  });
}
