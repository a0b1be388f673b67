import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Manifest, VALIDATOR_LIMITS } from './manifest.ts';
import { DEFAULT_VALIDATOR } from '../validation/validator-binary.ts';
import { parseYamlText } from './load.ts';
import { validatorArgs, functionalPlan } from '../validation/validator-args.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';

const parse = (yaml: string) => parseYamlText('m.yaml', yaml, Manifest, 'hint');
const paths = { artifact: '/a.o', out: '/o.json', functionalPlan: '/plan.txt' };

test('a manifest becomes validator flags: required attach, fixups, types, variants, plan', () => {
  const m = parse(`
programs:
  - { name: handle_exec, attach: { kind: tracepoint, required: true } }
maps:
  - { name: events, max_entries: cpus }
  - { name: outer, inner_map: { type: hash, key_size: 4, value_size: 8, max_entries: 16 } }
program_types: [{ program: socket1, type: socket_filter }]
program_variants:
  - group: loop
    programs: [{ name: with_loop, requires_helper: bpf_loop }, { name: without_loop }]
functional_tests:
  - { name: t1, command: "true", timeout: 2m }
`);
  const args = validatorArgs('default', m, paths);
  assert.deepEqual(args.slice(0, 6), ['--artifact', '/a.o', '--out', '/o.json', '--attach-mode', 'required']);
  assert.ok(args.join(' ').includes('--require-attach handle_exec'));
  assert.ok(args.join(' ').includes('--set-map-max-entries events=cpus'));
  assert.ok(args.join(' ').includes('--set-map-inner-map outer=hash:4:8:16'));
  assert.ok(args.join(' ').includes('--set-prog-type socket1=socket_filter'));
  assert.ok(args.join(' ').includes('--prog-variants loop=with_loop:181,without_loop:0'));
  assert.ok(args.join(' ').includes('--functional-plan /plan.txt'));
  assert.match(functionalPlan(m), /^functional_plan\.v0\.1\nBEGIN\nname=t1\nrequired=true\ntimeout_seconds=120\n/);
  assert.deepEqual(validatorArgs('load_only', m, paths).slice(4, 6), ['--attach-mode', 'disabled']);
  assert.ok(!validatorArgs('load_attach', m, paths).includes('--functional-plan'));
});

test('manifest errors name the key', () => {
  const bad = (yaml: string, re: RegExp) =>
    assert.throws(() => parse(yaml), (e: unknown) => e instanceof BpfcompatError && re.test(e.message));
  bad('programs: [{ name: a, colour: red }]', /programs\[0\]\.colour: unknown key/);
  bad('maps: [{ name: m }]', /maps\[0\]/);
  bad('functional_tests: [{ name: a, command: "x", timeout: 10m }]', /at most 5m/);
  bad('program_variants: [{ group: g, programs: [{ name: p, requires_helper: bpf_nope }] }]', /requires_helper/);
  bad('programs: [{ name: a }, { name: a }]', /duplicate name a/);
});

test('sizes and attach targets a loader sets before load become validator flags; bad ones name the key', () => {
  const m = parse(`
programs:
  - { name: file_read_entry, attach: { kind: fentry, target: vfs_read } }
maps:
  - { name: stack_traces, value_size: 1016, max_entries: 1024 }
  - { name: by_key, key_size: 16 }
`);
  const args = validatorArgs('default', m, paths).join(' ');
  assert.ok(args.includes('--set-map-value-size stack_traces=1016'));
  assert.ok(args.includes('--set-map-max-entries stack_traces=1024'));
  assert.ok(args.includes('--set-map-key-size by_key=16'));
  assert.ok(args.includes('--set-attach-target file_read_entry=vfs_read'));
  assert.ok(!args.includes('--require-attach'), 'naming a target does not make the attach required');
  const bad = (yaml: string, re: RegExp) =>
    assert.throws(() => parse(yaml), (e: unknown) => e instanceof BpfcompatError && re.test(e.message));
  bad('maps: [{ name: m, value_size: 0 }]', /maps\[0\]\.value_size/);
  bad('programs: [{ name: p, attach: { target: "vfs_read; rm -rf /" } }]', /programs\[0\]\.attach\.target: must be a kernel function/);
});

