import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Manifest } from './manifest.ts';
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
