// Root causes from structured evidence: what a failing program needs and what the validator's probes say this
// kernel lacks. A fact backed by a probe is high confidence; the log is only consulted when no fact explains
// the failure (log-rules.ts).
import type { ProgramEvidence, ValidatorResult } from '../validation/validator-result.ts';
import type { RootCause } from '../../../history/vocabulary/report-schema.ts';
import type { ClassificationCode } from '../../../history/vocabulary/codes.ts';
import { errnoName } from './errno.ts';

export type Confidence = 'high' | 'medium' | 'low';

export interface Finding {
  code: ClassificationCode;
  confidence: Confidence;
  reason: string;
  rootCause: RootCause;
  program?: string;
}

/** The kernel's license_is_gpl_compatible() list. */
const GPL_COMPATIBLE = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

export function gplCompatible(v: ValidatorResult): boolean {
  return v.object.license_gpl_compatible ?? GPL_COMPATIBLE.has(v.object.license.replace(/\0+$/, ''));
}

export function failingPrograms(v: ValidatorResult): ProgramEvidence[] {
  return v.programs.filter((p) => p.trial_load.status === 'fail' || p.load.status === 'fail');
}

/** Programs whose target the kernel resolves while loading (BTF ids), so a missing one fails the load. */
const LOAD_TIME_TARGETS = new Set(['function', 'btf_tracepoint', 'lsm_hook']);

/** libbpf rewrites a failed CO-RE relocation to call 0xbad2310 and an unresolved weak kfunc to call
 *  2002000000 + n: markers, not helpers (validators before this check recorded them as helper ids). */
const isPoisonCall = (id: number) => id === 195896080 || id >= 2002000000;

const coreName = (c: { type: string; field: string }) => `${c.type}${c.field ? `.${c.field}` : ''}`;

/** One failing program's root cause from its probes, in the order a loader meets them. */
function programFinding(v: ValidatorResult, p: ProgramEvidence): Finding | null {
  const program = p.name;
  // libbpf applies CO-RE relocations first (a failed one becomes a poisoned call), then resolves kfuncs
  const core = p.core_relos.find((c) => c.status === 'missing' && !c.guard);
  if (core) {
    return {
      code: 'CORE_RELOCATION_FAILURE', confidence: 'high', program,
      reason: `program ${program} reads ${coreName(core)} (CO-RE ${core.kind}), which this kernel's BTF does not have`,
      rootCause: { kind: 'core_relocation', name: coreName(core), type: core.type, field: core.field, program },
    };
  }
  const kfunc = p.kfuncs.find((k) => k.status === 'missing' && !k.weak);
  if (kfunc) {
    return {
      code: 'MISSING_KFUNC', confidence: 'high', program,
      reason: `program ${program} calls kfunc ${kfunc.name}, which this kernel's BTF does not have`,
      rootCause: { kind: 'kfunc', name: kfunc.name, program },
    };
  }
  const helpers = p.helper_probes.filter((h) => !isPoisonCall(h.id));
  const helper = helpers.find((h) => h.status === 'missing') ?? helpers.find((h) => h.status === 'unsupported_for_type');
  if (helper) {
    const label = `${helper.name || 'helper'} (id ${helper.id})`;
    return {
      code: 'UNSUPPORTED_HELPER', confidence: 'high', program,
      reason: helper.status === 'missing'
        ? `program ${program} calls ${label}, which this kernel does not have (the probe confirms)`
        : `program ${program} calls ${label}, which this kernel does not allow for ${p.type} programs (the probe confirms)`,
      rootCause: { kind: 'helper', name: helper.name, id: helper.id, type: p.type, program },
    };
  }
  const gpl = helpers.find((h) => h.status === 'gpl_only');
  if (gpl && !gplCompatible(v)) {
    return {
      code: 'GPL_ONLY_HELPER', confidence: 'high', program,
      reason: `program ${program} calls the GPL-only ${gpl.name || 'helper'} (id ${gpl.id}) but the object's license "${v.object.license}" is not GPL-compatible`,
      rootCause: { kind: 'license', name: gpl.name, id: gpl.id, type: v.object.license, program },
    };
  }
  if (p.attach_type_probe.status === 'unsupported') {
    return {
      code: 'UNSUPPORTED_ATTACH_TYPE', confidence: 'high', program,
      reason: `program ${program} has attach type ${p.expected_attach_type}, which this kernel refuses for ${p.type} programs (the probe confirms)`,
      rootCause: { kind: 'attach_type', name: p.expected_attach_type, type: p.type, program },
    };
  }
  if (v.probes.program_types[p.type]?.status === 'unsupported') {
    return {
      code: 'UNSUPPORTED_PROGRAM_TYPE', confidence: 'high', program,
      reason: `program ${program} has type ${p.type}, which the probe shows this kernel does not support`,
      rootCause: { kind: 'program_type', name: p.type, program },
    };
  }
  if (p.attach_target.status === 'missing' && LOAD_TIME_TARGETS.has(p.attach_target.kind)) {
    return {
      code: 'ATTACH_TARGET_MISSING', confidence: 'high', program,
      reason: `program ${program} (${p.section}) targets ${p.attach_target.kind} ${p.attach_target.name}, which this kernel's BTF does not have`,
      rootCause: { kind: 'attach_target', name: p.attach_target.name, type: p.attach_target.kind, program },
    };
  }
  if (p.type === 'ext' || (p.type === 'tracing' && !p.section.includes('/'))) {
    return {
      code: 'NEEDS_RUNTIME_TARGET', confidence: 'medium', program,
      reason: `program ${program} (${p.section}) names no attach target: its loader supplies one at runtime (a BPF program or kernel function)`,
      rootCause: { kind: 'runtime_target', name: p.section, type: p.type, program },
    };
  }
  return null;
}

