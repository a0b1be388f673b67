import { canonicalJson, sha256Hex } from '../../../history/vocabulary/hash.ts';
import type { ClassificationCode } from '../../../history/vocabulary/codes.ts';
import type { RootCause } from '../../../history/vocabulary/report-schema.ts';
import type { Prediction, ScreenEvidence, ScreenProgram } from '../../../history/vocabulary/screen-schema.ts';
import type { CoreOutcome, ObjectFacts, ProgramFacts, TargetFacts } from './facts.ts';

// Facts → predictions, pure. A check either decides (a missing helper fails the load on every kernel that lacks it)
// or leaves the program unknown with the reason; what BTF cannot say (the verifier, per-program-type allow-lists,
// LSM enabled at boot, lockdown) is never turned into a pass or a fail by guessing.

/** What the manifest changes about a prediction. */
export interface ScreenPolicy {
  /** programs whose attach must succeed ('all' with require_attach) */
  requiredAttach: Set<string> | 'all';
  /** programs the manifest retypes or groups into variants: loaded differently from what the object says */
  reshaped: Set<string>;
  /** the manifest runs functional tests: behaviour is not in BTF */
  functionalTests: boolean;
  /** maps the manifest sizes before load (maps[] fixups) */
  sizedMaps: Set<string>;
  /** maps whose value_size the manifest gives (maps[].value_size) */
  sizedValues?: Set<string>;
  /** programs whose attach target the manifest names (programs[].attach.target), replacing the section's */
  retargeted?: Map<string, string>;
}

export const DEFAULT_POLICY: ScreenPolicy = { requiredAttach: new Set(), reshaped: new Set(), functionalTests: false, sizedMaps: new Set() };

const SIZED_BY_LIBBPF = new Set(['perf_event_array']);
/** Map types whose value_size 0 the kernel refuses and the validator does not size (stack-trace maps it sizes). */
const NEEDS_VALUE = new Set(['hash', 'array', 'percpu_hash', 'percpu_array', 'lru_hash', 'lru_percpu_hash', 'lpm_trie', 'queue', 'stack', 'bloom_filter']);

export interface TargetPrediction {
  prediction: Prediction;
  classification_code: ClassificationCode | null;
  root_cause: RootCause | null;
  reason: string;
  fingerprint: string;
  programs: ScreenProgram[];
}

interface Decision { prediction: Prediction; code: ClassificationCode | null; root: RootCause | null; reason: string }

const GPL_COMPATIBLE = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

/** Attach kinds libbpf resolves against BTF at load time: a missing target fails the load, whatever the attach mode. */
const LOAD_TIME_TARGETS = new Set(['fentry', 'fexit', 'fmod_ret', 'lsm', 'iter', 'tp_btf']);

/** "<byte_off> [15] struct task_struct.__state (0:0 @ offset 0)" → task_struct, __state */
export function coreRootCause(u: CoreOutcome, program: string): RootCause {
  const m = /\] (?:struct |union |enum |typedef )?([A-Za-z0-9_]+)(?:\.([A-Za-z0-9_.]+))?/.exec(u.spec);
  const root: RootCause = { kind: 'core_relocation', name: m?.[1] ?? u.spec, type: m?.[1] ?? u.spec, program };
  if (m?.[2]) root.field = m[2];
  return root;
}

const fail = (code: ClassificationCode, root: RootCause, reason: string): Decision => ({ prediction: 'fail', code, root, reason });

/**
 * The modules the boot loads (null: not known, as for BTF files). A name found only in a module exists where that
 * module is loaded: on a host that loaded it, not in a boot that does not. Such a name is never turned into a pass
 * or a fail: the screen says where it lives and leaves the program unknown.
 */
export type BootModules = ReadonlySet<string> | null;

const unloaded = (m: string | undefined, boot: BootModules): m is string => m !== undefined && !boot?.has(m);

