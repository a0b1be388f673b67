import { isAutomatic, type ValidatorResult } from './validator-result.ts';
import type { TargetReport } from '../../../history/vocabulary/report-schema.ts';
import type { ResolvedKernel } from '../kernels/types.ts';
import { classifyValidatorResult, errnoName, explainAttach, type Classification } from '../classify/classify.ts';
import type { AttachMode } from './modes.ts';
import type { MachineInputs } from '../../../history/src/hash.ts';

export interface TargetContext {
  profileId: string;
  required: boolean;
  resultKey: string;
  kernel: ResolvedKernel;
  /** 'none' on the remote-host lane (no VM). */
  accel: 'kvm' | 'tcg' | 'none';
  /** What the guest was given (an input of the result key): { cpu: 'host' } alone on a remote host, null when no
   *  machine was chosen (the kernel could not be resolved). */
  machine: MachineInputs | { cpu: string } | null;
  bootMs: number;
  startedAt: Date;
  finishedAt: Date;
  consoleLogPath: string | null;
  validatorResultPath: string | null;
}

function kernelRef(k: ResolvedKernel): TargetReport['kernel'] {
  return { release: k.release, sha256: k.imageSha256, source: { ...k.origin } };
}

export function targetBase(ctx: TargetContext): Pick<TargetReport, 'profile_id' | 'required' | 'result_key' | 'reused' | 'reused_from_run' | 'kernel' | 'vm' | 'started_at' | 'finished_at' | 'duration_ms' | 'evidence'> {
  const duration = ctx.finishedAt.getTime() - ctx.startedAt.getTime();
  return {
    profile_id: ctx.profileId,
    required: ctx.required,
    result_key: ctx.resultKey,
    reused: false,
    reused_from_run: null,
    kernel: kernelRef(ctx.kernel),
    vm: {
      accel: ctx.accel,
      boot_ms: ctx.bootMs,
      duration_ms: duration,
      ...(ctx.kernel.arch !== 'x86_64' ? { arch: ctx.kernel.arch } : {}),
      ...(ctx.machine ?? {}),
    },
    started_at: ctx.startedAt.toISOString(),
    finished_at: ctx.finishedAt.toISOString(),
    duration_ms: duration,
    evidence: { console_log: ctx.consoleLogPath, validator_result: ctx.validatorResultPath },
  };
}

function applyClassification(c: Classification | null): Pick<TargetReport, 'status' | 'failed_stage' | 'classification_code' | 'classification_confidence' | 'classification_reason' | 'remediation'> {
  if (!c) return { status: 'pass', failed_stage: null, classification_code: null, classification_confidence: null, classification_reason: '', remediation: '' };
  return { status: 'fail', failed_stage: c.failedStage, classification_code: c.code, classification_confidence: c.confidence, classification_reason: c.reason, remediation: c.remediation };
}

function evidenceNotes(v: ValidatorResult): string[] {
  const notes: string[] = [];
  notes.push(`kernel BTF: ${v.btf.kernel_btf_available ? `yes (${v.btf.kernel_btf_size} bytes)` : 'no'}; object .BTF ${v.btf.artifact_has_btf ? 'yes' : 'no'}, .BTF.ext ${v.btf.artifact_has_btf_ext ? 'yes' : 'no'}`);
  for (const [name, p] of Object.entries(v.probes.map_types)) if (p.status !== 'supported') notes.push(`capability map.${name}: ${p.status}${p.errno ? ` (${errnoName(p.errno)})` : ''}`);
  for (const [name, p] of Object.entries(v.probes.program_types)) if (p.status !== 'supported') notes.push(`capability prog.${name}: ${p.status}${p.errno ? ` (${errnoName(p.errno)})` : ''}`);
  for (const f of v.fixups) notes.push(`${isAutomatic(f) ? 'automatic fixup (chosen by bpfcompat, not the object)' : 'fixup'} ${f.kind} ${f.target}: ${f.status}${f.detail ? ` (${f.detail})` : ''}`);
  for (const g of v.variants) notes.push(`program variant group ${g.group}: selected ${g.chosen}${g.disabled.length ? ` (disabled: ${g.disabled.join(', ')})` : ''}`);
  for (const p of v.programs) {
    if (p.trial_load.status === 'fail') notes.push(`program load failure: ${p.name} (${p.section}) ${errnoName(p.trial_load.errno)}`);
    if (p.attach.status === 'skipped' && p.attach.reason) notes.push(`attach skipped: ${p.name}: ${p.attach.reason}`);
    if (p.attach.status === 'warn') notes.push(`attach warning: ${p.name}: ${p.attach.error || errnoName(p.attach.errno)}`);
  }
  notes.push(`attach status: ${v.attach.status} (mode=${v.attach.mode} attempted=${v.attach.attempted} passed=${v.attach.passed} failed=${v.attach.failed})`);
  return notes;
}

