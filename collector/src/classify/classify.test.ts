import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidatorResult } from '../validation/validator-result.ts';
import { classifyValidatorResult, classifyCommand } from './classify.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const load = (name: string) => ValidatorResult.parse(JSON.parse(readFileSync(join(testdata, name), 'utf8')));
const fixtures = readdirSync(testdata).filter((f) => f.endsWith('.json') && !f.startsWith('golden')).sort();

test('classification of real evidence from the five Debian kernels matches the golden file', () => {
  assert.ok(fixtures.length >= 15, 'fixtures recorded by testdata/record.ts');
  const got: Record<string, unknown> = {};
  for (const f of fixtures) {
    const c = classifyValidatorResult(load(f));
    got[f] = c === null ? 'pass' : { code: c.code, confidence: c.confidence, stage: c.failedStage, program: c.program, reason: c.reason };
  }
  const golden = join(testdata, 'golden-classifications.json');
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, JSON.stringify(got, null, 2) + '\n');
  assert.deepEqual(got, JSON.parse(readFileSync(golden, 'utf8')));
});

test('bpf_loop on 5.10 is a load failure of loop_on_execve; later kernels pass', () => {
  const c = classifyValidatorResult(load('bpf-loop--debian-11.json'))!;
  assert.equal(c.failedStage, 'load');
  assert.equal(c.program, 'loop_on_execve');
  assert.match(c.reason, /func_info|unknown func/);
  for (const k of ['debian-12', 'debian-13', 'debian-13-backports', 'debian-sid']) assert.equal(classifyValidatorResult(load(`bpf-loop--${k}.json`)), null, k);
});

test('a required kprobe on a missing function is UNSUPPORTED_ATTACH_TYPE naming the program and errno', () => {
  for (const k of ['debian-11', 'debian-12', 'debian-13', 'debian-13-backports', 'debian-sid']) {
    const c = classifyValidatorResult(load(`missing-kprobe--${k}.json`))!;
    assert.equal(c.code, 'UNSUPPORTED_ATTACH_TYPE', k);
    assert.equal(c.confidence, 'high');
    assert.equal(c.program, 'probe_missing');
  }
});

// Variations of real evidence: each rule fires on the fact it is about.
test('structured evidence picks the code: map create, missing BTF, lockdown, open failure, functional', () => {
  const base = load('bpf-loop--debian-11.json');
  const mapFail = structuredClone(base);
  mapFail.maps[0]!.create = { status: 'fail', errno: 22 };
  mapFail.maps[0]!.type = 'ringbuf';
  mapFail.probes.map_types.ringbuf = { status: 'unsupported', errno: 22 };
  let c = classifyValidatorResult(mapFail)!;
  assert.equal(c.code, 'UNSUPPORTED_MAP_TYPE');
  assert.equal(c.confidence, 'high');

  const noBtf = structuredClone(base);
  noBtf.btf.kernel_btf_available = false;
  noBtf.btf.artifact_has_btf_ext = true;
  c = classifyValidatorResult(noBtf)!;
  assert.equal(c.code, 'MISSING_BTF');

  const locked = structuredClone(base);
  locked.libbpf_log += '\nlibbpf: Lockdown: bpf: use of bpf to read kernel RAM is restricted\n';
  assert.equal(classifyValidatorResult(locked)!.code, 'POLICY_DENIED');

  const notElf = structuredClone(base);
  notElf.object = { open_status: 'fail', open_errno: -2003, open_error: 'libbpf: elf: failed to open', license: '' };
  c = classifyValidatorResult(notElf)!;
  assert.equal(c.code, 'UNKNOWN');
  assert.equal(c.confidence, 'low');

  const functional = load('pass-everywhere--debian-12.json');
  functional.functional = { status: 'fail', tests: [{ name: 'sees-exec', required: true, status: 'fail', command: 'true', timeout_seconds: 5, expected_exit_code: 0, exit_code: 1, timed_out: false, stdout_tail: '', stderr_tail: '', error: '' }] };
  c = classifyValidatorResult(functional)!;
  assert.equal(c.code, 'FUNCTIONAL_TEST_FAILURE');
  assert.match(c.reason, /sees-exec/);
});

test('command mode: the exit code is the verdict', () => {
  assert.equal(classifyCommand(0, 0), null);
  const c = classifyCommand(124, 0)!;
  assert.equal(c.code, 'COMMAND_VALIDATION_FAILURE');
  assert.match(c.reason, /timed out/);
});
