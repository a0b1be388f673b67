// End to end: OCI images validated on a real Debian 12 kernel. A bpfman image with two objects pulled from a
// registry on loopback (one boot, both objects), and a gadget image from an oci-archive (one boot).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { Report } from '../../../history/vocabulary/report-schema.ts';
import { bpfmanImage, gadgetImage, pushLayout, startRegistry, writeLayout } from './test-images.ts';

const pass = readFileSync('build/examples/pass_everywhere.bpf.o');
const reject = readFileSync('build/examples/verifier_rejection.bpf.o');

function bpfcompat(args: string[]) {
  return spawnSync(process.execPath, ['collector/bin/bpfcompat.js', ...args], { encoding: 'utf8', env: { ...process.env, DOCKER_CONFIG: '/nonexistent' } });
}

test('a bpfman image from a registry and a gadget from an oci-archive validate on a real kernel', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-oci-e2e-'));
  const registry = await startRegistry(join(dir, 'registry'));
  try {
    const digest = writeLayout(join(dir, 'bpfman'), 'v1', [
      bpfmanImage('amd64', [{ name: 'pass.bpf.o', data: pass }, { name: 'reject.bpf.o', data: reject }], { handle_exec: 'tracepoint' }),
      bpfmanImage('arm64', [{ name: 'pass.bpf.o', data: pass }], { handle_exec: 'tracepoint' }),
    ]);
    pushLayout(join(dir, 'bpfman'), 'v1', `${registry.host}/bpfman/demo:v1`);
    const ref = `${registry.host}/bpfman/demo:v1`;
    const out = join(dir, 'bpfman.json');
    const history = join(dir, 'history.sqlite');
    const r = bpfcompat(['test', '--artifact', ref, '--registry-insecure', registry.host, '--matrix', 'dev-one', '--out', out, '--markdown', join(dir, 'bpfman.md'), '--history', history, '--workdir', join(dir, 'work'), '--jobs', '1', '--quiet']);
    assert.equal(r.status, 2, r.stderr);
    const report = Report.parse(JSON.parse(readFileSync(out, 'utf8')));
    assert.equal(report.artifact.identity, digest, 'the identity is the digest the reference names (the index)');
    assert.equal(report.artifact.path, ref, 'the reference is recorded as the artifact\'s path');
    assert.equal(report.artifact.uri, undefined, 'uri is --artifact-uri alone: where the object itself is published');
    assert.equal(report.artifact.name, 'demo');
    assert.equal(report.manifest?.path, '(program types declared by the image)');
    const t = report.targets[0]!;
    assert.equal(t.status, 'fail');
    assert.equal(t.classification_code, 'VERIFIER_REJECTION');
    assert.deepEqual([...new Set(t.programs.map((p) => p.object))].sort(), ['pass.bpf.o', 'reject.bpf.o'], 'every object of the image was validated');
    assert.ok(t.programs.some((p) => p.object === 'pass.bpf.o' && p.load === 'pass'));
    assert.ok(t.programs.some((p) => p.object === 'reject.bpf.o' && p.load === 'fail'));
    assert.ok(t.notes.includes('object pass.bpf.o: pass') && t.notes.includes('object reject.bpf.o: fail (VERIFIER_REJECTION)'), t.notes.join('; '));
    assert.match(r.stderr, /1 failed/);
    assert.match(readFileSync(join(dir, 'bpfman.md'), 'utf8'), /reject\.bpf\.o: count\\?_unchecked/, 'the Markdown names each program\'s object');
    const list = bpfcompat(['history', 'list', '--history', history, '--json']);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /"demo"/);
    const verify = bpfcompat(['history', 'verify', '--history', history]);
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    // The same image again: its stored verdict is reused for every object, without a boot.
    const again = bpfcompat(['test', '--artifact', ref, '--registry-insecure', registry.host, '--matrix', 'dev-one', '--out', join(dir, 'again.json'), '--history', history, '--workdir', join(dir, 'work'), '--quiet']);
    assert.equal(again.status, 2, again.stderr);
    const reused = Report.parse(JSON.parse(readFileSync(join(dir, 'again.json'), 'utf8')));
    assert.equal(reused.summary.reused, 1);
    assert.equal(reused.targets[0]!.result_key, t.result_key);
    assert.deepEqual(reused.targets[0]!.programs.map((p) => p.object), t.programs.map((p) => p.object));
    // compare takes the image reference itself: its newest run, found by the digest it resolves to.
    const cmp = bpfcompat(['compare', ref, out, '--history', history, '--registry-insecure', registry.host]);
    assert.equal(cmp.status, 0, cmp.stderr);
    assert.equal(JSON.parse(cmp.stdout).summary.changed_profiles, 0);
    assert.equal(JSON.parse(cmp.stdout).base.run_id, reused.run.id, 'the newest run of the image');
    const other = `${registry.host}/gadgets/none:v1`;
    writeLayout(join(dir, 'other'), 'v1', [gadgetImage('amd64', reject)]);
    pushLayout(join(dir, 'other'), 'v1', other);
    const none = bpfcompat(['compare', other, out, '--history', history, '--registry-insecure', registry.host]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /^bpfcompat: .*history\.sqlite: no run of 127\.0\.0\.1:\d+\/gadgets\/none:v1 \(sha256:[0-9a-f]{64}\) \(record one first/);
    assert.equal(none.stderr.trim().split('\n').length, 1);

    writeLayout(join(dir, 'gadget'), 'v1', [gadgetImage('amd64', pass)]);
    execFileSync('skopeo', ['copy', '--quiet', `oci:${join(dir, 'gadget')}:v1`, `oci-archive:${join(dir, 'gadget.tar')}:v1`]);
    const gout = join(dir, 'gadget.json');
    const g = bpfcompat(['test', '--artifact', `oci-archive:${join(dir, 'gadget.tar')}:v1`, '--matrix', 'dev-one', '--out', gout, '--no-history', '--workdir', join(dir, 'work'), '--jobs', '1', '--quiet']);
    assert.equal(g.status, 0, g.stderr);
    const gr = Report.parse(JSON.parse(readFileSync(gout, 'utf8')));
    assert.equal(gr.targets[0]!.status, 'pass');
    assert.ok(gr.targets[0]!.programs.length > 0 && gr.targets[0]!.programs.every((p) => p.object === 'program.bpf.o' && p.load === 'pass'));
    assert.equal(gr.manifest, null, 'a gadget declares no program types');

    // A suite case may name a one-object image (relative to the suite file), beside a plain object: one boot for both.
    copyFileSync('build/examples/pass_everywhere.bpf.o', join(dir, 'plain.bpf.o'));
    writeFileSync(join(dir, 'suite.yaml'), `name: oci-suite\ndefaults: { matrix: dev-one, report_dir: reports }\ncases:\n  - { name: gadget, artifact: "oci-archive:gadget.tar:v1", artifact_name: trace-demo }\n  - { name: plain, artifact: plain.bpf.o }\n`);
    const s = bpfcompat(['suite', '--suite', join(dir, 'suite.yaml'), '--out', join(dir, 'suite.json'), '--no-history', '--workdir', join(dir, 'work'), '--quiet']);
    assert.equal(s.status, 0, s.stderr);
    const summary = JSON.parse(readFileSync(join(dir, 'suite.json'), 'utf8'));
    assert.equal(summary.boots, 1, 'both cases in one boot');
    const sr = Report.parse(JSON.parse(readFileSync(join(dir, 'reports', 'gadget.json'), 'utf8')));
    assert.equal(sr.artifact.sha256, gr.artifact.sha256, 'the suite case runs under the image digest, as test does');
    assert.equal(sr.artifact.path, `oci-archive:${join(dir, 'gadget.tar')}:v1`);
    assert.equal(sr.targets[0]!.status, 'pass');
    assert.equal(sr.targets[0]!.result_key, gr.targets[0]!.result_key, 'the same inputs give the same key');
  } finally {
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