/** No kernel BTF and the object needs it: CO-RE relocations, kfuncs or BTF-resolved attach targets. */
function missingBtf(v: ValidatorResult): Finding | null {
  if (v.btf.kernel_btf_available) return null;
  for (const p of failingPrograms(v)) {
    const core = p.core_relos.find((c) => c.status === 'no_kernel_btf' && !c.guard);
    const what = core ? `CO-RE relocation ${coreName(core)}` : p.kfuncs.length > 0 ? `kfunc ${p.kfuncs[0]!.name}` : LOAD_TIME_TARGETS.has(p.attach_target.kind) ? `${p.attach_target.kind} ${p.attach_target.name}` : null;
    if (what) {
      return {
        code: 'MISSING_BTF', confidence: 'high', program: p.name,
        reason: `the kernel has no /sys/kernel/btf/vmlinux and program ${p.name} needs it for ${what}`,
        rootCause: { kind: 'btf', name: 'vmlinux', program: p.name, ...(core ? { type: core.type, field: core.field } : {}) },
      };
    }
  }
  return null;
}

/** Errnos that say the kernel ran out of something, not that it lacks a feature. */
const RESOURCE_ERRNOS = new Set([12 /* ENOMEM */, 28 /* ENOSPC */, 24 /* EMFILE */, 23 /* ENFILE */]);
const PERMISSION_ERRNOS = new Set([1 /* EPERM */, 13 /* EACCES */]);

/**
 * A map the kernel refused. Only the kernel's own "no such type" answer makes it an unsupported type: its BTF has no
 * enumerator for the type, or (without that evidence) the type probe got the kernel's unknown-type answer. A refusal
 * for another reason (ENOMEM, EPERM, E2BIG, EINVAL of a known type) is named as what it is.
 */
function mapFinding(v: ValidatorResult): Finding | null {
  const map = v.maps.find((m) => m.create.status === 'fail');
  if (!map) return null;
  const probe = v.probes.map_types[map.type];
  const err = map.create.errno;
  const known = map.type_in_kernel;
  const refused = err ? ` (${errnoName(err)})` : '';
  if (map.refused_field) {
    // the validator re-created the map alone: as compiled it is refused, with only this field set it is accepted
    const setter = `bpf_map__set_${map.refused_field}`;
    const shown = map.refused_field === 'map_flags' ? `0x${map.refused_value.toString(16)}` : String(map.refused_value);
    return {
      code: 'MAP_CREATION_FAILURE', confidence: 'high',
      reason: `map '${map.name}' of type ${map.type} could not be created${refused}: the kernel refuses its ${map.refused_field} ${shown}` +
        ` (re-created alone with only ${map.refused_field} changed, it is accepted)` +
        (map.refused_field === 'map_flags' ? '' : map.refused_value === 0 ? `; its loader sets it before load (${setter})` : ''),
      rootCause: { kind: 'map', name: map.name, type: map.type, field: map.refused_field, value: map.refused_value },
    };
  }
  if (known === 'missing' || (known !== 'present' && probe?.status === 'unsupported' && !RESOURCE_ERRNOS.has(err) && !PERMISSION_ERRNOS.has(err))) {
    const evidence = known === 'missing' ? `this kernel's BTF has no ${map.type} in enum bpf_map_type` : `the probe confirms ${map.type} maps are unsupported on this kernel`;
    return {
      code: 'UNSUPPORTED_MAP_TYPE', confidence: 'high',
      reason: `map '${map.name}' of type ${map.type} could not be created${refused}; ${evidence}`,
      rootCause: { kind: 'map_type', name: map.type, id: map.type_id },
    };
  }
  const support = known === 'present' ? `this kernel knows ${map.type} maps (its BTF names the type)`
    : probe?.status === 'supported' ? `the probe created a ${map.type} map`
    : `whether this kernel supports ${map.type} maps is not known (the type probe was ${probe?.status ?? 'not run'}${probe?.errno ? `: ${errnoName(probe.errno)}` : ''})`;
  const rootCause: RootCause = { kind: 'map', name: map.name, type: map.type, ...(err ? { value: errnoName(err) } : {}) };
  if (RESOURCE_ERRNOS.has(err)) {
    return {
      code: 'RESOURCE_LIMIT', confidence: 'medium',
      reason: `map '${map.name}' of type ${map.type} could not be created: the kernel refused with ${errnoName(err)} (a resource limit, not missing support); ${support}`,
      rootCause,
    };
  }
  if (PERMISSION_ERRNOS.has(err)) {
    return {
      code: 'CAPABILITY_FAILURE', confidence: 'medium',
      reason: `map '${map.name}' of type ${map.type} could not be created: the kernel refused with ${errnoName(err)} (a permission); ${support}`,
      rootCause,
    };
  }
  if (known === 'present' || probe?.status === 'supported') {
    return {
      code: 'MAP_CREATION_FAILURE', confidence: err ? 'high' : 'medium',
      reason: `map '${map.name}' of type ${map.type} could not be created${refused}: ${support}, so the kernel refused the map's attributes`,
      rootCause,
    };
  }
  return null;
}

