// End to end: verdicts held against ground truth, on the five Debian kernels in one boot each (a suite).
// - Every shipped object is validated AND loaded by a plain libbpf loader (validator/tools/plain-loader.c) in the
//   same guest: the validator's verdict must agree with the plain loader's on every kernel.
// - The guest machine must not change a verdict: an arena map loads on sid with the default CPU model, and the
//   model without cmpxchg16b (the old default) is a resource limit, never "arena unsupported".
// - Every warned attach is explained (a missing kprobe, tcx before 6.6), and require_attach turns it into a failure.
// - Objects whose loader sizes a map or sets an attach target before load: the kernel's refusal names the map and
//   the field, an automatic size is visible, a placeholder target missing everywhere is said to be one, and the
//   manifest's sizes and target make them validate alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { stringify } from 'yaml';
import { Report, type TargetReport } from '../history/vocabulary/report-schema.ts';
import { TCG_X86_CPU } from '../collector/src/vm/machine.ts';

const REPO = resolve(import.meta.dirname, '..');
const PLAIN = join(REPO, 'validator/build/bpfcompat-plain-loader');
const OBJECTS = readdirSync(join(REPO, 'build/examples')).filter((f) => f.endsWith('.bpf.o')).sort();
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-truth-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const caseName = (object: string) => basename(object, '.bpf.o').replace(/_/g, '-');
const OLD_CPU = 'max,cx16=off';

function suiteFile(): string {
  writeFileSync(join(dir, 'sid-old-cpu.yaml'), stringify({
    name: 'sid-old-cpu',
    profiles: [{ id: 'debian-sid-old-cpu', cpu: OLD_CPU, kernel: { debian: { suite: 'sid', flavour: 'cloud-amd64' } } }],
  }));
  const cases: Record<string, unknown>[] = [];
  for (const o of OBJECTS) {
    const artifact = join(REPO, 'build/examples', o);
    cases.push({ name: caseName(o), artifact });
    cases.push({ name: `${caseName(o)}-plain`, command: '"$BPFCOMPAT_BIN" "$BPFCOMPAT_ARTIFACT"', command_binary: PLAIN, artifact, expect_exit: 0 });
  }
  cases.push({ name: 'tcx-attach-required', artifact: join(REPO, 'build/examples/tcx_attach.bpf.o'), require_attach: true });
  // what their loaders do before load, given in the manifest: the placeholder's real target, the buffer's size
  cases.push({ name: 'loader-sized-target', artifact: join(REPO, 'build/examples/loader_sized.bpf.o'), manifest: join(REPO, 'examples/loader-sized/manifest.yaml') });
  cases.push({ name: 'unsized-buffer-sized', artifact: join(REPO, 'build/examples/unsized_buffer.bpf.o'), manifest: join(REPO, 'examples/unsized-buffer/manifest.yaml') });
  cases.push({ name: 'arena-map-old-cpu', artifact: join(REPO, 'build/examples/arena_map.bpf.o'), matrix: join(dir, 'sid-old-cpu.yaml') });
  const file = join(dir, 'suite.yaml');
  writeFileSync(file, stringify({ name: 'verdict-truth', defaults: { matrix: join(REPO, 'matrices/debian.yaml'), report_dir: join(dir, 'reports'), timeout: '120s' }, cases }));
  return file;
}

let ran: { status: number | null; stderr: string } | null = null;
function run(): { status: number | null; stderr: string } {
  if (ran) return ran;
  assert.ok(existsSync(PLAIN), `${PLAIN} is built by 'make validator'`);
  const r = spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'suite', '--suite', suiteFile(), '--out', join(dir, 'summary.json'), '--no-history', '--quiet', '--workdir', join(dir, 'work')], { cwd: REPO, encoding: 'utf8' });
  ran = { status: r.status, stderr: r.stderr };
  return ran;
}
const report = (name: string) => Report.parse(JSON.parse(readFileSync(join(dir, 'reports', `${name}.json`), 'utf8')));
const target = (name: string, profile: string): TargetReport => report(name).targets.find((t) => t.profile_id === profile)!;

test('verdict truth: one suite, one boot per kernel (plus one for the old CPU model), no infrastructure error', { timeout: 1_200_000 }, () => {
  const r = run();
  // tcx-attach-required fails on 5.10 and 6.1 (and the arena on those kernels): the suite gates with 2
  assert.equal(r.status, 2, r.stderr);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { cases: { name: string; targets: { profile_id: string; status: string }[] }[] };
  const infra = summary.cases.flatMap((c) => c.targets.filter((t) => t.status === 'infra_error').map((t) => `${c.name}/${t.profile_id}`));
  assert.deepEqual(infra, []);
});