test('the validator\'s limits are enforced at manifest validation, naming the key', () => {
  const bad = (yaml: string, re: RegExp) =>
    assert.throws(() => parse(yaml), (e: unknown) => e instanceof BpfcompatError && re.test(e.message), yaml.slice(0, 60));
  const many = (n: number, f: (i: number) => string) => `[${Array.from({ length: n }, (_, i) => f(i)).join(', ')}]`;
  bad(`programs: ${many(10_000, (i) => `{ name: p${i}, attach: { required: true } }`)}`, /^m\.yaml: programs: .*at most 1024 programs/);
  bad(`programs: ${many(65, (i) => `{ name: p${i}, attach: { required: true } }`)}`, /^m\.yaml: programs: 65 programs with attach\.required: at most 64/);
  bad(`maps: ${many(33, (i) => `{ name: m${i}, max_entries: 1, inner_ringbuf_bytes: 4096 }`)}`, /^m\.yaml: maps: 66 map fixups: at most 64/);
  bad(`program_types: ${many(65, (i) => `{ program: p${i}, type: xdp }`)}`, /program_types: at most 64/);
  bad(`program_variants: [{ group: g, programs: ${many(17, (i) => `{ name: p${i} }`)} }]`, /program_variants\[0\]\.programs: at most 16/);
  bad(`probe_companions: ${many(65, (i) => `c${i}`)}`, /probe_companions: at most 64/);
  bad(`functional_tests: ${many(33, (i) => `{ name: t${i}, command: "true" }`)}`, /functional_tests: at most 32/);
});

test('the limits are the validator\'s own, and the largest manifest they allow is accepted by the real validator', () => {
  const h = readFileSync('validator/src/validator.h', 'utf8');
  const define = (text: string, name: string) => Number(new RegExp(`#define ${name} (\\d+)`).exec(text)?.[1]);
  assert.equal(define(h, 'MAX_LIST'), VALIDATOR_LIMITS.list);
  assert.equal(define(h, 'MAX_VARIANT_MEMBERS'), VALIDATOR_LIMITS.variantMembers);
  assert.equal(define(h, 'MAX_TESTS'), VALIDATOR_LIMITS.tests);
  assert.equal(define(readFileSync('validator/src/args.c', 'utf8'), 'MAX_ARGS'), VALIDATOR_LIMITS.args);
  const L = VALIDATOR_LIMITS.list;
  const many = (n: number, f: (i: number) => string) => `[${Array.from({ length: n }, (_, i) => f(i)).join(', ')}]`;
  const m = parse(`
programs: ${many(L, (i) => `{ name: p${i}, attach: { required: true } }`)}
maps: ${many(L, (i) => `{ name: m${i}, max_entries: 8 }`)}
program_types: ${many(L, (i) => `{ program: p${i}, type: xdp }`)}
program_variants: ${many(L, (g) => `{ group: g${g}, programs: ${many(VALIDATOR_LIMITS.variantMembers, (i) => `{ name: v${g}_${i} }`)} }`)}
probe_companions: ${many(L, (i) => `c${i}`)}
functional_tests: ${many(VALIDATOR_LIMITS.tests, (i) => `{ name: t${i}, command: "true" }`)}
`);
  const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-manifest-'));
  try {
    writeFileSync(join(dir, 'plan.txt'), functionalPlan(m));
    const args = validatorArgs('behavior', m, { artifact: 'build/examples/pass_everywhere.bpf.o', out: join(dir, 'o.json'), functionalPlan: join(dir, 'plan.txt') });
    assert.ok(args.length <= VALIDATOR_LIMITS.args);
    writeFileSync(join(dir, 'args'), args.join('\0') + '\0');
    // --open-only parses every flag, then only opens the object: the validator's own parser is the judge
    const r = spawnSync(DEFAULT_VALIDATOR, ['--open-only', '--args-file', join(dir, 'args')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    writeFileSync(join(dir, 'args'), [...args, '--require-attach', 'one-more'].join('\0') + '\0');
    const over = spawnSync(DEFAULT_VALIDATOR, ['--open-only', '--args-file', join(dir, 'args')], { encoding: 'utf8' });
    assert.equal(over.status, 1, 'one more required attach is beyond the validator');
    assert.match(over.stderr, /too many --require-attach values/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
