import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidatorResult } from '../validation/validator-result.ts';
import { targetFromInfraError, targetFromValidator } from '../validation/target.ts';
import type { ResolvedKernel } from '../kernels/types.ts';
import { programsAcross } from './across.ts';
import { acrossSection } from './markdown-across.ts';

const evidence = join(dirname(fileURLToPath(import.meta.url)), '..', 'classify', 'testdata');
const PROFILES: Array<[string, string]> = [
  ['debian-11', '5.10.0-32-cloud-amd64'], ['debian-12', '6.1.0-50-cloud-amd64'], ['debian-13', '6.12.107+deb13-cloud-amd64'],
  ['debian-13-backports', '7.3.4+deb13-cloud-amd64'], ['debian-sid', '7.2.13+deb14-cloud-amd64'],
];

function kernel(release: string): ResolvedKernel {
  return { release, arch: 'x86_64', imagePath: '/k', imageSha256: 'ab'.repeat(32), modulesDir: null, configPath: null, origin: { kind: 'file', path: '/k' } } as unknown as ResolvedKernel;
}
const ctx = (id: string, release: string) => ({ profileId: id, required: true, resultKey: 'ef'.repeat(32), kernel: kernel(release), accel: 'tcg' as const, machine: { cpu: 'EPYC-Rome-v1', memory_mb: 1024, cpus: 1 }, bootMs: 1, startedAt: new Date(0), finishedAt: new Date(1), consoleLogPath: null, validatorResultPath: null });
const targetsOf = (example: string) => PROFILES.map(([id, release]) => targetFromValidator(ctx(id, release), ValidatorResult.parse(JSON.parse(readFileSync(join(evidence, `${example}--${id}.json`), 'utf8')))));

test('a program that fails on the older kernels works from the first kernel after its last failure', () => {
  const [p, ...rest] = programsAcross(targetsOf('missing-kfunc'));
  assert.equal(rest.length, 0);
  assert.equal(p!.program, 'find_init');
  assert.deepEqual(p!.failing.map((f) => f.profile_id), ['debian-11', 'debian-12']);
  assert.deepEqual(p!.passing, ['debian-13', 'debian-13-backports', 'debian-sid']);
  assert.deepEqual(p!.works_from, { profile_id: 'debian-13', release: '6.12.107+deb13-cloud-amd64' });
  assert.equal(p!.code, 'MISSING_KFUNC');
  assert.equal(p!.root_cause?.name, 'bpf_task_from_pid');
  assert.match(p!.remediation, /bpf_ksym_exists\(bpf_task_from_pid\)/);
  assert.match(p!.remediation, /before 6\.12\.107/);
  const md = acrossSection([p!]).join('\n');
  assert.match(md, /<bdi>find\\_init<\/bdi>: kfunc bpf\\_task\\_from\\_pid fails on 5\.10\.0-32-cloud-amd64, 6\.1\.0-50-cloud-amd64 \(confidence high\); works from 6\.12\.107\+deb13-cloud-amd64 in this matrix\./);
});

test('a program failing everywhere has no first passing kernel; passing objects list nothing', () => {
  const [p] = programsAcross(targetsOf('gpl-only-helper'));
  assert.equal(p!.works_from, null);
  assert.equal(p!.failing.length, 5);
  assert.match(acrossSection([p!]).join('\n'), /fails on every kernel of this matrix/);
  assert.deepEqual(programsAcross(targetsOf('pass-everywhere')), []);
});

test('infra errors are not verdicts: they neither fail a program nor set where it works from', () => {
  const targets = targetsOf('bpf-loop');
  targets[1] = targetFromInfraError(ctx('debian-12', '6.1.0-50-cloud-amd64'), 'boot timeout', '', 'best-effort');
  const [p] = programsAcross(targets);
  assert.deepEqual(p!.works_from, { profile_id: 'debian-13', release: '6.12.107+deb13-cloud-amd64' });
  assert.deepEqual(p!.passing, ['debian-13', 'debian-13-backports', 'debian-sid']);
});

test('a map that cannot be created fails the programs of the object with the map as root cause', () => {
  const [p] = programsAcross(targetsOf('map-type-missing'));
  assert.equal(p!.code, 'UNSUPPORTED_MAP_TYPE');
  assert.deepEqual(p!.root_cause, { kind: 'map_type', name: 'cgrp_storage', id: 32 });
  assert.equal(p!.works_from?.profile_id, 'debian-13');
});

test('an attach target missing on every kernel is reported as a placeholder its loader sets, with how to name the real one', () => {
  const evidenceOf = (file: string) => ValidatorResult.parse(JSON.parse(readFileSync(join(evidence, file), 'utf8')));
  const both = [ctx('debian-11', PROFILES[0]![1]), ctx('debian-12', PROFILES[1]![1])].map((c) => targetFromValidator(c, evidenceOf('loader-sized--debian-12.json')));
  const [p] = programsAcross(both);
  assert.equal(p!.program, 'file_read_entry');
  assert.equal(p!.code, 'ATTACH_TARGET_MISSING');
  assert.deepEqual(p!.placeholder_target, { name: 'dummy_file_read', kind: 'function', kernels: 2 });
  assert.match(p!.remediation, /missing on all 2 kernels of the matrix/);
  assert.match(p!.remediation, /bpf_program__set_attach_target/);
  assert.match(p!.remediation, /attach: \{ target: FUNCTION \}/);
  assert.match(acrossSection([p!]).join('\n'), /untestable without its attach target: function dummy\\_file\\_read is missing on all 2 kernels/);
  // one kernel is no evidence of a placeholder; a target missing on only some kernels is really absent there
  assert.equal(programsAcross(both.slice(0, 1))[0]!.placeholder_target, undefined);
  const kfunc = targetsOf('missing-kprobe');
  assert.ok(programsAcross(kfunc).every((x) => x.placeholder_target?.kernels === 5), 'a kprobe missing everywhere is flagged too');
  assert.equal(programsAcross(targetsOf('missing-kfunc'))[0]!.placeholder_target, undefined);
});
