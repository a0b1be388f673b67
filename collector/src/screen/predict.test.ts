import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObjectFacts, ProgramFacts, TargetFacts } from './facts.ts';
import { coreRootCause, DEFAULT_POLICY, fingerprint, predictTarget, type ScreenPolicy } from './predict.ts';
import { groupTargets } from './screen.ts';

const obj = (over: Partial<ObjectFacts> = {}): ObjectFacts => ({
  kind: 'object', path: 'x.bpf.o', has_btf: true, has_btf_ext: true, has_core: true, core_relos: 1, license: 'GPL',
  programs: [{ name: 'p', section: 'kprobe/do_x', prog_type: 'kprobe', autoload: true, attach_kind: 'kprobe', functions: ['p'] }],
  maps: [], externs: [], ...over,
});
const prog = (over: Partial<ProgramFacts> = {}): ProgramFacts => ({
  name: 'p', prog_type_known: true, attach_type_known: true,
  attach: { kind: 'kprobe', target: 'do_x', looked_up: 'do_x', how: 'system_map', status: 'present' },
  helpers_missing: [], helpers_checked: true, externs: [], core: { unresolved: [], total: 1, resolved: 1, existence_checks: 0 }, ...over,
});
const target = (p: ProgramFacts, over: Partial<TargetFacts> = {}): TargetFacts => ({
  kind: 'target', name: '0', system_map: true, config: true, btf: { status: 'ok', types: 100, modules: [] }, maps: [], kconfig: [], programs: [p], ...over,
});
const poisoned = { outcome: 'poisoned' as const, kind: 'byte_off', spec: '<byte_off> [15] struct task_struct.__state (0:0 @ offset 0)', function: 'p', insn: 3 };
const required: ScreenPolicy = { requiredAttach: new Set(['p']), reshaped: new Set(), functionalTests: false, sizedMaps: new Set() };

test('a clean program is predicted to pass, with verifier acceptance named as an assumption', () => {
  const r = predictTarget(obj(), target(prog()));
  assert.equal(r.prediction, 'pass');
  assert.ok(r.programs[0]!.evidence.some((e) => e.check === 'verifier' && e.status === 'undecidable'));
});

test('a poisoned relocation no existence check guards fails with the CO-RE code and the type and field', () => {
  const r = predictTarget(obj(), target(prog({ core: { unresolved: [poisoned], total: 1, resolved: 0, existence_checks: 0 } })));
  assert.equal(r.prediction, 'fail');
  assert.equal(r.classification_code, 'CORE_RELOCATION_FAILURE');
  assert.deepEqual(r.root_cause, { kind: 'core_relocation', name: 'task_struct', type: 'task_struct', field: '__state', program: 'p' });
});

test('a poisoned relocation in a program whose existence check is false here is unknown: the verifier decides reachability', () => {
  const guard = { outcome: 'absent' as const, kind: 'field_exists', spec: '<field_exists> [15] struct task_struct.__state', function: 'p', insn: 1 };
  const r = predictTarget(obj(), target(prog({ core: { unresolved: [guard, poisoned], total: 2, resolved: 0, existence_checks: 1 } })));
  assert.equal(r.prediction, 'unknown');
  assert.match(r.reason, /verifier decides/);
});

test('a relocation libbpf cannot compute (error) fails even with a guard', () => {
  const guard = { outcome: 'absent' as const, kind: 'field_exists', spec: 'g', function: 'p', insn: 1 };
  const r = predictTarget(obj(), target(prog({ core: { unresolved: [guard, { ...poisoned, outcome: 'error', errno: 22 }], total: 2, resolved: 0, existence_checks: 1 } })));
  assert.equal(r.classification_code, 'CORE_RELOCATION_FAILURE');
});

test('missing helper, map type, program type and attach type each fail with their code', () => {
  assert.equal(predictTarget(obj(), target(prog({ helpers_missing: [{ id: 181, function: 'p' }] }))).classification_code, 'UNSUPPORTED_HELPER');
  assert.equal(predictTarget(obj(), target(prog(), { maps: [{ name: 'm', type: 'cgrp_storage', known: false }] })).classification_code, 'UNSUPPORTED_MAP_TYPE');
  assert.equal(predictTarget(obj(), target(prog({ prog_type_known: false }))).classification_code, 'UNSUPPORTED_PROGRAM_TYPE');
  assert.equal(predictTarget(obj(), target(prog({ attach_type_known: false }))).classification_code, 'UNSUPPORTED_ATTACH_TYPE');
});

