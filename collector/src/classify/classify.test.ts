import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ValidatorResult } from '../validation/validator-result.ts';
import { classifyValidatorResult, classifyCommand, explainAttach } from './classify.ts';
import { CLASSIFICATION_CODES, CODE_INFO } from '../../../history/vocabulary/codes.ts';

const here = dirname(fileURLToPath(import.meta.url));
const testdata = join(here, 'testdata');
const root = join(here, '..', '..', '..');
const load = (name: string) => ValidatorResult.parse(JSON.parse(readFileSync(join(testdata, name), 'utf8')));
const fixtures = readdirSync(testdata).filter((f) => f.endsWith('.json') && !f.startsWith('golden')).sort();

interface Expected {
  verdicts: Record<string, 'pass' | 'fail'>;
  failure?: { stage: string; code: string; confidence: string; program?: string; root_cause: Record<string, unknown>; reason_contains?: string };
}
const examples = (parse(readFileSync(join(root, 'examples', 'expected.yaml'), 'utf8')) as { examples: Record<string, Expected> }).examples;

test('classification of real evidence from the five Debian kernels matches the golden file', () => {
  assert.ok(fixtures.length >= 45, 'fixtures recorded by testdata/record.ts');
  const got: Record<string, unknown> = {};
  for (const f of fixtures) {
    const c = classifyValidatorResult(load(f));
    got[f] = c === null ? 'pass' : { code: c.code, confidence: c.confidence, stage: c.failedStage, program: c.program, root_cause: c.rootCause, reason: c.reason, remediation: c.remediation };
  }
  const golden = join(testdata, 'golden-classifications.json');
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, JSON.stringify(got, null, 2) + '\n');
  assert.deepEqual(got, JSON.parse(readFileSync(golden, 'utf8')));
});

// The same expectations the end-to-end test checks in real VMs, here on the recorded evidence.
for (const [name, ex] of Object.entries(examples)) {
  test(`recorded evidence of example ${name} classifies as examples/expected.yaml says`, () => {
    for (const [profile, verdict] of Object.entries(ex.verdicts)) {
      const file = `${name}--${profile}.json`;
      assert.ok(existsSync(join(testdata, file)), `${file} recorded`);
      const c = classifyValidatorResult(load(file));
      if (verdict === 'pass') {
        assert.equal(c, null, file);
        continue;
      }
      const f = ex.failure!;
      assert.ok(c, file);
      assert.equal(c.code, f.code, file);
      assert.equal(c.confidence, f.confidence, file);
      assert.equal(c.failedStage, f.stage, file);
      if (f.program) assert.equal(c.program, f.program, file);
      assert.ok(c.rootCause, `${file} names a root cause`);
      for (const [k, v] of Object.entries(f.root_cause)) assert.equal((c.rootCause as Record<string, unknown>)[k], v, `${file} root_cause.${k}`);
      if (f.reason_contains) assert.ok(c.reason.includes(f.reason_contains), c.reason);
    }
  });
}

/** The evidence an older validator (without root-cause probes) would have produced. */
function withoutProbes(v: ValidatorResult): ValidatorResult {
  const old = structuredClone(v);
  for (const p of old.programs) {
    p.helper_probes = [];
    p.kfuncs = [];
    p.core_relos = [];
    p.attach_type_probe = { status: '', errno: 0 };
    p.attach_target = { kind: '', name: '', status: '' };
  }
  delete old.object.license_gpl_compatible;
  return old;
}

test('without probe facts the log patterns still name the cause, with lower confidence', () => {
  let c = classifyValidatorResult(withoutProbes(load('core-field-renamed--debian-11.json')))!;
  assert.equal(c.code, 'CORE_RELOCATION_FAILURE');
  assert.equal(c.confidence, 'medium');
  assert.equal(c.rootCause?.type, 'task_struct');
  assert.equal(c.rootCause?.field, '__state');

  c = classifyValidatorResult(withoutProbes(load('missing-kfunc--debian-12.json')))!;
  assert.equal(c.code, 'MISSING_KFUNC');
  assert.equal(c.confidence, 'medium');
  assert.equal(c.rootCause?.name, 'bpf_task_from_pid');

  c = classifyValidatorResult(withoutProbes(load('gpl-only-helper--debian-13.json')))!;
  assert.equal(c.code, 'GPL_ONLY_HELPER');
  assert.equal(c.confidence, 'medium');

  // the log of bpf_loop on 5.10 never names the helper: without the probe it is only a verifier rejection
  c = classifyValidatorResult(withoutProbes(load('bpf-loop--debian-11.json')))!;
  assert.equal(c.code, 'VERIFIER_REJECTION');
  assert.equal(c.confidence, 'medium');
  assert.match(c.reason, /func_info/);

  c = classifyValidatorResult(withoutProbes(load('missing-kprobe--debian-12.json')))!;
  assert.equal(c.code, 'UNSUPPORTED_ATTACH_TYPE');
  assert.equal(c.confidence, 'medium');
});

