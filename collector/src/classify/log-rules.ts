// The fallback: patterns in libbpf's and the verifier's words, used only when no probed fact explains a failed
// load (facts.ts). Nothing here is high confidence except what the kernel states outright about policy.
import type { ProgramEvidence, ValidatorResult } from '../validation/validator-result.ts';
import { failingPrograms, type Finding } from './facts.ts';

const has = (text: string, needles: string[]): string | undefined => needles.find((n) => text.includes(n));

/** The last meaningful verifier line: usually the one that says why. */
export function verifierReason(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^processed \d+ insns/.test(l) && !l.startsWith('libbpf:') && !l.startsWith('--'));
  return lines.at(-1) ?? '';
}

type Rule = (v: ValidatorResult, text: string) => Finding | null;

/** The first failing program with a verifier log, named by the instruction and message the verifier stopped at. */
function verifierFinding(v: ValidatorResult): Finding | null {
  const p = failingPrograms(v).find((x) => x.trial_load.verifier_log_tail.trim() !== '' || x.trial_load.verifier_reason !== '');
  if (!p) return null;
  const why = verifierWords(p);
  const at = p.trial_load.rejected_insn_idx >= 0 ? ` at instruction ${p.trial_load.rejected_insn.slice(0, 120)}` : '';
  return {
    code: 'VERIFIER_REJECTION', confidence: 'medium', program: p.name,
    reason: `the verifier rejected program ${p.name}${at}${why ? `: ${why.slice(0, 300)}` : ''}`,
    rootCause: { kind: 'verifier', name: why.slice(0, 300), program: p.name, ...(p.trial_load.rejected_insn_idx >= 0 ? { id: p.trial_load.rejected_insn_idx } : {}) },
  };
}

/** The verifier's own message for a program: the validator's structured summary, else the log's last line. */
function verifierWords(p: ProgramEvidence): string {
  return p.trial_load.verifier_reason || verifierReason(p.trial_load.verifier_log_tail);
}

const programOf = (v: ValidatorResult, pattern: RegExp): ProgramEvidence | undefined =>
  failingPrograms(v).find((p) => pattern.test(p.trial_load.verifier_log_tail) || pattern.test(p.trial_load.verifier_reason));