test('an XDP program on a kernel without XDP links (BPF_XDP, 5.9+) is not an attach-type failure: it attaches over netlink', () => {
  const xdp = obj({ programs: [{ name: 'p', section: 'xdp', prog_type: 'xdp', attach_type: 'xdp', autoload: true, attach_kind: 'xdp', functions: ['p'] }] });
  const r = predictTarget(xdp, target(prog({ attach_type_known: false, attach: null })));
  assert.notEqual(r.classification_code, 'UNSUPPORTED_ATTACH_TYPE');
  assert.match(r.programs[0]!.evidence.find((e) => e.check === 'attach_type')!.detail, /netlink/);
  const sockAddr = obj({ programs: [{ name: 'p', section: 'cgroup/connect4', prog_type: 'cgroup_sock_addr', attach_type: 'cgroup_inet4_connect', autoload: true, attach_kind: 'cgroup', functions: ['p'] }] });
  assert.equal(predictTarget(sockAddr, target(prog({ attach_type_known: false, attach: null }))).classification_code, 'UNSUPPORTED_ATTACH_TYPE', 'other attach types still decide the load');
});

test('a missing kfunc fails unless it is weak; a present one is unknown (registration per program type is not in BTF)', () => {
  const k = (weak: boolean, status: 'missing' | 'present') => prog({ externs: [{ name: 'bpf_task_from_pid', kind: 'kfunc', weak, status }] });
  assert.equal(predictTarget(obj(), target(k(false, 'missing'))).classification_code, 'MISSING_KFUNC');
  assert.equal(predictTarget(obj(), target(k(true, 'missing'))).prediction, 'pass');
  assert.equal(predictTarget(obj(), target(k(false, 'present'))).prediction, 'unknown');
});

test('an absent kprobe target fails only when its attach is required; unchecked and required is unknown', () => {
  const missing = prog({ attach: { kind: 'kprobe', target: 'nope', looked_up: 'nope', how: 'system_map', status: 'missing' } });
  assert.equal(predictTarget(obj(), target(missing)).prediction, 'pass');
  assert.equal(predictTarget(obj(), target(missing), required).classification_code, 'ATTACH_TARGET_MISSING');
  const unchecked = prog({ attach: { kind: 'kprobe', target: 'nope', looked_up: 'nope', how: 'system_map', status: 'unchecked' } });
  assert.equal(predictTarget(obj(), target(unchecked), required).prediction, 'unknown');
});

test('a missing fentry target fails at load whatever the attach mode', () => {
  const f = prog({ attach: { kind: 'fentry', target: 'gone', looked_up: 'gone', how: 'btf_func', status: 'missing' } });
  assert.equal(predictTarget(obj(), target(f)).classification_code, 'ATTACH_TARGET_MISSING');
});

test('an unset non-weak __kconfig fails; unchecked is unknown; weak passes', () => {
  const kc = (status: 'unset' | 'unchecked', weak = false) => target(prog(), { kconfig: [{ name: 'CONFIG_X', kind: 'kconfig', weak, status }] });
  assert.equal(predictTarget(obj(), kc('unset')).prediction, 'fail');
  assert.equal(predictTarget(obj(), kc('unchecked')).prediction, 'unknown');
  assert.equal(predictTarget(obj(), kc('unset', true)).prediction, 'pass');
});

test('a kernel whose BTF does not parse, or has none, is unknown with the reason; never a crash', () => {
  const bad = predictTarget(obj(), target(prog(), { btf: { status: 'unparsable', error: 'Invalid argument', modules: [] }, programs: undefined }));
  assert.equal(bad.prediction, 'unknown');
  assert.match(bad.reason, /does not parse \(Invalid argument\)/);
  const none = predictTarget(obj(), target(prog(), { btf: { status: 'absent', modules: [] }, programs: undefined }));
  assert.match(none.reason, /no BTF.*CO-RE/);
});

test('a non-GPL license is unknown (GPL-only helpers are not in BTF), and functional tests make the target unknown', () => {
  assert.equal(predictTarget(obj({ license: 'Proprietary' }), target(prog())).prediction, 'unknown');
  assert.equal(predictTarget(obj(), target(prog()), { ...required, requiredAttach: new Set(), functionalTests: true }).prediction, 'unknown');
});