test('verdict truth: the validator agrees with a plain libbpf loader on every object and kernel', () => {
  run();
  const disagreements: string[] = [];
  for (const o of OBJECTS) {
    const validated = report(caseName(o));
    const plain = report(`${caseName(o)}-plain`);
    for (const t of validated.targets) {
      const p = plain.targets.find((x) => x.profile_id === t.profile_id)!;
      const truth = p.status === 'pass' ? 'pass' : 'fail';
      if (t.status !== truth) disagreements.push(`${o} on ${t.profile_id}: validator ${t.status} (${t.classification_code}), plain loader ${truth}: ${String(p.functional.tests[0]?.stdout_tail ?? '').trim()}`);
    }
  }
  assert.deepEqual(disagreements, []);
});

test('verdict truth: an arena map loads on sid with the default CPU model, and is recorded with it', () => {
  run();
  const sid = target('arena-map', 'debian-sid');
  assert.equal(sid.status, 'pass', sid.classification_reason);
  assert.equal(sid.vm.cpu, TCG_X86_CPU);
  assert.deepEqual({ memory_mb: sid.vm.memory_mb, cpus: sid.vm.cpus }, { memory_mb: 1024, cpus: 1 });
  // 5.10 and 6.1 predate arena maps: the kernel's BTF has no such type, so the verdict says so with high confidence
  for (const id of ['debian-11', 'debian-12']) {
    const t = target('arena-map', id);
    assert.equal(t.classification_code, 'UNSUPPORTED_MAP_TYPE', `${id}: ${t.classification_reason}`);
    assert.equal(t.classification_confidence, 'high');
    assert.match(t.classification_reason, /BTF has no arena in enum bpf_map_type|probe confirms/);
  }
});

test('verdict truth: without cmpxchg16b the arena fails as a resource limit, never as unsupported, under another key', () => {
  run();
  const old = target('arena-map-old-cpu', 'debian-sid-old-cpu');
  assert.equal(old.vm.cpu, OLD_CPU);
  assert.equal(old.status, 'fail');
  assert.equal(old.classification_code, 'RESOURCE_LIMIT', old.classification_reason);
  assert.equal(old.root_cause?.kind, 'map');
  assert.equal(old.root_cause?.value, 'ENOMEM');
  assert.match(old.classification_reason, /knows arena maps/);
  assert.doesNotMatch(old.classification_reason, /unsupported on this kernel/);
  // the same object and kernel under another machine is another result: never reused for the default model
  assert.notEqual(old.result_key, target('arena-map', 'debian-sid').result_key);
  assert.equal(old.kernel.sha256, target('arena-map', 'debian-sid').kernel.sha256);
});

test('verdict truth: a kprobe on a function no kernel has passes with an explained warning on every kernel', () => {
  run();
  const r = report('missing-kprobe');
  assert.equal(r.summary.warned, 5);
  for (const t of r.targets) {
    assert.equal(t.status, 'pass');
    assert.equal(t.warnings?.length, 1, t.profile_id);
    const w = t.warnings![0]!;
    assert.equal(w.code, 'ATTACH_TARGET_MISSING', w.reason);
    assert.equal(w.root_cause?.name, 'bpfcompat_function_that_does_not_exist');
    assert.ok(w.remediation.length > 0);
    const p = t.programs.find((x) => x.name === w.program)!;
    assert.equal(p.attach, 'warn');
    assert.equal(p.attach_explanation?.code, 'ATTACH_TARGET_MISSING');
  }
  // across the matrix: attached nowhere
  const across = r.programs_across ?? [];
  assert.equal(across.length, 1);
  assert.equal(across[0]!.warned?.length, 5);
  assert.equal(across[0]!.works_from, null);
});

test('verdict truth: tcx before 6.6 warns UNSUPPORTED_ATTACH_TYPE naming tcx and the first kernel that has it', () => {
  run();
  const r = report('tcx-attach');
  for (const id of ['debian-11', 'debian-12']) {
    const t = target('tcx-attach', id);
    assert.equal(t.status, 'pass');
    const w = t.warnings?.[0];
    assert.equal(w?.code, 'UNSUPPORTED_ATTACH_TYPE', JSON.stringify(t.warnings));
    assert.equal(w?.confidence, 'high');
    assert.equal(w?.root_cause?.name, 'tcx_ingress');
    assert.match(w!.reason, /tcx_ingress/);
  }
  for (const id of ['debian-13', 'debian-13-backports', 'debian-sid']) assert.deepEqual(target('tcx-attach', id).warnings, [], id);
  assert.equal(r.summary.warned, 2);
  const across = (r.programs_across ?? []).find((p) => p.program === 'tcx_pass')!;
  assert.equal(across.works_from?.profile_id, 'debian-13');
  assert.match(across.remediation, /tcx_ingress/);
  assert.match(across.remediation, new RegExp(target('tcx-attach', 'debian-13').kernel.release.replace(/[.+]/g, '\\$&')));
  // require_attach: the same attach failures fail the targets, with the same explanation
  for (const id of ['debian-11', 'debian-12']) {
    const t = target('tcx-attach-required', id);
    assert.equal(t.status, 'fail');
    assert.equal(t.failed_stage, 'attach');
    assert.equal(t.classification_code, 'UNSUPPORTED_ATTACH_TYPE');
    assert.equal(t.root_cause?.name, 'tcx_ingress');
  }
  assert.equal(target('tcx-attach-required', 'debian-13').status, 'pass');
  assert.notEqual(target('tcx-attach-required', 'debian-11').result_key, target('tcx-attach', 'debian-11').result_key);
});

