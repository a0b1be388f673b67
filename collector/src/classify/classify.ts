// Classification: structured facts from the validator's probes first (facts.ts), log patterns as the fallback
// (log-rules.ts) with lower confidence. Pure functions of the validator's JSON.
import type { ProgramEvidence, ValidatorResult } from '../validation/validator-result.ts';
import type { Explanation, RootCause } from '../../../history/vocabulary/report-schema.ts';
import { type ClassificationCode } from '../../../history/vocabulary/codes.ts';
import { attachFinding, failingPrograms, loadFinding, type Confidence, type Finding } from './facts.ts';
import { logFinding } from './log-rules.ts';
import { remediationFor } from './remediation.ts';

export type { Confidence } from './facts.ts';
export { verifierReason } from './log-rules.ts';
export type FailedStage = 'load' | 'attach' | 'functional' | 'command';

export interface Classification {
  code: ClassificationCode;
  confidence: Confidence;
  reason: string;
  remediation: string;
  failedStage: FailedStage;
  /** The program the classification is about, when one is. */
  program: string | null;
  /** The exact thing that failed (helper, kfunc, map type, CO-RE field, …), when known. */
  rootCause: RootCause | null;
}

import { errnoName } from './errno.ts';
export { ERRNO_NAMES, errnoName } from './errno.ts';

function info(code: ClassificationCode, failedStage: FailedStage, m: { reason: string; confidence: Confidence; program?: string; rootCause?: RootCause | null }): Classification {
  const rootCause = m.rootCause ?? null;
  return { code, confidence: m.confidence, reason: m.reason, remediation: remediationFor(code, rootCause), failedStage, program: m.program ?? null, rootCause };
}

const fromFinding = (f: Finding, stage: FailedStage) => info(f.code, stage, f);

function classifyLoad(v: ValidatorResult): Classification {
  const fact = loadFinding(v);
  if (fact) return fromFinding(fact, 'load');
  const text = [v.libbpf_log, v.load.error, ...v.programs.map((p) => p.trial_load.verifier_log_tail)].join('\n').toLowerCase();
  const logged = logFinding(v, text);
  if (logged) return fromFinding(logged, 'load');
  const p = failingPrograms(v)[0];
  return info('UNKNOWN', 'load', {
    reason: `the load failed (${v.load.error || errnoName(v.load.errno)})${p ? ` in program ${p.name}` : ''} and no rule matched`,
    confidence: 'low',
    ...(p ? { program: p.name } : {}),
  });
}

/** Why one program's attach failed or was warned: the explanation a failed target would carry. */
export function explainAttach(v: ValidatorResult, p: ProgramEvidence): Explanation {
  const f = attachFinding(v, p);
  return { code: f.code, confidence: f.confidence, reason: f.reason, remediation: remediationFor(f.code, f.rootCause), root_cause: f.rootCause };
}

/** Classifies a validator verdict. Returns null when the target passed. */
export function classifyValidatorResult(v: ValidatorResult): Classification | null {
  if (v.object.open_status === 'fail') {
    return info('UNKNOWN', 'load', { reason: `libbpf could not open the object: ${v.object.open_error || errnoName(v.object.open_errno)}`, confidence: 'low' });
  }
  if (v.load.status === 'fail') return classifyLoad(v);
  if (v.attach.status === 'fail') {
    const p = v.programs.find((x) => x.attach.status === 'fail');
    if (p) return fromFinding(attachFinding(v, p), 'attach');
    return info('UNSUPPORTED_ATTACH_TYPE', 'attach', { reason: 'a required attach failed', confidence: 'low' });
  }
  if (v.functional.status === 'fail') {
    const t = v.functional.tests.find((x) => x.required && x.status === 'fail');
    return info('FUNCTIONAL_TEST_FAILURE', 'functional', {
      reason: t ? `functional test ${t.name} failed: exit ${t.exit_code}${t.timed_out ? ' (timed out)' : ''}, expected ${t.expected_exit_code}${t.error ? `; ${t.error}` : ''}` : 'a required functional test failed',
      confidence: 'high',
    });
  }
  return null;
}

export function classifyCommand(exitCode: number, expected: number): Classification | null {
  if (exitCode === expected) return null;
  return info('COMMAND_VALIDATION_FAILURE', 'command', { reason: `the command exited ${exitCode}, expected ${expected}${exitCode === 124 ? ' (timed out)' : ''}`, confidence: 'high' });
}
