import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { ValidatorResult } from '../validation/validator-result.ts';
import { targetFromInfraError, targetFromValidator } from '../validation/target.ts';
import { assembleReport } from './write.ts';
import { renderMarkdown, renderJobSummary } from './markdown.ts';
import { renderJunit } from './junit.ts';
import type { ResolvedKernel } from '../kernels/types.ts';
import type { Report } from '../../../history/vocabulary/report-schema.ts';

const here = dirname(fileURLToPath(import.meta.url));
const evidence = join(here, '..', 'classify', 'testdata');
const t0 = new Date('2026-11-21T12:00:00Z');
const t1 = new Date('2026-11-21T12:00:04Z');

function kernel(release: string): ResolvedKernel {
  return { release, arch: 'x86_64', imagePath: '/k', imageSha256: 'ab'.repeat(32), modulesDir: null, configPath: null, origin: { kind: 'debian', suite: 'bullseye', flavour: 'cloud-amd64', package: `linux-image-${release}`, version: '1', url: 'http://deb.debian.org/x.deb', deb_sha256: 'cd'.repeat(32), extra_packages: [] } };
}

function fixtureReport(artifactName = 'bpf-loop'): Report {
  const ctx = (id: string, release: string, required = true) => ({ profileId: id, required, resultKey: 'ef'.repeat(32), kernel: kernel(release), accel: 'tcg' as const, machine: { cpu: 'EPYC-Rome-v1', memory_mb: 1024, cpus: 1 }, bootMs: 2300, startedAt: t0, finishedAt: t1, consoleLogPath: null, validatorResultPath: null });
  const v = (f: string) => ValidatorResult.parse(JSON.parse(readFileSync(join(evidence, f), 'utf8')));
  const targets = [
    targetFromValidator(ctx('debian-11', '5.10.0-32-cloud-amd64'), v('bpf-loop--debian-11.json')),
    targetFromValidator(ctx('debian-12', '6.1.0-50-cloud-amd64'), v('bpf-loop--debian-12.json')),
    targetFromInfraError(ctx('debian-13', '6.12.107+deb13-cloud-amd64', false), 'panic: Kernel panic - not syncing', '[    2.0] Kernel panic - not syncing: Fatal exception', 'best-effort'),
  ];
  return assembleReport({
    runId: '20261121T120000Z-abcdef', startedAt: t0, finishedAt: t1, jobs: 2, accel: 'tcg', git: null, ci: null,
    artifact: { name: artifactName, version: 'v1.0.0', variant: null, identity: `sha256:${'12'.repeat(32)}`, path: 'build/examples/bpf_loop.bpf.o', basename: 'bpf_loop.bpf.o', sha256: '12'.repeat(32), size_bytes: 4242 },
    command: null, validator: { basename: 'bpfcompat-validator', sha256: '34'.repeat(32), size_bytes: 1342664 }, manifest: null, mode: 'default',
    matrix: { path: 'matrices/debian.yaml', name: 'debian', profiles: ['debian-11', 'debian-12', 'debian-13'] },
    targets, paths: { json: 'r.json', markdown: 'r.md', junit: 'r.xml' },
  });
}