// Variations of real evidence: each fact picks its code.
test('structured evidence picks the code: map create, missing BTF, lockdown, open failure, functional', () => {
  const mapFail = load('pass-everywhere--debian-11.json');
  mapFail.status = 'fail';
  mapFail.load = { status: 'fail', errno: 22, error: 'Invalid argument' };
  mapFail.maps[0]!.create = { status: 'fail', errno: 22 };
  mapFail.maps[0]!.type = 'ringbuf';
  mapFail.probes.map_types.ringbuf = { status: 'unsupported', errno: 22 };
  let c = classifyValidatorResult(mapFail)!;
  assert.equal(c.code, 'UNSUPPORTED_MAP_TYPE');
  assert.equal(c.confidence, 'high');
  assert.deepEqual(c.rootCause, { kind: 'map_type', name: 'ringbuf', id: mapFail.maps[0]!.type_id });
  assert.match(c.remediation, /perf event array/);
  mapFail.probes.map_types.ringbuf = { status: 'supported', errno: 0 };
  assert.notEqual(classifyValidatorResult(mapFail)!.code, 'UNSUPPORTED_MAP_TYPE', 'a supported type is not the cause');

  const noBtf = load('core-field-renamed--debian-11.json');
  noBtf.btf.kernel_btf_available = false;
  for (const r of noBtf.programs[0]!.core_relos) r.status = 'no_kernel_btf';
  c = classifyValidatorResult(noBtf)!;
  assert.equal(c.code, 'MISSING_BTF');
  assert.equal(c.confidence, 'high');
  assert.equal(c.rootCause?.field, '__state');

  const guarded = load('core-field-renamed--debian-11.json');
  for (const r of guarded.programs[0]!.core_relos) r.guard = true;
  c = classifyValidatorResult(guarded)!;
  assert.notEqual(c.confidence, 'high', 'a guarded relocation is no probed cause: only the log still says the relocation failed');

  const locked = withoutProbes(load('bpf-loop--debian-11.json'));
  for (const p of locked.programs) p.trial_load = { ...p.trial_load, verifier_log_tail: '', verifier_reason: '', rejected_insn: '', rejected_insn_idx: -1 };
  locked.libbpf_log += '\nlibbpf: Lockdown: bpf: use of bpf to read kernel RAM is restricted\n';
  assert.equal(classifyValidatorResult(locked)!.code, 'POLICY_DENIED');

  const notElf = load('bpf-loop--debian-11.json');
  notElf.object = { open_status: 'fail', open_errno: -2003, open_error: 'libbpf: elf: failed to open', license: '' };
  c = classifyValidatorResult(notElf)!;
  assert.equal(c.code, 'UNKNOWN');
  assert.equal(c.confidence, 'low');

  const functional = load('pass-everywhere--debian-12.json');
  functional.functional = { status: 'fail', tests: [{ name: 'sees-exec', required: true, status: 'fail', command: 'true', timeout_seconds: 5, expected_exit_code: 0, exit_code: 1, timed_out: false, stdout_tail: '', stderr_tail: '', error: '' }] };
  c = classifyValidatorResult(functional)!;
  assert.equal(c.code, 'FUNCTIONAL_TEST_FAILURE');
  assert.match(c.reason, /sees-exec/);

  const complex = withoutProbes(load('verifier-rejection--debian-12.json'));
  complex.programs[0]!.trial_load.verifier_log_tail = 'BPF program is too large. Processed 1000001 insn\nprocessed 1000001 insns';
  complex.programs[0]!.trial_load.verifier_reason = 'BPF program is too large. Processed 1000001 insn';
  c = classifyValidatorResult(complex)!;
  assert.equal(c.code, 'COMPLEXITY_LIMIT');
  assert.equal(c.program, 'count_unchecked');
});