test('fingerprints ignore names and paths; groups name the first kernel of equal facts', () => {
  const a = target(prog(), { name: '0', btf: { status: 'ok', types: 1, path: '/a', modules: [] } });
  const b = target(prog(), { name: '1', btf: { status: 'ok', types: 2, path: '/b', modules: [] } });
  const c = target(prog({ helpers_missing: [{ id: 181, function: 'p' }] }));
  assert.equal(fingerprint(a), fingerprint(b));
  assert.notEqual(fingerprint(a), fingerprint(c));
  const t = (id: string, f: TargetFacts) => ({ profile_id: id, kernel: { release: null, image_sha256: null, btf_path: null, btf_sha256: null }, ...predictTarget(obj(), f) });
  const groups = groupTargets([t('k1', a), t('k2', c), t('k3', b)]);
  assert.deepEqual(groups.map((g) => [g.representative, g.members]), [['k1', ['k1', 'k3']], ['k2', ['k2']]]);
});

test('coreRootCause reads the type and field from libbpf\'s spec text', () => {
  assert.deepEqual(coreRootCause({ ...poisoned, spec: '<type_exists> [7] struct bpf_iter_num' }, 'q'), { kind: 'core_relocation', name: 'bpf_iter_num', type: 'bpf_iter_num', program: 'q' });
});

test('an existence check that is true here still makes a poisoned relocation unknown (the other branch is dead code)', () => {
  const r = predictTarget(obj(), target(prog({ core: { unresolved: [poisoned], total: 3, resolved: 2, existence_checks: 1 } })));
  assert.equal(r.prediction, 'unknown');
});

test('a map its loader sizes (max_entries 0) is unknown unless the manifest sizes it; perf event arrays libbpf sizes', () => {
  const m = (type: string) => obj({ maps: [{ name: 'heap', type, max_entries: 0, key_size: 4, value_size: 8 }] });
  assert.equal(predictTarget(m('array'), target(prog())).prediction, 'unknown');
  assert.equal(predictTarget(m('perf_event_array'), target(prog())).prediction, 'pass');
  assert.equal(predictTarget(m('array'), target(prog()), { ...required, requiredAttach: new Set(), sizedMaps: new Set(['heap']) }).prediction, 'pass');
});

test('a poisoned access guarded by an existence test of the same access, false here, stays unknown (measured: such guards do not always make it dead)', () => {
  const guard = { ...poisoned, outcome: 'absent' as const, kind: 'field_exists', spec: '<field_exists> [15] struct task_struct.__state (0:0 @ offset 0)' };
  const r = predictTarget(obj(), target(prog({ core: { unresolved: [guard, poisoned], total: 2, resolved: 0, existence_checks: 1 } })));
  assert.equal(r.prediction, 'unknown');
  assert.ok(r.programs[0]!.evidence.some((e) => /existence test of the same access is false here/.test(e.detail)));
});

test('a value_size 0 the boot does not size fails as MAP_CREATION_FAILURE naming the field, unless the manifest gives it', () => {
  const m = (type: string) => obj({ maps: [{ name: 'scratch', type, max_entries: 1, key_size: 4, value_size: 0 }] });
  const r = predictTarget(m('percpu_array'), target(prog()));
  assert.equal(r.prediction, 'fail');
  assert.equal(r.classification_code, 'MAP_CREATION_FAILURE');
  assert.deepEqual(r.root_cause, { kind: 'map', name: 'scratch', type: 'percpu_array', field: 'value_size', value: 0 });
  // the boot sizes a stack-trace map itself (127 frames × 8 bytes), and a manifest value_size is what the loader sets
  assert.equal(predictTarget(m('stack_trace'), target(prog())).prediction, 'pass');
  assert.equal(predictTarget(m('percpu_array'), target(prog()), { ...DEFAULT_POLICY, sizedValues: new Set(['scratch']) }).prediction, 'pass');
  assert.equal(predictTarget(m('percpu_array'), target(prog()), { ...DEFAULT_POLICY, sizedMaps: new Set(['scratch']) }).prediction, 'fail', 'max_entries alone does not size the value');
});

test('a program whose manifest names its attach target is unknown: the section names a placeholder', () => {
  const p = prog({ attach: { kind: 'fentry', target: 'dummy_file_read', status: 'missing', how: 'btf_func', looked_up: 'dummy_file_read' } });
  assert.equal(predictTarget(obj(), target(p)).prediction, 'fail');
  const r = predictTarget(obj(), target(p), { ...DEFAULT_POLICY, retargeted: new Map([[p.name, 'vfs_read']]) });
  assert.equal(r.prediction, 'unknown');
  assert.match(r.reason, /sets the attach target to vfs_read/);
});