test('verdict truth: test --require-attach fails a kernel where the program loads but does not attach (exit 2)', { timeout: 600_000 }, () => {
  const out = join(dir, 'required.json');
  const args = ['collector/bin/bpfcompat.js', 'test', '--artifact', 'build/examples/tcx_attach.bpf.o', '--matrix', 'matrices/debian.yaml', '--profile', 'debian-12',
    '--require-attach', '--out', out, '--no-history', '--quiet', '--workdir', join(dir, 'work')];
  const r = spawnSync(process.execPath, args, { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  const t = Report.parse(JSON.parse(readFileSync(out, 'utf8'))).targets[0]!;
  assert.equal(t.status, 'fail');
  assert.equal(t.validation.attach_mode, 'required');
  assert.equal(t.classification_code, 'UNSUPPORTED_ATTACH_TYPE');
  // the same flag with nothing to attach is refused before anything boots
  const bad = spawnSync(process.execPath, [...args.slice(0, -6), '--validation-mode', 'load_only', '--out', out, '--no-history'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^bpfcompat: test: --require-attach contradicts --validation-mode load_only/m);
});

test('verdict truth: a map the loader sizes fails naming the map and field, never UNKNOWN; the manifest size makes it pass', () => {
  run();
  const r = report('unsized-buffer');
  for (const t of r.targets) {
    assert.equal(t.status, 'fail', t.profile_id);
    assert.equal(t.classification_code, 'MAP_CREATION_FAILURE', `${t.profile_id}: ${t.classification_reason}`);
    assert.equal(t.classification_confidence, 'high');
    assert.deepEqual(t.root_cause, { kind: 'map', name: 'scratch', type: 'percpu_array', field: 'value_size', value: 0 });
    assert.match(t.remediation, /bpf_map__set_value_size/);
  }
  const sized = report('unsized-buffer-sized');
  assert.deepEqual(sized.targets.map((t) => t.status), ['pass', 'pass', 'pass', 'pass', 'pass']);
  for (const t of sized.targets) assert.deepEqual(t.fixups?.map((f) => [f.kind, f.target, f.status, f.automatic]), [['value_size', 'scratch', 'applied', false]]);
});

test('verdict truth: a placeholder fentry target is reported missing on all kernels; the manifest target validates it', () => {
  run();
  const r = report('loader-sized');
  for (const t of r.targets) {
    assert.equal(t.status, 'fail', t.profile_id);
    assert.equal(t.classification_code, 'ATTACH_TARGET_MISSING');
    assert.equal(t.root_cause?.name, 'dummy_file_read');
    // the stack-trace map the loader sizes got a size from bpfcompat, visibly
    const auto = t.fixups?.find((f) => f.kind === 'auto_value_size');
    assert.equal(auto?.automatic, true, t.profile_id);
    assert.equal(auto?.status, 'applied');
  }
  const across = (r.programs_across ?? []).find((p) => p.program === 'file_read_entry')!;
  assert.deepEqual(across.placeholder_target, { name: 'dummy_file_read', kind: 'function', kernels: 5 });
  assert.match(across.remediation, /missing on all 5 kernels of the matrix/);
  assert.match(readFileSync(join(dir, 'reports', 'loader-sized.md'), 'utf8'), /untestable without its attach target/);

  const fixed = report('loader-sized-target');
  for (const t of fixed.targets) {
    assert.equal(t.status, 'pass', `${t.profile_id}: ${t.classification_reason}`);
    const p = t.programs.find((x) => x.name === 'file_read_entry')!;
    assert.deepEqual([p.load, p.attach, p.attach_target], ['pass', 'pass', 'vfs_read'], t.profile_id);
    assert.deepEqual([t.programs.find((x) => x.name === 'sample_stack')!.attach], ['pass'], 'the kprobe using the auto-sized stack map attaches');
    assert.ok(t.fixups?.some((f) => f.kind === 'attach_target' && f.status === 'applied' && !f.automatic));
  }
});