const RULES: Rule[] = [
  (v, text) => {
    const m = /failed to resolve co-re relocation [^\n]*?\] (?:struct|union|enum|typedef)? ?([\w]+)\.?([\w.[\]]*)/.exec(text);
    const n = has(text, ['failed to resolve co-re relocation', 'invalid co-re relocation', 'no matching targets found', 'relocation failed']);
    if (!n) return null;
    const p = programOf(v, /CO-RE relocation/i);
    const line = text.split('\n').find((l) => l.includes(n))?.trim() ?? n;
    return {
      code: 'CORE_RELOCATION_FAILURE', confidence: 'medium', reason: `CO-RE relocation failed: ${line.slice(0, 300)}`,
      rootCause: { kind: 'core_relocation', name: m ? `${m[1]}${m[2] ? `.${m[2]}` : ''}` : line.slice(0, 120), ...(m ? { type: m[1]!, field: m[2] ?? '' } : {}), ...(p ? { program: p.name } : {}) },
      ...(p ? { program: p.name } : {}),
    };
  },
  (v, text) => {
    const n = has(text, ['failed to find valid kernel btf', 'error loading vmlinux btf', 'btf is required', "kernel doesn't support btf"]);
    if (n) return { code: 'MISSING_BTF', confidence: 'medium', reason: `the kernel has no usable BTF (${n})`, rootCause: { kind: 'btf', name: 'vmlinux' } };
    if (!v.btf.kernel_btf_available && v.btf.artifact_has_btf_ext) {
      return { code: 'MISSING_BTF', confidence: 'low', reason: 'the kernel has no /sys/kernel/btf/vmlinux and the object carries .BTF.ext (it may use CO-RE)', rootCause: { kind: 'btf', name: 'vmlinux' } };
    }
    return null;
  },
  (v, text) => {
    const m = /extern \(func ksym\) '([^']+)': not found in kernel (?:or module )?btf/.exec(text);
    if (!m) return null;
    return { code: 'MISSING_KFUNC', confidence: 'medium', reason: `libbpf found no kfunc ${m[1]} in the kernel's BTF`, rootCause: { kind: 'kfunc', name: m[1]! } };
  },
  (v, text) => {
    const m = /failed to find kernel btf type id of '([^']+)'/.exec(text);
    if (!m) return null;
    return { code: 'ATTACH_TARGET_MISSING', confidence: 'medium', reason: `libbpf found no kernel function ${m[1]} to attach to`, rootCause: { kind: 'attach_target', name: m[1]!, type: 'function' } };
  },
  (v, text) => {
    if (!text.includes('cannot call gpl-restricted function')) return null;
    const p = programOf(v, /GPL-restricted/);
    return {
      code: 'GPL_ONLY_HELPER', confidence: 'medium', reason: `the verifier refused a GPL-only helper in a program licensed "${v.object.license}"`,
      rootCause: { kind: 'license', name: v.object.license, ...(p ? { program: p.name } : {}) }, ...(p ? { program: p.name } : {}),
    };
  },
  (v, text) => {
    const m = /invalid func unknown#(\d+)/.exec(text);
    if (!m) return null;
    const p = programOf(v, /unknown#/);
    return {
      code: 'UNSUPPORTED_HELPER', confidence: 'medium', reason: `the verifier does not know helper id ${m[1]}`,
      rootCause: { kind: 'helper', name: '', id: Number(m[1]), ...(p ? { program: p.name } : {}) }, ...(p ? { program: p.name } : {}),
    };
  },
  (v, text) => {
    const n = has(text, ['bpf program is too large', 'too many states', 'complexity limit', 'the sequence of', 'combined stack size']);
    if (!n && Math.abs(v.load.errno) !== 7) return null;
    const p = programOf(v, /too large|too many states|complexity|sequence of|combined stack/) ?? failingPrograms(v)[0];
    return {
      code: 'COMPLEXITY_LIMIT', confidence: 'medium', reason: `the verifier hit a limit${p ? ` in program ${p.name}` : ''}: ${n ?? 'E2BIG'}`,
      rootCause: { kind: 'complexity', name: n ?? 'E2BIG', ...(p ? { program: p.name } : {}) }, ...(p ? { program: p.name } : {}),
    };
  },
  // a verifier log means the kernel got as far as the verifier: its words outrank EPERM/EACCES guesses below
  (v) => verifierFinding(v),
  (v, text) => {
    const strong = has(text, ['lockdown', 'unprivileged_bpf_disabled', 'bpf is restricted']);
    if (strong) return { code: 'POLICY_DENIED', confidence: 'high', reason: `the kernel refused by policy (${strong})`, rootCause: { kind: 'policy', name: strong } };
    const weak = has(text, ['denied by policy', 'security policy', 'apparmor', 'selinux']);
    if (weak) return { code: 'POLICY_DENIED', confidence: 'medium', reason: `the kernel refused by policy (${weak})`, rootCause: { kind: 'policy', name: weak } };
    if (v.load.errno === 1 && (v.probes.environment.lockdown ?? '').includes('[confidentiality]')) {
      return { code: 'POLICY_DENIED', confidence: 'medium', reason: 'EPERM with kernel lockdown in confidentiality mode', rootCause: { kind: 'policy', name: 'lockdown' } };
    }
    return null;
  },
  (v, text) => {
    if (Math.abs(v.load.errno) === 1 || has(text, ['operation not permitted', 'permission denied'])) {
      return { code: 'CAPABILITY_FAILURE', confidence: 'medium', reason: 'the kernel returned EPERM/EACCES without a policy message', rootCause: { kind: 'capability', name: 'EPERM' } };
    }
    return null;
  },
  (v, text) => {
    const n = has(text, ['invalid mem access', 'unbounded loop', 'back-edge', 'invalid stack', 'verifier']);
    return n ? { code: 'VERIFIER_REJECTION', confidence: 'medium', reason: `verifier rejection (${n})`, rootCause: { kind: 'verifier', name: n } } : null;
  },
];

/** First matching log rule; text is the lower-cased libbpf log, load error and verifier tails. */
export function logFinding(v: ValidatorResult, text: string): Finding | null {
  for (const rule of RULES) {
    const f = rule(v, text);
    if (f) return f;
  }
  return null;
}