/** The structured root cause of a failed load, or null when no fact explains it. */
export function loadFinding(v: ValidatorResult): Finding | null {
  const btf = missingBtf(v);
  if (btf) return btf;
  const map = mapFinding(v);
  if (map) return map;
  for (const p of failingPrograms(v)) {
    const f = programFinding(v, p);
    if (f) return f;
  }
  return null;
}

/**
 * Why a program could not be attached, whether that failed the target (required attach) or only warned
 * (best-effort): the target is absent, the kernel does not know the attach type, or the refusal says what it was.
 */
export function attachFinding(v: ValidatorResult, p: ProgramEvidence): Finding {
  const program = p.name;
  const err = p.attach.errno;
  const refused = `${p.attach.error || errnoName(err)}${err && p.attach.error ? ` (${errnoName(err)})` : ''}`;
  if (p.attach_target.status === 'missing') {
    return {
      code: 'ATTACH_TARGET_MISSING', confidence: 'high', program,
      reason: `program ${program} (${p.section}) could not be attached: ${p.attach_target.kind} ${p.attach_target.name} does not exist in this kernel (the probe confirms)`,
      rootCause: { kind: 'attach_target', name: p.attach_target.name, type: p.attach_target.kind, program },
    };
  }
  const attachType = p.expected_attach_type || p.type;
  if (p.attach_type_in_kernel === 'missing' || p.attach_type_probe.status === 'unsupported') {
    const evidence = p.attach_type_in_kernel === 'missing'
      ? `this kernel does not know attach type ${attachType} (its BTF has no BPF_${attachType.toUpperCase()} in enum bpf_attach_type)`
      : `this kernel refuses attach type ${attachType} for ${p.type} programs (the probe confirms)`;
    return {
      code: 'UNSUPPORTED_ATTACH_TYPE', confidence: 'high', program,
      reason: `program ${program} (${p.section}) could not be attached${p.attach.method && p.attach.method !== 'none' ? ` by ${p.attach.method}` : ''}: ${evidence}`,
      rootCause: { kind: 'attach_type', name: attachType, type: p.type, program },
    };
  }
  const target = p.attach.target ? ` to ${p.attach.target}` : '';
  if (RESOURCE_ERRNOS.has(err)) {
    return {
      code: 'RESOURCE_LIMIT', confidence: 'medium', program,
      reason: `program ${program} (${p.section}) could not be attached${target}: the kernel refused with ${errnoName(err)} (a resource limit, not missing support)`,
      rootCause: { kind: 'attach_type', name: attachType, type: p.type, program, value: errnoName(err) },
    };
  }
  if (PERMISSION_ERRNOS.has(err)) {
    const lockdown = v.probes.environment.lockdown ?? '';
    const locked = /\[(integrity|confidentiality)\]/.test(lockdown);
    return {
      code: locked ? 'POLICY_DENIED' : 'CAPABILITY_FAILURE', confidence: 'medium', program,
      reason: `program ${program} (${p.section}) could not be attached${target}: the kernel refused with ${errnoName(err)}${locked ? ` under lockdown ${lockdown}` : ''}`,
      rootCause: { kind: locked ? 'policy' : 'capability', name: errnoName(err), type: attachType, program },
    };
  }
  return {
    code: 'UNSUPPORTED_ATTACH_TYPE', confidence: 'medium', program,
    reason: `program ${program} (${p.section}) could not be attached${target}: ${refused}${p.attach_type_in_kernel === 'present' ? `; the kernel knows attach type ${attachType}, so the hook or its arguments were refused` : ''}`,
    rootCause: { kind: 'attach_type', name: attachType, type: p.type, program, ...(err ? { value: errnoName(err) } : {}) },
  };
}