export function moduleReason(what: string, module: string | string[], boot: BootModules): string {
  const ms = typeof module === 'string' ? [module] : module;
  const one = ms.length === 1;
  const loads = boot ? (boot.size ? `the boot loads only ${[...boot].join(', ')}` : 'the boot loads no module') : `whether ${one ? 'it is' : 'they are'} loaded is not known here`;
  return `${what} lives in module${one ? '' : 's'} ${ms.join(', ')}, which ${one ? 'is' : 'are'} loaded only where something loads ${one ? 'it' : 'them'} (${loads})`;
}

const withModule = (e: ScreenEvidence, m: string | undefined): ScreenEvidence => (m ? { ...e, detail: `${e.detail} in module ${m}`, module: m } : e);
const unknown = (reason: string): Decision => ({ prediction: 'unknown', code: null, root: null, reason });

function decideProgram(obj: ObjectFacts, prog: ObjectFacts['programs'][number], p: ProgramFacts, t: TargetFacts, policy: ScreenPolicy, ev: ScreenEvidence[], boot: BootModules): Decision {
  const decisions: Decision[] = [];
  const unknowns: string[] = [];
  if (p.prog_type_known === false) decisions.push(fail('UNSUPPORTED_PROGRAM_TYPE', { kind: 'program_type', name: prog.prog_type, program: p.name }, `program type ${prog.prog_type} is not in this kernel's enum bpf_prog_type`));
  ev.push({ check: 'prog_type', status: p.prog_type_known === false ? 'missing' : p.prog_type_known ? 'ok' : 'unchecked', detail: prog.prog_type });
  // BPF_XDP names the XDP link (5.9+); kernels before it ignore it at load, and the boot attaches over netlink there,
  // as loaders for those kernels do
  const linkOnly = p.attach_type_known === false && prog.prog_type === 'xdp' && prog.attach_type === 'xdp';
  if (p.attach_type_known === false && !linkOnly) decisions.push(fail('UNSUPPORTED_ATTACH_TYPE', { kind: 'attach_type', name: prog.attach_type ?? '?', program: p.name }, `attach type ${prog.attach_type} is not in this kernel's enum bpf_attach_type`));
  if (prog.attach_type) ev.push({ check: 'attach_type', status: linkOnly ? 'ok' : p.attach_type_known === false ? 'missing' : p.attach_type_known ? 'ok' : 'unchecked', detail: linkOnly ? 'xdp: no XDP links on this kernel (5.9+); attaches with bpf_xdp_attach() over netlink' : prog.attach_type });
  for (const m of obj.maps) {
    // libbpf sizes these itself (perf event arrays: one slot per CPU); any other zero is the loader's to set
    if (m.max_entries === 0 && !SIZED_BY_LIBBPF.has(m.type) && !policy.sizedMaps.has(m.name)) unknowns.push(`map ${m.name} has max_entries 0: its loader sizes it before load (a manifest maps[] fixup says how)`);
    // a zero value size the boot does not size itself (it sizes stack-trace maps) is refused by every kernel
    if (m.value_size === 0 && NEEDS_VALUE.has(m.type) && !policy.sizedValues?.has(m.name)) {
      decisions.push(fail('MAP_CREATION_FAILURE', { kind: 'map', name: m.name, type: m.type, field: 'value_size', value: 0 }, `map ${m.name} (${m.type}) has value_size 0, which every kernel refuses: its loader sets it before load (bpf_map__set_value_size)`));
    }
  }
  for (const m of t.maps ?? []) {
    if (m.known === false) decisions.push(fail('UNSUPPORTED_MAP_TYPE', { kind: 'map_type', name: m.type }, `map ${m.name}: type ${m.type} is not in this kernel's enum bpf_map_type`));
  }
  for (const k of t.kconfig ?? []) {
    if (k.status === 'provided_by_libbpf') continue;
    ev.push({ check: 'kconfig', status: k.status === 'set' ? 'ok' : k.status === 'unset' ? 'missing' : 'unchecked', detail: `${k.name}${k.value ? `=${k.value}` : ''}${k.weak ? ' (weak)' : ''}` });
    if (k.weak) continue; // libbpf gives a weak __kconfig extern the value 0
    if (k.status === 'unset') decisions.push(fail('UNKNOWN', { kind: 'kconfig', name: k.name }, `__kconfig ${k.name} is not set in this kernel's config (libbpf fails the load)`));
    else if (k.status === 'unchecked') unknowns.push(`__kconfig ${k.name}: the kernel's config is not available`);
  }
  for (const h of p.helpers_missing) {
    decisions.push(fail('UNSUPPORTED_HELPER', { kind: 'helper', name: `helper ${h.id}`, id: h.id, program: p.name }, `helper ${h.id} (called in ${h.function}) is beyond this kernel's enum bpf_func_id`));
    ev.push({ check: 'helper', status: 'missing', detail: `id ${h.id} in ${h.function}` });
  }
  if (!p.helpers_checked) unknowns.push('enum bpf_func_id not in BTF: helper ids unchecked');
  for (const e of p.externs) {
    if (e.kind === 'kfunc') {
      ev.push(withModule({ check: 'kfunc', status: e.status === 'present' ? 'ok' : e.status === 'incompatible' ? 'incompatible' : 'missing', detail: `${e.name}${e.weak ? ' (weak)' : ''}` }, e.module));
      if (e.weak) continue; // a __weak kfunc is left out by libbpf and guarded by bpf_ksym_exists()
      // incompatible in the module fails the load, and so does its absence where the module is not loaded
      if (e.status === 'present' && unloaded(e.module, boot)) unknowns.push(moduleReason(`kfunc ${e.name}`, e.module, boot));
      else if (e.status === 'missing') decisions.push(fail('MISSING_KFUNC', { kind: 'kfunc', name: e.name, program: p.name }, `kfunc ${e.name} is not in this kernel's BTF`));
      else if (e.status === 'incompatible') decisions.push(fail('MISSING_KFUNC', { kind: 'kfunc', name: e.name, program: p.name }, `kfunc ${e.name} exists with a prototype libbpf rejects (bpf_core_types_are_compat)`));
      else unknowns.push(`kfunc ${e.name} exists; whether it is registered for ${prog.prog_type} programs is in the kernel's BTF_ID sets, not in BTF`);
    } else if (e.kind === 'ksym' || e.kind === 'ksym_untyped') {
      ev.push(withModule({ check: 'ksym', status: e.status === 'present' ? 'ok' : e.status === 'missing' ? 'missing' : 'unchecked', detail: `${e.name}${e.weak ? ' (weak)' : ''}` }, e.module));
      if (e.weak) continue;
      if (e.status === 'present' && unloaded(e.module, boot)) unknowns.push(moduleReason(`__ksym ${e.name}`, e.module, boot));
      else if (e.status === 'missing') decisions.push(fail('UNKNOWN', { kind: 'ksym', name: e.name, program: p.name }, `__ksym ${e.name} is not in this kernel (${e.kind === 'ksym' ? 'BTF VAR' : 'System.map'})`));
      else if (e.status === 'unchecked') unknowns.push(`untyped __ksym ${e.name}: no System.map to look it up`);
    }
  }
  // CO-RE: an error fails the whole load; a poisoned instruction fails only where the verifier reaches it. A program
  // that tests existence (bpf_core_field_exists() and kin, true or false here) is written to skip what a kernel
  // lacks: whether the poisoned instruction is on a live path is then the verifier's call.
  // Even an existence test of the very access that is poisoned, false here, does not make the access dead code for
  // certain: measured (bench/screen.bench.ts), libbpf-tools' biosnoop and biostacks carry such a guard and still fail
  // to load on some kernels. The evidence names the guard; the prediction stays unknown.
  const access = (spec: string) => spec.replace(/^<[a-z_0-9]+> /, '');
  const falseHere = new Set(p.core.unresolved.filter((u) => u.outcome === 'absent').map((u) => access(u.spec)));
  // types only a module has: what libbpf computes depends on whether the module is loaded
  const coreModules = new Set([...(p.core.modules ?? []), ...p.core.unresolved.flatMap((u) => (u.module ? [u.module] : []))]);
  const coreUnloaded = [...coreModules].filter((m) => unloaded(m, boot));
  if (coreUnloaded.length) unknowns.push(moduleReason('a type CO-RE relocates against', coreUnloaded, boot));
  for (const u of p.core.unresolved) {
    const guarded = u.outcome === 'poisoned' && falseHere.has(access(u.spec));
    ev.push(withModule({ check: 'core', status: u.outcome, detail: `${u.spec} in ${u.function} insn ${u.insn}${guarded ? ': an existence test of the same access is false here' : ''}` }, u.module));
    if (unloaded(u.module, boot)) continue;
    if (u.outcome === 'error') decisions.push(fail('CORE_RELOCATION_FAILURE', coreRootCause(u, p.name), `CO-RE relocation ${u.spec} cannot be resolved (libbpf fails the load)`));
    else if (u.outcome === 'poisoned') {
      if (p.core.existence_checks) unknowns.push(`CO-RE relocation ${u.spec} is poisoned, and the program tests existence (${p.core.existence_checks} checks): the verifier decides whether it is reached`);
      else decisions.push(fail('CORE_RELOCATION_FAILURE', coreRootCause(u, p.name), `CO-RE relocation ${u.spec} finds no match in this kernel; libbpf poisons the instruction and no existence check in the program guards it`));
    }
  }
  if (p.core.total) ev.push({ check: 'core', status: 'ok', detail: `${p.core.resolved} of ${p.core.total} relocations resolved${coreModules.size ? ` (with the types of module ${[...coreModules].join(', ')})` : ''}` });
  const retarget = policy.retargeted?.get(p.name);
  const a = retarget === undefined ? p.attach : undefined;
  // the section's target is a placeholder the loader replaces: the facts looked up the wrong name
  if (retarget !== undefined) {
    ev.push({ check: 'attach_target', status: 'unchecked', detail: `${retarget} (the manifest's attach.target; the screen looks up the section's target only)` });
    unknowns.push(`the manifest sets the attach target to ${retarget}, which the screen does not look up`);
  }
  if (a) {
    ev.push(withModule({ check: 'attach_target', status: a.status === 'present' ? 'ok' : a.status, detail: `${a.kind} ${a.target}${a.looked_up ? ` (${a.how} ${a.looked_up})` : ''}` }, a.module));
    const required = policy.requiredAttach === 'all' || policy.requiredAttach.has(p.name);
    const root: RootCause = { kind: 'attach_target', type: a.kind, name: a.target, program: p.name };
    if (a.status === 'present' && unloaded(a.module, boot) && (LOAD_TIME_TARGETS.has(a.kind) || required)) unknowns.push(moduleReason(`${a.kind} target ${a.looked_up || a.target}`, a.module, boot));
    else if (a.status === 'missing' && LOAD_TIME_TARGETS.has(a.kind)) decisions.push(fail('ATTACH_TARGET_MISSING', root, `${a.kind} target ${a.looked_up} is not in this kernel's BTF (libbpf fails the load)`));
    else if (a.status === 'missing' && required) decisions.push(fail('ATTACH_TARGET_MISSING', root, `${a.kind} target ${a.target} is not in this kernel (${a.how}) and its attach is required`));
    else if (required && a.kind === 'lsm') unknowns.push(`lsm ${a.target}: the attach is required and whether the BPF LSM is enabled at boot is not in BTF`);
    else if (required && a.status === 'unchecked') unknowns.push(`${a.kind} ${a.target}: the attach is required and its target cannot be looked up statically`);
  }
  if (!GPL_COMPATIBLE.has(obj.license) && prog.functions.length) unknowns.push(`license "${obj.license}" is not GPL-compatible: which helpers are GPL-only is not in BTF`);
  if (policy.reshaped.has(p.name)) unknowns.push('the manifest retypes this program or makes it a variant');
  const failed = decisions.find((d) => d.prediction === 'fail');
  if (failed) return failed;
  if (unknowns.length) return unknown(unknowns.join('; '));
  ev.push({ check: 'verifier', status: 'undecidable', detail: 'verifier acceptance is assumed: no static check can decide it' });
  return { prediction: 'pass', code: null, root: null, reason: 'every check the screen decides passes' };
}