// Recorded on real kernels (testdata/*--debian-sid-old-cpu.json: sid booted with -cpu max,cx16=off, the earlier
// default TCG model, under which 7.x kernels cannot allocate an arena: kmalloc_nolock() needs cmpxchg16b).
test('a map refused with ENOMEM is a resource limit, never a confirmed absence, even when the probe hit ENOMEM too', () => {
  const v = load('arena-map--debian-sid-old-cpu.json');
  assert.deepEqual(v.maps[0]!.create, { status: 'fail', errno: 12 }, 'the create errno libbpf logged is recorded');
  assert.equal(v.probes.map_types.arena!.status, 'inconclusive', 'a probe that hit ENOMEM is no "unsupported" answer');
  assert.equal(v.probes.map_types.arena!.errno, 12);
  const c = classifyValidatorResult(v)!;
  assert.equal(c.code, 'RESOURCE_LIMIT');
  assert.equal(c.confidence, 'medium');
  assert.deepEqual(c.rootCause, { kind: 'map', name: 'arena', type: 'arena', value: 'ENOMEM' });
  assert.doesNotMatch(c.reason, /unsupported/);
  // the kernel that really lacks the type says so from its BTF, with high confidence
  const old = classifyValidatorResult(load('arena-map--debian-11.json'))!;
  assert.equal(old.code, 'UNSUPPORTED_MAP_TYPE');
  assert.equal(old.confidence, 'high');
  assert.match(old.reason, /BTF has no arena in enum bpf_map_type/);
});

test('a map refusal names what happened: a permission, or attributes of a type the kernel has', () => {
  const perm = load('arena-map--debian-sid-old-cpu.json');
  perm.maps[0]!.create = { status: 'fail', errno: 1 };
  perm.probes.map_types.arena = { status: 'permission_denied', errno: 1 };
  let c = classifyValidatorResult(perm)!;
  assert.equal(c.code, 'CAPABILITY_FAILURE');
  assert.equal(c.rootCause?.value, 'EPERM');

  const attrs = load('arena-map--debian-sid-old-cpu.json');
  attrs.maps[0]!.create = { status: 'fail', errno: 22 };
  c = classifyValidatorResult(attrs)!;
  assert.equal(c.code, 'MAP_CREATION_FAILURE', 'EINVAL for a type the kernel names is its attributes, not the type');
  assert.equal(c.confidence, 'high');

  // an older validator's "unsupported" (no BTF fact, no errno) is still taken as the kernel's answer
  const legacy = load('arena-map--debian-sid-old-cpu.json');
  legacy.maps[0]!.create = { status: 'fail', errno: 0 };
  legacy.maps[0]!.type_in_kernel = '';
  legacy.probes.map_types.arena = { status: 'unsupported', errno: 0 };
  assert.equal(classifyValidatorResult(legacy)!.code, 'UNSUPPORTED_MAP_TYPE');
  // …but not when the map itself was refused with ENOMEM
  legacy.maps[0]!.create = { status: 'fail', errno: 12 };
  assert.equal(classifyValidatorResult(legacy)!.code, 'RESOURCE_LIMIT');
});

test('a warned attach is explained as a failure would be: missing target, unknown attach type', () => {
  const kprobe = load('attach-warn-kprobe--debian-11.json');
  assert.equal(kprobe.attach.status, 'warn');
  assert.equal(classifyValidatorResult(kprobe), null, 'best-effort: the target passes');
  let e = explainAttach(kprobe, kprobe.programs[0]!);
  assert.equal(e.code, 'ATTACH_TARGET_MISSING');
  assert.equal(e.confidence, 'high');
  assert.equal(e.root_cause?.name, 'bpfcompat_function_that_does_not_exist');

  const tcx = load('tcx-attach--debian-11.json');
  const p = tcx.programs[0]!;
  assert.equal(p.attach.status, 'warn');
  assert.equal(p.attach_type_in_kernel, 'missing', 'the 5.10 kernel BTF has no BPF_TCX_INGRESS');
  e = explainAttach(tcx, p);
  assert.equal(e.code, 'UNSUPPORTED_ATTACH_TYPE');
  assert.equal(e.confidence, 'high');
  assert.deepEqual(e.root_cause, { kind: 'attach_type', name: 'tcx_ingress', type: 'sched_cls', program: 'tcx_pass' });
  assert.match(e.reason, /BPF_TCX_INGRESS/);

  // the same evidence in required mode fails the target with the same explanation
  tcx.attach = { ...tcx.attach, mode: 'required', status: 'fail' };
  p.attach.status = 'fail';
  const c = classifyValidatorResult(tcx)!;
  assert.equal(c.code, 'UNSUPPORTED_ATTACH_TYPE');
  assert.equal(c.failedStage, 'attach');
  assert.deepEqual(c.rootCause, e.root_cause);

  // a known attach type refused with EPERM is a permission, with ENOMEM a resource limit
  p.attach_type_in_kernel = 'present';
  p.attach.errno = 1;
  assert.equal(explainAttach(tcx, p).code, 'CAPABILITY_FAILURE');
  p.attach.errno = 12;
  assert.equal(explainAttach(tcx, p).code, 'RESOURCE_LIMIT');
});