test('a name found only in a module: decided as usual when the boot loads the module, unknown with the module named when not', () => {
  const boot = new Set(['veth', 'dummy']);
  const fentry = (module: string) => prog({ attach: { kind: 'fentry', target: 'f', looked_up: 'f', how: 'btf_func', status: 'present', module } });
  const loaded = predictTarget(obj(), target(fentry('veth')), DEFAULT_POLICY, boot);
  assert.equal(loaded.prediction, 'pass');
  assert.deepEqual(loaded.programs[0]!.evidence.find((e) => e.check === 'attach_target'), { check: 'attach_target', status: 'ok', detail: 'fentry f (btf_func f) in module veth', module: 'veth' });
  const unloaded = predictTarget(obj(), target(fentry('md_mod')), DEFAULT_POLICY, boot);
  assert.equal(unloaded.prediction, 'unknown', 'never a pass the boot (which does not load md_mod) contradicts');
  assert.match(unloaded.reason, /fentry target f lives in module md_mod, which is loaded only where something loads it \(the boot loads only veth, dummy\)/);
  assert.equal(predictTarget(obj(), target(fentry('veth'))).prediction, 'unknown', 'without the boot\'s modules, no module is taken as loaded');
  // a kprobe in an unloaded module matters only when its attach is required
  const kp = prog({ attach: { kind: 'kprobe', target: 'f', looked_up: 'f', how: 'btf_func', status: 'present', module: 'md_mod' } });
  assert.equal(predictTarget(obj(), target(kp), DEFAULT_POLICY, boot).prediction, 'pass');
  assert.equal(predictTarget(obj(), target(kp), required, boot).prediction, 'unknown');
  // kfuncs and ksyms
  const kf = (status: 'present' | 'incompatible') => prog({ externs: [{ name: 'bpf_x', kind: 'kfunc', weak: false, status, module: 'nf_conntrack' }] });
  assert.match(predictTarget(obj(), target(kf('present')), DEFAULT_POLICY, boot).reason, /kfunc bpf_x lives in module nf_conntrack/);
  assert.equal(predictTarget(obj(), target(kf('incompatible')), DEFAULT_POLICY, boot).classification_code, 'MISSING_KFUNC', 'incompatible where loaded, absent where not: a fail either way');
  const ks = prog({ externs: [{ name: 'v', kind: 'ksym', weak: false, status: 'present', module: 'md_mod' }] });
  assert.match(predictTarget(obj(), target(ks), DEFAULT_POLICY, boot).reason, /__ksym v lives in module md_mod/);
});

test('CO-RE against an unloaded module\'s types is unknown, not the fail or pass those types would give', () => {
  const boot = new Set(['veth']);
  const err = { ...poisoned, outcome: 'error' as const, errno: 22, module: 'md_mod' };
  const r = predictTarget(obj(), target(prog({ core: { unresolved: [err], total: 1, resolved: 0, existence_checks: 0, modules: ['md_mod'] } })), DEFAULT_POLICY, boot);
  assert.equal(r.prediction, 'unknown');
  assert.match(r.reason, /CO-RE relocates against lives in module md_mod/);
  assert.ok(r.programs[0]!.evidence.some((e) => e.check === 'core' && e.module === 'md_mod'));
  const resolved = predictTarget(obj(), target(prog({ core: { unresolved: [], total: 1, resolved: 1, existence_checks: 0, modules: ['md_mod'] } })), DEFAULT_POLICY, boot);
  assert.equal(resolved.prediction, 'unknown');
  // candidates from a loaded module and an unloaded one: the boot sees only some of them
  const mixed = predictTarget(obj(), target(prog({ core: { unresolved: [], total: 1, resolved: 1, existence_checks: 0, modules: ['veth', 'md_mod', 'raid0'] } })), DEFAULT_POLICY, boot);
  assert.equal(mixed.prediction, 'unknown');
  assert.match(mixed.reason, /lives in modules md_mod, raid0, which are loaded only where something loads them/);
  assert.equal(predictTarget(obj(), target(prog({ core: { unresolved: [err], total: 1, resolved: 0, existence_checks: 0, modules: ['md_mod'] } })), DEFAULT_POLICY, new Set(['md_mod'])).classification_code, 'CORE_RELOCATION_FAILURE', 'a loaded module\'s types decide');
});

test('the fingerprint tells apart kernels whose boots load a module the facts name from those whose boots do not', () => {
  const f = target(prog({ attach: { kind: 'fentry', target: 'f', looked_up: 'f', how: 'btf_func', status: 'present', module: 'veth' } }));
  assert.notEqual(fingerprint(f, new Set(['veth'])), fingerprint(f, new Set()));
  assert.equal(fingerprint(target(prog()), new Set(['veth'])), fingerprint(target(prog()), new Set(['dummy'])), 'modules the facts do not name do not matter');
});
