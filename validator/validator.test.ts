// Runs the built static validator on this host's real kernel (needs root and BPF) against the tiny
// objects in testdata/. Build first: `make -C validator all testdata`. Nothing here compiles or mocks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidatorResult } from '../collector/src/validation/validator-result.ts';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, 'build', 'bpfcompat-validator');
const obj = (name: string) => join(here, 'build', 'testdata', `${name}.bpf.o`);

let work = '';

interface Run {
  code: number | null;
  stderr: string;
  result: ValidatorResult | null;
}

function run(args: string[]): Run {
  const out = join(work, `result-${Math.random().toString(36).slice(2)}.json`);
  const p = spawnSync(BIN, [...args, '--out', out], { encoding: 'utf8', timeout: 120_000 });
  const result = existsSync(out) ? ValidatorResult.parse(JSON.parse(readFileSync(out, 'utf8'))) : null;
  return { code: p.status, stderr: p.stderr, result };
}

function program(r: ValidatorResult, name: string) {
  const p = r.programs.find((x) => x.name === name);
  assert.ok(p, `program ${name} in result`);
  return p;
}

before(() => {
  for (const f of [BIN, obj('tracepoint'), obj('net'), obj('kprobe_missing'), obj('verifier_reject'), obj('variants'), obj('core_missing'), obj('proprietary')]) {
    assert.ok(existsSync(f), `${f} missing: run make -C validator all testdata`);
  }
  work = mkdtempSync(join(tmpdir(), 'bpfcompat-validator-test-'));
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('bpfcompat-validator binary', () => {
  it('is a static x86_64 executable', () => {
    const f = spawnSync('file', ['-b', BIN], { encoding: 'utf8' });
    assert.match(f.stdout, /statically linked/);
    assert.match(f.stdout, /x86-64/);
  });

  it('passes a tracepoint program with full evidence about this kernel', () => {
    const { code, result } = run(['--artifact', obj('tracepoint')]);
    assert.equal(code, 0);
    assert.ok(result);
    const uname = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(result.kernel.release, uname);
    assert.equal(result.schema_version, 'bpfcompat.validator.v1');
    assert.equal(result.libbpf_version, '1.7.0');
    assert.equal(result.status, 'pass');
    assert.equal(result.object.license, 'GPL');
    assert.equal(result.btf.artifact_has_btf, true);
    assert.equal(result.btf.artifact_has_btf_ext, true);
    assert.equal(result.probes.map_types.hash?.status, 'supported');
    assert.equal(result.probes.program_types.tracepoint?.status, 'supported');
    assert.ok(result.probes.environment.tracefs && result.probes.environment.tracefs !== 'absent');
    const p = program(result, 'count_exec');
    assert.equal(p.type, 'tracepoint');
    assert.equal(p.section, 'tracepoint/syscalls/sys_enter_execve');
    assert.ok(p.helpers.includes(1) && p.helpers.includes(2) && p.helpers.includes(14), `helpers ${p.helpers}`);
    assert.ok(p.insn_count > 2);
    assert.equal(p.trial_load.status, 'pass');
    assert.equal(p.load.status, 'pass');
    assert.deepEqual([p.attach.status, p.attach.method, p.attach.target], ['pass', 'auto', 'syscalls/sys_enter_execve']);
    assert.deepEqual(result.attach, { mode: 'best-effort', status: 'pass', attempted: 1, passed: 1, failed: 0 });
    // the zero-sized hash map was auto-sized, the fixed-size array left alone
    assert.equal(result.maps.find((m) => m.name === 'seen_pids')?.max_entries, 4096);
    assert.equal(result.maps.find((m) => m.name === 'exec_count')?.max_entries, 1);
    assert.ok(result.maps.every((m) => m.create.status === 'pass'));
    assert.deepEqual(result.fixups.map((f) => [f.kind, f.target, f.status]), [['auto_max_entries', 'seen_pids', 'applied']]);
    assert.match(result.libbpf_log, /libbpf: /);
  });

  it('attaches XDP twice on lo (detached in between), tc and cgroup_skb; skips what needs a runtime target', () => {
    const { code, result } = run(['--artifact', obj('net')]);
    assert.equal(code, 0);
    assert.ok(result);
    for (const name of ['xdp_pass_one', 'xdp_pass_two']) {
      const a: ValidatorResult['programs'][number]['attach'] = program(result, name).attach;
      assert.deepEqual([a.status, a.method, a.target], ['pass', 'xdp', 'lo'], `${name}: ${a.error}`);
    }
    assert.deepEqual([program(result, 'tc_pass').attach.status, program(result, 'tc_pass').attach.method], ['pass', 'tc']);
    const cg = program(result, 'cgroup_allow');
    assert.equal(cg.expected_attach_type, 'cgroup_inet_ingress');
    assert.deepEqual([cg.attach.status, cg.attach.method], ['pass', 'cgroup'], cg.attach.error);
    assert.match(cg.attach.target, /bpfcompat$/);
    const sys = program(result, 'run_by_prog_run').attach;
    assert.equal(sys.status, 'skipped');
    assert.match(sys.reason, /BPF_PROG_RUN/);
    assert.equal(result.attach.attempted, 4);
    assert.equal(result.attach.passed, 4);
  });

  it('reports a missing kprobe target as warn in best-effort mode and fail when required', () => {
    const loose = run(['--artifact', obj('kprobe_missing')]);
    assert.equal(loose.code, 0);
    assert.ok(loose.result);
    assert.equal(loose.result.attach.status, 'warn');
    const a = program(loose.result, 'probe_missing').attach;
    assert.deepEqual([a.status, a.errno], ['warn', 2]);

    const strict = run(['--artifact', obj('kprobe_missing'), '--require-attach', 'probe_missing']);
    assert.equal(strict.code, 2);
    assert.ok(strict.result);
    assert.equal(strict.result.status, 'fail');
    assert.equal(strict.result.load.status, 'pass');
    assert.equal(strict.result.attach.status, 'fail');
    assert.equal(program(strict.result, 'probe_missing').required, true);
  });

  it('isolates a verifier rejection to the program that causes it', () => {
    const { code, result } = run(['--artifact', obj('verifier_reject')]);
    assert.equal(code, 2);
    assert.ok(result);
    assert.deepEqual([result.load.status, result.load.errno], ['fail', 13]);
    const bad = program(result, 'rejected');
    assert.deepEqual([bad.trial_load.status, bad.trial_load.errno, bad.load.status], ['fail', 13, 'fail']);
    assert.match(bad.trial_load.verifier_log_tail, /invalid mem access 'map_value_or_null'/);
    const good = program(result, 'accepted');
    assert.deepEqual([good.trial_load.status, good.load.status], ['pass', 'pass']);
    assert.equal(result.attach.status, 'skipped');
    assert.equal(bad.attach.reason, 'object load failed');
  });

  it('names the verifier\'s rejected instruction and reason, and probes the kprobe target', () => {
    const { result } = run(['--artifact', obj('verifier_reject')]);
    assert.ok(result);
    const bad = program(result, 'rejected').trial_load;
    assert.ok(bad.rejected_insn_idx >= 0);
    assert.match(bad.rejected_insn, new RegExp(`^${bad.rejected_insn_idx}: \\(`));
    assert.equal(bad.verifier_reason, "R0 invalid mem access 'map_value_or_null'");
    assert.deepEqual(program(result, 'rejected').helper_probes, [{ id: 1, name: 'bpf_map_lookup_elem', status: 'supported' }]);
    assert.equal(program(result, 'accepted').trial_load.rejected_insn_idx, -1);
    const kprobe = run(['--artifact', obj('kprobe_missing')]).result;
    assert.ok(kprobe);
    assert.deepEqual(program(kprobe, 'probe_missing').attach_target, { kind: 'kprobe', name: 'bpfcompat_no_such_kernel_function', status: 'missing' });
    const tp = run(['--artifact', obj('tracepoint')]).result;
    assert.ok(tp);
    assert.deepEqual(program(tp, 'count_exec').attach_target.status, 'present');
  });

  it('reads CO-RE relocations from .BTF.ext and checks them against kernel BTF; guards are marked', () => {
    const { code, result } = run(['--artifact', obj('core_missing')]);
    assert.equal(code, 2);
    assert.ok(result);
    const p = program(result, 'reads_missing');
    assert.deepEqual(p.core_relos.map((r) => [r.kind, r.type, r.field, r.guard, r.status]).sort(), [
      ['field_byte_offset', 'task_struct', 'bpfcompat_no_such_field', false, 'missing'],
      ['field_exists', 'task_struct', 'bpfcompat_optional_field', true, 'missing'],
    ]);
    assert.match(p.trial_load.verifier_reason, /failed to resolve CO-RE relocation .*task_struct\.bpfcompat_no_such_field/);
    assert.ok(!p.helper_probes.some((h) => h.id === 195896080), 'the poisoned call is not a helper');
  });

  it('probes helpers under the object\'s license and finds weak kfunc calls', () => {
    const { code, result } = run(['--artifact', obj('proprietary')]);
    assert.equal(code, 2);
    assert.ok(result);
    assert.equal(result.object.license_gpl_compatible, false);
    const p = program(result, 'calls_gpl_only');
    assert.deepEqual(p.helper_probes, [
      { id: 8, name: 'bpf_get_smp_processor_id', status: 'supported' },
      { id: 113, name: 'bpf_probe_read_kernel', status: 'gpl_only' },
    ]);
    assert.deepEqual(p.kfuncs, [{ name: 'bpfcompat_no_such_kfunc', weak: true, status: 'missing' }]);
    assert.equal(p.trial_load.verifier_reason, 'cannot call GPL-restricted function from non-GPL compatible program');
  });

  it('fails a non-ELF file at open with no programs', () => {
    const junk = join(work, 'not-elf.bpf.o');
    writeFileSync(junk, 'this is not an ELF object\n');
    const { code, result } = run(['--artifact', junk]);
    assert.equal(code, 2);
    assert.ok(result);
    assert.equal(result.object.open_status, 'fail');
    assert.ok(result.object.open_errno > 0);
    assert.notEqual(result.object.open_error, '');
    assert.equal(result.load.status, 'fail');
    assert.deepEqual(result.programs, []);
    assert.equal(result.btf.artifact_has_btf, false);
  });

  it('selects variants and runs the functional plan from a NUL-separated args file', () => {
    const plan = join(work, 'plan.txt');
    writeFileSync(plan, [
      'functional_plan.v0.1',
      'BEGIN', 'name=marker', 'required=true', 'timeout_seconds=5', 'expect_exit_code=0',
      'expect_stdout_contains=hello-marker', 'expect_stderr_contains=',
      // raw bytes that are not UTF-8 and a control character must still give valid JSON
      String.raw`command=echo hello-marker; printf '\377\001"' >&2`, 'END',
      'BEGIN', 'name=slow', 'required=false', 'timeout_seconds=1', 'expect_exit_code=0',
      'expect_stdout_contains=', 'expect_stderr_contains=', 'command=sleep 30', 'END', '',
    ].join('\n'));
    const argsFile = join(work, 'args');
    writeFileSync(argsFile, ['--artifact', obj('variants'), '--prog-variants', 'getpid=handler_new:9999,handler_old:0',
      '--functional-plan', plan, ''].join('\0'));
    const { code, result } = run(['--args-file', argsFile]);
    assert.equal(code, 0);
    assert.ok(result);
    assert.deepEqual(result.variants, [{ group: 'getpid', chosen: 'handler_old', disabled: ['handler_new'] }]);
    assert.equal(program(result, 'handler_new').load.status, 'skipped');
    assert.equal(program(result, 'handler_old').attach.status, 'pass');
    assert.equal(result.functional.status, 'warn');
    const [marker, slow] = result.functional.tests;
    assert.ok(marker && slow);
    assert.deepEqual([marker.status, marker.exit_code, marker.stdout_tail], ['pass', 0, 'hello-marker\n']);
    assert.equal(marker.stderr_tail, '\u00ff\u0001"');
    assert.deepEqual([slow.status, slow.exit_code, slow.timed_out], ['fail', 124, true]);
  });

  it('loads without attaching in disabled mode', () => {
    const { code, result } = run(['--artifact', obj('tracepoint'), '--attach-mode', 'disabled']);
    assert.equal(code, 0);
    assert.ok(result);
    assert.deepEqual([result.attach.mode, result.attach.status, result.attach.attempted], ['disabled', 'skipped', 0]);
    assert.equal(program(result, 'count_exec').attach.reason, 'attach mode disabled');
  });

  it('exits 1 with a one-line message on bad arguments and writes nothing', () => {
    const { code, stderr, result } = run(['--artifact', obj('tracepoint'), '--attach-mode', 'sometimes']);
    assert.equal(code, 1);
    assert.equal(result, null);
    assert.match(stderr, /--attach-mode must be disabled, best-effort or required/);
    const missing = run(['--artifact', join(work, 'nope.o')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--artifact .*nope\.o/);
    const plan = join(work, 'bad-plan.txt');
    writeFileSync(plan, 'functional_plan.v0.1\nBEGIN\nname=x\nfrobnicate=1\nEND\n');
    const badPlan = run(['--artifact', obj('tracepoint'), '--functional-plan', plan]);
    assert.equal(badPlan.code, 1);
    assert.match(badPlan.stderr, /line 4: unknown key/);
  });
});

describe('bpfcompat-validator --probe-cache (per-boot cache of kernel-only probes)', () => {
  // duration_ms is the only field allowed to differ between runs.
  const comparable = (r: ValidatorResult | null) => ({ ...r, duration_ms: 0 });
  const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

  it('gives the same result JSON with and without the cache, on the run that fills it and on runs that read it', () => {
    const cache = join(work, 'probes-same');
    for (const name of ['tracepoint', 'kprobe_missing', 'core_missing', 'proprietary']) {
      const plain = run(['--artifact', obj(name)]);
      const filling = run(['--artifact', obj(name), '--probe-cache', cache]);
      const reading = run(['--artifact', obj(name), '--probe-cache', cache]);
      assert.ok(plain.result, name);
      assert.equal(filling.code, plain.code, name);
      assert.equal(reading.code, plain.code, name);
      assert.deepEqual(comparable(filling.result), comparable(plain.result), `${name}: first run with the cache`);
      assert.deepEqual(comparable(reading.result), comparable(plain.result), `${name}: run answered by the cache`);
    }
    // The cache holds the kernel facts, keyed to this kernel's release and this boot, and the kallsyms copy.
    const lines = readFileSync(cache, 'utf8').split('\n');
    const release = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(lines[0], `bpfcompat-probe-cache 1 ${release} ${bootId()} 0.1.0 1.7.0`);
    assert.ok(lines.includes('map:hash\t1'), 'feature probe recorded');
    assert.ok(lines.some((l) => l.startsWith('helper:')), 'helper probe recorded');
    assert.ok(lines.some((l) => l.startsWith('core:')), 'CO-RE lookup recorded');
    assert.ok(readFileSync(`${cache}.ksyms`, 'utf8').includes('\n_stext\n'), 'kallsyms names copied');
  });

  it('answers from the cache when it matches this boot, and ignores a cache from another boot', () => {
    const release = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
    // A planted answer that contradicts the kernel proves the cache is read; the same file under another
    // boot id must be ignored (the kernel is probed again).
    const planted = (id: string) => `bpfcompat-probe-cache 1 ${release} ${id} 0.1.0 1.7.0\nmap:hash\t0\n`;
    const current = join(work, 'probes-current');
    writeFileSync(current, planted(bootId()));
    assert.equal(run(['--artifact', obj('tracepoint'), '--probe-cache', current]).result?.probes.map_types.hash?.status, 'unsupported');
    const stale = join(work, 'probes-stale');
    writeFileSync(stale, planted('00000000-0000-0000-0000-000000000000'));
    assert.equal(run(['--artifact', obj('tracepoint'), '--probe-cache', stale]).result?.probes.map_types.hash?.status, 'supported');
    // … and the stale file was replaced atomically by one for this boot.
    assert.equal(readFileSync(stale, 'utf8').split('\n')[0], planted(bootId()).split('\n')[0]);
    assert.ok(readFileSync(stale, 'utf8').includes('map:hash\t1\n'));
  });
});