function golden(name: string, text: string) {
  const file = join(here, 'testdata', name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
  assert.equal(text, readFileSync(file, 'utf8'), `${name} changed: review, then UPDATE_GOLDEN=1`);
}

test('summary: an infra error (even optional) gives error and exit 1; a required failure alone gives 2', () => {
  const r = fixtureReport();
  assert.equal(r.summary.status, 'error');
  assert.equal(r.summary.exit_code, 1);
  assert.equal(r.summary.required_failed, 1);
  const noInfra = { ...r, targets: r.targets.filter((t) => t.status !== 'infra_error') };
  const again = assembleReport({ ...r, runId: r.run.id, startedAt: t0, finishedAt: t1, jobs: 2, accel: 'tcg', git: null, ci: null, mode: 'default', targets: noInfra.targets } as never);
  assert.equal(again.summary.exit_code, 2);
});

test('golden Markdown, job summary and JUnit from real evidence', () => {
  const r = fixtureReport();
  golden('report.golden.md', renderMarkdown(r));
  golden('job-summary.golden.md', renderJobSummary(r));
  // The report itself, as a file the CLI tests read (report-summary, compare --base-report).
  golden('mixed-report.json', JSON.stringify(r, null, 2) + '\n');
  const xml = renderJunit(r);
  golden('report.golden.xml', xml);
  const file = join(here, 'testdata', 'report.golden.xml');
  execFileSync('xmllint', ['--noout', file]);
});

test('artifact-derived strings cannot inject Markdown, HTML or XML', () => {
  const r = fixtureReport('<script>alert(1)</script>|`x`\n# h');
  r.targets[0]!.programs[0]!.name = '<img src=x onerror=alert(1)>';
  r.targets[0]!.programs[0]!.verifier_log_tail = 'line ```\n</details><script>alert(2)</script>';
  const md = renderMarkdown(r);
  // Inside a fenced code block text is rendered literally; everywhere else no raw tag may survive.
  const outsideFences = md.replace(/^(`{3,})text\n[\s\S]*?\n\1$/gm, '');
  assert.ok(md.includes('</details><script>alert(2)</script>'), 'the log is kept verbatim inside its fence');
  assert.ok(!outsideFences.includes('<script>'), 'no raw script tag outside fences');
  assert.ok(!outsideFences.includes('</details><script>'), 'the log cannot close the details element');
  assert.ok(!outsideFences.includes('<img'), 'no raw img tag');
  assert.ok(md.includes('&lt;script&gt;'));
  const fenceOpen = md.indexOf('````text');
  assert.ok(fenceOpen > 0, 'a fence longer than any backtick run in the log');
  const xml = renderJunit(r);
  assert.ok(!xml.includes('<script>'));
});

test('names in Markdown are isolated: a right-to-left override cannot reorder the line around it', () => {
  const r = fixtureReport('evil\u202Eexe.fdp');
  const md = renderMarkdown(r);
  assert.ok(md.startsWith('# bpfcompat report: <bdi>evil\u202Eexe.fdp</bdi> <bdi>v1.0.0</bdi>'), md.split('\n')[0]);
  assert.match(md, /- Matrix: <bdi>debian<\/bdi>/);
  assert.ok(renderJobSummary(r).includes('<bdi>evil\u202Eexe.fdp</bdi>'));
});

test('a pass whose attach failed is counted and shown as "loads, attach warned" in every report, with its cause', () => {
  const v = (f: string) => ValidatorResult.parse(JSON.parse(readFileSync(join(evidence, f), 'utf8')));
  const ctx = (id: string, release: string) => ({ profileId: id, required: true, resultKey: 'ef'.repeat(32), kernel: kernel(release), accel: 'tcg' as const, machine: { cpu: 'EPYC-Rome-v1', memory_mb: 1024, cpus: 1 }, bootMs: 2300, startedAt: t0, finishedAt: t1, consoleLogPath: null, validatorResultPath: null });
  const warned = targetFromValidator(ctx('debian-11', '5.10.0-32-cloud-amd64'), v('tcx-attach--debian-11.json'));
  const clean = targetFromValidator(ctx('debian-sid', '7.2.13+deb14-cloud-amd64'), v('tcx-attach--debian-sid-old-cpu.json'));
  assert.equal(warned.status, 'pass');
  assert.equal(warned.warnings?.[0]?.code, 'UNSUPPORTED_ATTACH_TYPE');
  assert.equal(warned.programs[0]!.attach_explanation?.root_cause?.name, 'tcx_ingress');
  assert.deepEqual(clean.warnings, []);
  assert.equal(clean.programs[0]!.attach_explanation, null);
  const r = assembleReport({
    runId: '20261121T120000Z-abcdef', startedAt: t0, finishedAt: t1, jobs: 2, accel: 'tcg', git: null, ci: null,
    artifact: { name: 'tcx', version: 'v1', variant: null, identity: `sha256:${'12'.repeat(32)}`, path: 'tcx.bpf.o', basename: 'tcx.bpf.o', sha256: '12'.repeat(32), size_bytes: 1 },
    command: null, validator: { basename: 'bpfcompat-validator', sha256: '34'.repeat(32), size_bytes: 1 }, manifest: null, mode: 'default',
    matrix: { path: 'm.yaml', name: 'm', profiles: ['debian-11', 'debian-sid'] }, targets: [warned, clean], paths: { json: 'r.json', markdown: null, junit: null },
  });
  assert.equal(r.summary.status, 'pass');
  assert.equal(r.summary.passed, 2);
  assert.equal(r.summary.warned, 1);
  assert.ok(r.summary.notes.some((n) => /attach warned on: debian-11 \(UNSUPPORTED_ATTACH_TYPE\)/.test(n)), r.summary.notes.join('\n'));
  const across = r.programs_across ?? [];
  assert.equal(across[0]?.program, 'tcx_pass');
  assert.deepEqual(across[0]?.warned?.map((w) => w.profile_id), ['debian-11']);
  assert.equal(across[0]?.works_from?.profile_id, 'debian-sid');
  const md = renderMarkdown(r);
  assert.match(md, /\| debian-11 \| 5\.10\.0-32-cloud-amd64 \| ◐ loads, attach warned \|/);
  assert.match(md, /Attach warning: program <bdi>tcx\\_pass<\/bdi> loads but does not attach — \*\*UNSUPPORTED_ATTACH_TYPE\*\*/);
  assert.match(md, /2 passed \(1 of them with attach warnings\)/);
  assert.match(renderJobSummary(r), /### Attach warnings[\s\S]*debian-11: <bdi>tcx\\_pass<\/bdi> — \*\*UNSUPPORTED_ATTACH_TYPE\*\*/);
  const xml = renderJunit(r);
  assert.match(xml, /<property name="attach_warning" value="tcx_pass: UNSUPPORTED_ATTACH_TYPE"\/>/);
  assert.match(xml, /<system-out>attach warning: tcx_pass: UNSUPPORTED_ATTACH_TYPE \(high\)/);
  assert.doesNotMatch(xml, /<failure/);
});

test('every fixup is typed on its target and listed once in the Markdown, saying who chose the value', () => {
  const v = (f: string) => ValidatorResult.parse(JSON.parse(readFileSync(join(evidence, f), 'utf8')));
  const ctx = (id: string, release: string) => ({ profileId: id, required: true, resultKey: 'ef'.repeat(32), kernel: kernel(release), accel: 'tcg' as const, machine: { cpu: 'EPYC-Rome-v1', memory_mb: 1024, cpus: 1 }, bootMs: 2300, startedAt: t0, finishedAt: t1, consoleLogPath: null, validatorResultPath: null });
  const targets = [ctx('debian-11', '5.10.0-32-cloud-amd64'), ctx('debian-12', '6.1.0-50-cloud-amd64')].map((c) => targetFromValidator(c, v('loader-sized--debian-12.json')));
  assert.deepEqual(targets[0]!.fixups?.map((f) => [f.kind, f.target, f.automatic]), [['auto_value_size', 'stack_traces', true], ['auto_max_entries', 'stack_traces', true]]);
  assert.ok(targets[0]!.notes.some((n) => /^automatic fixup \(chosen by bpfcompat, not the object\) auto_value_size stack_traces: applied/.test(n)));
  const r = assembleReport({
    runId: '20261121T120000Z-abcdef', startedAt: t0, finishedAt: t1, jobs: 2, accel: 'tcg', git: null, ci: null,
    artifact: { name: 'loader-sized', version: 'v1', variant: null, identity: `sha256:${'12'.repeat(32)}`, path: 'l.bpf.o', basename: 'l.bpf.o', sha256: '12'.repeat(32), size_bytes: 1 },
    command: null, validator: { basename: 'bpfcompat-validator', sha256: '34'.repeat(32), size_bytes: 1 }, manifest: null, mode: 'default',
    matrix: { path: 'm.yaml', name: 'm', profiles: ['debian-11', 'debian-12'] }, targets, paths: { json: 'r.json', markdown: null, junit: null },
  });
  const md = renderMarkdown(r);
  assert.match(md, /## Fixups/);
  assert.match(md, /\| bpfcompat \| auto\\_value\\_size \| stack\\_traces \| value\\_size 0 -&gt; 1016 \(127 frames x 8 bytes[^|]*\| applied \| all \|/);
  assert.equal(md.match(/auto\\_max\\_entries/g)?.length, 1, 'once for all kernels');
  assert.equal(r.programs_across?.[0]?.placeholder_target?.name, 'dummy_file_read');
});