/** A verdict from the validator's evidence: pure. */
export function targetFromValidator(ctx: TargetContext, v: ValidatorResult): TargetReport {
  const c = classifyValidatorResult(v);
  const notes = evidenceNotes(v);
  if (c) notes.push(`classification: ${c.code} (${c.confidence})`, `remediation: ${c.remediation}`);
  // every attach that failed or warned is explained as a failure would be
  const explained = new Map(v.programs.filter((p) => p.attach.status === 'fail' || p.attach.status === 'warn').map((p) => [p.name, explainAttach(v, p)]));
  const warnings = c ? [] : v.programs.filter((p) => p.attach.status === 'warn').map((p) => ({ program: p.name, section: p.section, ...explained.get(p.name)! }));
  for (const w of warnings) notes.push(`attach warning explained: ${w.program}: ${w.code} (${w.confidence}): ${w.reason}`);
  return {
    ...targetBase(ctx),
    ...applyClassification(c),
    btf: { kernel_btf_available: v.btf.kernel_btf_available, artifact_has_btf: v.btf.artifact_has_btf, artifact_has_btf_ext: v.btf.artifact_has_btf_ext },
    validation: {
      load_status: v.load.status,
      load_error_code: v.load.errno,
      load_error: v.load.error,
      attach_mode: v.attach.mode,
      attach_status: v.attach.status,
      attach_attempted: v.attach.attempted,
      attach_passed: v.attach.passed,
      attach_failed: v.attach.failed,
    },
    programs: v.programs.map((p) => ({
      name: p.name,
      section: p.section,
      type: p.type,
      load: p.load.status === 'skipped' && v.load.status === 'fail' ? p.trial_load.status : p.load.status,
      attach: p.attach.status,
      attach_method: p.attach.method,
      attach_target: p.attach.target,
      attach_reason: p.attach.reason,
      errno: p.trial_load.status === 'fail' ? p.trial_load.errno : p.attach.errno,
      error: p.trial_load.status === 'fail' ? p.trial_load.error : p.attach.error,
      verifier_log_tail: p.trial_load.status === 'fail' ? p.trial_load.verifier_log_tail : '',
      helpers: p.helpers,
      attach_explanation: explained.get(p.name) ?? null,
    })),
    maps: v.maps.map((m) => ({ name: m.name, type: m.type, max_entries: m.max_entries })),
    fixups: v.fixups.map((f) => ({ kind: f.kind, target: f.target, status: f.status, detail: f.detail, automatic: isAutomatic(f) })),
    functional: { status: v.functional.status, tests: v.functional.tests.map((t) => ({ ...t })) },
    root_cause: c?.rootCause ?? null,
    warnings,
    infra_error: null,
    console_tail: '',
    notes,
  };
}

/** No verdict: the harness could not produce one (boot failure, hang, panic, lost channel). */
export function targetFromInfraError(ctx: TargetContext, message: string, consoleTail: string, attachMode: AttachMode): TargetReport {
  return {
    ...targetBase(ctx),
    status: 'infra_error',
    failed_stage: 'infra',
    classification_code: null,
    classification_confidence: null,
    classification_reason: '',
    remediation: '',
    btf: { kernel_btf_available: false, artifact_has_btf: false, artifact_has_btf_ext: false },
    validation: { load_status: 'skipped', load_error_code: 0, load_error: '', attach_mode: attachMode, attach_status: 'skipped', attach_attempted: 0, attach_passed: 0, attach_failed: 0 },
    programs: [],
    maps: [],
    functional: { status: 'skipped', tests: [] },
    root_cause: null,
    infra_error: message,
    console_tail: consoleTail,
    notes: [`infrastructure error: ${message}`],
  };
}
