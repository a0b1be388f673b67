import type { ProgramEvidence, ValidatorResult } from '../validation/validator-result.ts';
import { CODE_INFO, type ClassificationCode } from './codes.ts';

export type Confidence = 'high' | 'medium' | 'low';
export type FailedStage = 'load' | 'attach' | 'functional' | 'command';

export interface Classification {
  code: ClassificationCode;
  confidence: Confidence;
  reason: string;
  remediation: string;
  failedStage: FailedStage;
  /** The program the classification is about, when one is. */
  program: string | null;
}

interface Rule {
  code: ClassificationCode;
  /** Returns the reason when the rule matches, else null. */
  match(v: ValidatorResult, text: string): { reason: string; confidence: Confidence; program?: string } | null;
}

const has = (text: string, needles: string[]): string | undefined => needles.find((n) => text.includes(n));

/** Errno values the kernel returns, by name, for reasons users read. */
export const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 7: 'E2BIG', 9: 'EBADF', 13: 'EACCES', 16: 'EBUSY', 22: 'EINVAL', 28: 'ENOSPC', 38: 'ENOSYS', 95: 'EOPNOTSUPP', 524: 'ENOTSUPP',
};
export const errnoName = (e: number): string => ERRNO_NAMES[Math.abs(e)] ?? `errno ${Math.abs(e)}`;

function failingPrograms(v: ValidatorResult): ProgramEvidence[] {
  return v.programs.filter((p) => p.trial_load.status === 'fail' || p.load.status === 'fail');
}

/** The last meaningful verifier line: usually the one that says why. */
export function verifierReason(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^processed \d+ insns/.test(l) && !l.startsWith('libbpf:') && !l.startsWith('--'));
  return lines.at(-1) ?? '';
}

// Ordered rules: structured evidence (map create results, probes, BTF facts) before log patterns.
const LOAD_RULES: Rule[] = [
  {
    code: 'UNSUPPORTED_MAP_TYPE',
    match(v, text) {
      const failed = v.maps.find((m) => m.create.status === 'fail');
      const fromLog = /map '([^']+)': failed to create[^\n]*/i.exec(text);
      const name = failed?.name ?? fromLog?.[1];
      if (name === undefined) {
        if (has(text, ['failed to create map', 'map type']) && has(text, ['invalid argument', 'not supported'])) {
          return { reason: 'libbpf could not create a map (the kernel rejected its type or attributes)', confidence: 'medium' };
        }
        return null;
      }
      const map = v.maps.find((m) => m.name === name);
      const probe = map ? v.probes.map_types[map.type] : undefined;
      const probed = probe?.status === 'unsupported';
      return {
        reason: `map '${name}'${map ? ` of type ${map.type}` : ''} could not be created${probed ? `; the probe confirms ${map!.type} maps are unsupported on this kernel` : ''}`,
        confidence: probed ? 'high' : 'medium',
      };
    },
  },
  {
    code: 'CORE_RELOCATION_FAILURE',
    match(_v, text) {
      const n = has(text, ['failed to resolve co-re relocation', 'failed to relocate', 'relocation failed', 'relo failed', 'invalid co-re relocation', 'no matching targets found']);
      if (!n) return null;
      const line = text.split('\n').find((l) => l.includes(n)) ?? n;
      return { reason: `CO-RE relocation failed: ${line.trim().slice(0, 300)}`, confidence: 'high' };
    },
  },
  {
    code: 'MISSING_BTF',
    match(v, text) {
      const n = has(text, ['failed to find valid kernel btf', 'error loading vmlinux btf', 'btf is required', "kernel doesn't support btf"]);
      if (n) return { reason: `the kernel has no usable BTF (${n})`, confidence: 'high' };
      if (!v.btf.kernel_btf_available && v.btf.artifact_has_btf_ext) {
        return { reason: 'the kernel has no /sys/kernel/btf/vmlinux and the object carries .BTF.ext (CO-RE)', confidence: 'high' };
      }
      return null;
    },
  },
  {
    code: 'UNSUPPORTED_PROGRAM_TYPE',
    match(v) {
      for (const p of failingPrograms(v)) {
        const probe = v.probes.program_types[p.type];
        if (probe?.status === 'unsupported') {
          return { reason: `program ${p.name} has type ${p.type}, which the probe shows this kernel does not support`, confidence: 'high', program: p.name };
        }
      }
      return null;
    },
  },
  {
    code: 'POLICY_DENIED',
    match(v, text) {
      const strong = has(text, ['lockdown', 'unprivileged_bpf_disabled', 'bpf is restricted']);
      if (strong) return { reason: `the kernel refused by policy (${strong})`, confidence: 'high' };
      const weak = has(text, ['denied by policy', 'security policy', 'apparmor', 'selinux']);
      if (weak) return { reason: `the kernel refused by policy (${weak})`, confidence: 'medium' };
      if (v.load.errno === 1 && (v.probes.environment.lockdown ?? '').includes('[confidentiality]')) {
        return { reason: 'EPERM with kernel lockdown in confidentiality mode', confidence: 'medium' };
      }
      return null;
    },
  },
  {
    code: 'CAPABILITY_FAILURE',
    match(v, text) {
      if (Math.abs(v.load.errno) === 1 || has(text, ['operation not permitted', 'permission denied'])) {
        return { reason: `the kernel returned EPERM/EACCES without a policy message`, confidence: 'medium' };
      }
      return null;
    },
  },
  {
    code: 'VERIFIER_REJECTION',
    match(v, text) {
      const p = failingPrograms(v).find((x) => x.trial_load.verifier_log_tail.trim() !== '');
      if (p) {
        const why = verifierReason(p.trial_load.verifier_log_tail);
        return { reason: `the verifier rejected program ${p.name}${why ? `: ${why.slice(0, 300)}` : ''}`, confidence: 'medium', program: p.name };
      }
      const n = has(text, ['invalid mem access', 'unbounded loop', 'back-edge', 'invalid stack', 'verifier']);
      return n ? { reason: `verifier rejection (${n})`, confidence: 'medium' } : null;
    },
  },
];