test('every code has a title, a remediation and a site page', () => {
  for (const code of CLASSIFICATION_CODES) {
    assert.ok(CODE_INFO[code].title && CODE_INFO[code].remediation, code);
    assert.ok(existsSync(join(root, 'site', 'src', 'content', 'classes', `${code}.mdx`)), `site page for ${code}`);
  }
});

test('command mode: the exit code is the verdict', () => {
  assert.equal(classifyCommand(0, 0), null);
  const c = classifyCommand(124, 0)!;
  assert.equal(c.code, 'COMMAND_VALIDATION_FAILURE');
  assert.match(c.reason, /timed out/);
});

// Recorded on debian-12: objects whose loader sizes a map and sets an attach target before load (issue: real-world
// objects from libbpf-tools). The kernel refuses the map with EINVAL and no verifier log; the cause names the field.
test('a map the kernel refuses for a zero size names the map and the field, with what the loader must set', () => {
  const v = load('unsized-buffer--debian-12.json');
  assert.equal(v.programs[0]!.trial_load.verifier_log_tail, '', 'no verifier log: the load failed before verification');
  assert.equal(v.maps[0]!.refused_field, 'value_size', 'the validator re-created the map alone to find the field');
  const c = classifyValidatorResult(v)!;
  assert.equal(c.code, 'MAP_CREATION_FAILURE');
  assert.equal(c.confidence, 'high');
  assert.deepEqual(c.rootCause, { kind: 'map', name: 'scratch', type: 'percpu_array', field: 'value_size', value: 0 });
  assert.match(c.reason, /refuses its value_size 0/);
  assert.match(c.remediation, /bpf_map__set_value_size/);
  assert.match(c.remediation, /maps: \[\{ name: scratch, value_size: N \}\]/);
  // without the re-creation's answer the type is still known, so it is the map's attributes, never UNKNOWN
  v.maps[0]!.refused_field = '';
  const plain = classifyValidatorResult(v)!;
  assert.equal(plain.code, 'MAP_CREATION_FAILURE');
  assert.equal(plain.rootCause?.field, undefined);
});

test('a stack-trace map left to its loader is sized automatically and the fixup says bpfcompat chose it', () => {
  const v = load('loader-sized--debian-12.json');
  const auto = v.fixups.filter((f) => f.automatic).map((f) => `${f.kind} ${f.target} ${f.status}`);
  assert.deepEqual(auto, ['auto_value_size stack_traces applied', 'auto_max_entries stack_traces applied']);
  assert.match(v.fixups[0]!.detail, /value_size 0 -> 1016 \(127 frames/);
  assert.equal(v.maps.find((m) => m.name === 'stack_traces')!.create.status, 'skipped', 'the load stopped at the placeholder program');
  const sample = v.programs.find((p) => p.name === 'sample_stack')!;
  assert.equal(sample.trial_load.status, 'pass', 'the program using the sized stack map loads');
  const c = classifyValidatorResult(v)!;
  assert.equal(c.code, 'ATTACH_TARGET_MISSING');
  assert.deepEqual(c.rootCause, { kind: 'attach_target', name: 'dummy_file_read', type: 'function', program: 'file_read_entry' });
});

// Recorded on debian-12 from a hash map declared with BPF_F_MMAPABLE (only arrays and arenas take it):
//   struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(map_flags, BPF_F_MMAPABLE); __type(key, __u32);
//            __type(value, __u64); __uint(max_entries, 16); } counts SEC(".maps");
test('a map refused for its flags names the flags, not a size the loader should set', () => {
  const c = classifyValidatorResult(load('map-flags-refused--debian-12.json'))!;
  assert.equal(c.code, 'MAP_CREATION_FAILURE');
  assert.deepEqual(c.rootCause, { kind: 'map', name: 'counts', type: 'hash', field: 'map_flags', value: 0x400 });
  assert.match(c.reason, /refuses its map_flags 0x400/);
  assert.match(c.remediation, /map_flags 0x400: a flag it does not support for hash maps/);
  assert.doesNotMatch(c.remediation, /manifest/);
});