/** Every module a target's facts name. */
function modulesNamed(t: TargetFacts): string[] {
  const out = new Set<string>();
  for (const p of t.programs ?? []) {
    if (p.attach?.module) out.add(p.attach.module);
    for (const e of p.externs) if (e.module) out.add(e.module);
    for (const m of p.core.modules ?? []) out.add(m);
    for (const u of p.core.unresolved) if (u.module) out.add(u.module);
  }
  return [...out].sort();
}

/**
 * The facts of a target that matter to this object, without names or paths: equal facts, equal predictions. Whether
 * the boot loads each module the facts name is part of it (it changes the prediction).
 */
export function fingerprint(t: TargetFacts, boot: BootModules = null): string {
  return sha256Hex(canonicalJson({
    boot_loads: modulesNamed(t).map((m) => [m, !unloaded(m, boot)]),
    btf: t.btf.status === 'ok' ? 'ok' : t.btf.status,
    modules: t.btf.modules.map((m) => m.status),
    system_map: t.system_map, config: t.config,
    maps: t.maps ?? [], kconfig: t.kconfig ?? [],
    programs: (t.programs ?? []).map((p) => ({ ...p, core: { ...p.core, unresolved: p.core.unresolved.map((u) => ({ ...u })) } })),
  }));
}

export function predictTarget(obj: ObjectFacts, t: TargetFacts, policy: ScreenPolicy = DEFAULT_POLICY, boot: BootModules = null): TargetPrediction {
  const fp = fingerprint(t, boot);
  const loaded = obj.programs.filter((p) => p.autoload);
  if (t.btf.status !== 'ok') {
    const why = t.btf.status === 'absent' ? 'the kernel has no BTF' : `its BTF does not parse (${t.btf.error ?? 'unknown error'})`;
    const reason = `${why}: nothing can be predicted${obj.has_core ? ' (the object needs BTF for CO-RE)' : ''}`;
    return {
      prediction: 'unknown', classification_code: null, root_cause: null, reason, fingerprint: fp,
      programs: loaded.map((p) => ({ name: p.name, section: p.section, prediction: 'unknown', classification_code: null, root_cause: null, reason, evidence: [{ check: 'btf', status: t.btf.status === 'absent' ? 'absent' : 'error', detail: why }] })),
    };
  }
  const programs: ScreenProgram[] = [];
  for (const prog of loaded) {
    const facts = t.programs?.find((p) => p.name === prog.name);
    const ev: ScreenEvidence[] = [];
    const d = facts ? decideProgram(obj, prog, facts, t, policy, ev, boot) : unknown('no facts for this program');
    programs.push({ name: prog.name, section: prog.section, prediction: d.prediction, classification_code: d.code, root_cause: d.root, reason: d.reason, evidence: ev });
  }
  const firstFail = programs.find((p) => p.prediction === 'fail');
  const firstUnknown = programs.find((p) => p.prediction === 'unknown');
  if (firstFail) return { prediction: 'fail', classification_code: firstFail.classification_code, root_cause: firstFail.root_cause, reason: `${firstFail.name}: ${firstFail.reason}`, fingerprint: fp, programs };
  if (policy.functionalTests) return { prediction: 'unknown', classification_code: null, root_cause: null, reason: 'the manifest runs functional tests: behaviour is not in BTF', fingerprint: fp, programs };
  if (firstUnknown) return { prediction: 'unknown', classification_code: null, root_cause: null, reason: `${firstUnknown.name}: ${firstUnknown.reason}`, fingerprint: fp, programs };
  return { prediction: 'pass', classification_code: null, root_cause: null, reason: programs.length ? 'every check the screen decides passes (verifier acceptance assumed)' : 'no program to load', fingerprint: fp, programs };
}