function info(code: ClassificationCode, failedStage: FailedStage, m: { reason: string; confidence: Confidence; program?: string }): Classification {
  return { code, confidence: m.confidence, reason: m.reason, remediation: CODE_INFO[code].remediation, failedStage, program: m.program ?? null };
}

/** Classifies a validator verdict. Returns null when the target passed. */
export function classifyValidatorResult(v: ValidatorResult): Classification | null {
  if (v.object.open_status === 'fail') {
    return info('UNKNOWN', 'load', { reason: `libbpf could not open the object: ${v.object.open_error || errnoName(v.object.open_errno)}`, confidence: 'low' });
  }
  if (v.load.status === 'fail') {
    const text = [v.libbpf_log, v.load.error, ...v.programs.map((p) => p.trial_load.verifier_log_tail)].join('\n').toLowerCase();
    for (const rule of LOAD_RULES) {
      const m = rule.match(v, text);
      if (m) return info(rule.code, 'load', m);
    }
    const p = failingPrograms(v)[0];
    return info('UNKNOWN', 'load', {
      reason: `the load failed (${v.load.error || errnoName(v.load.errno)})${p ? ` in program ${p.name}` : ''} and no rule matched`,
      confidence: 'low',
      ...(p ? { program: p.name } : {}),
    });
  }
  if (v.attach.status === 'fail') {
    const p = v.programs.find((x) => x.attach.status === 'fail');
    const what = p ? `program ${p.name} (${p.section}) could not be attached${p.attach.target ? ` to ${p.attach.target}` : ''}: ${p.attach.error || errnoName(p.attach.errno)}` : 'a required attach failed';
    return info('UNSUPPORTED_ATTACH_TYPE', 'attach', { reason: what, confidence: 'high', ...(p ? { program: p.name } : {}) });
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
