// End to end: the Debian matrix run unsharded into one history, and as 3 shards (`--shard i/3`) into three
// histories merged with `bpfcompat history merge`, give identical results. 10 real boots under TCG.
// bpf_loop fails on 5.10 and passes from 6.1, so the comparison covers a classified failure as well as passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { openHistory } from '../../../history/src/index.ts';
import { Report } from '../../../history/vocabulary/report-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-shard-e2e-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const OBJ = 'build/examples/bpf_loop.bpf.o';
const PROFILES = ['debian-11', 'debian-12', 'debian-13', 'debian-13-backports', 'debian-sid'];

function bpfcompat(args: string[]) {
  return spawnSync(process.execPath, ['collector/bin/bpfcompat.js', ...args], { encoding: 'utf8' });
}

function run(out: string, history: string, extra: string[] = []) {
  // The same version label on every run, as a nightly workflow passes it to every shard.
  const r = bpfcompat(['test', '--artifact', OBJ, '--matrix', 'matrices/debian.yaml', '--out', out, '--history', history, '--artifact-version', 'shard-e2e', '--jobs', '2', '--quiet', '--workdir', join(dir, 'work'), ...extra]);
  return { status: r.status, stderr: r.stderr, report: Report.parse(JSON.parse(readFileSync(out, 'utf8'))) };
}

/** Every observation a history holds, per profile, without the fields that name a particular run. */
function observations(path: string) {
  const h = openHistory(path, { readonly: true });
  try {
    assert.equal(h.verify().ok, true, `${path} verifies`);
    const members = h.listRuns({ limit: 100 }).flatMap((r) => h.getRun(r.id)!.members);
    const rows = members.map((m) => ({ profile: m.profile_id, key: m.result_key, status: m.status, stage: m.failed_stage, code: m.classification_code, confidence: m.confidence, reason: m.reason, kernel: m.kernel_sha256, required: m.required }));
    rows.sort((a, b) => (a.profile < b.profile ? -1 : a.profile > b.profile ? 1 : 0));
    const latest = h.latestVerdicts({ artifactName: 'bpf_loop' }).map((v) => ({ profile: v.profile_id, key: v.result_key, status: v.status, code: v.classification_code, confidence: v.confidence, kernel: v.kernel_release }));
    latest.sort((a, b) => (a.profile < b.profile ? -1 : a.profile > b.profile ? 1 : 0));
    return { rows, latest, kernels: h.listKernels().map((k) => k.sha256).sort() };
  } finally {
    h.close();
  }
}

test('3 shards merged give the same history results as one unsharded run', { timeout: 900_000 }, () => {
  assert.ok(existsSync(OBJ), `${OBJ} is built by 'make examples'`);
  const h1 = join(dir, 'h1.sqlite');
  const whole = run(join(dir, 'whole.json'), h1);
  assert.equal(whole.status, 2, `bpf_loop fails on debian-11: exit 2 (${whole.stderr})`);
  assert.deepEqual(whole.report.targets.map((t) => t.profile_id), PROFILES);

  const shards = [1, 2, 3].map((i) => run(join(dir, `shard${i}.json`), join(dir, `s${i}.sqlite`), ['--shard', `${i}/3`]));
  // The shards partition the matrix: balanced contiguous slices of the sorted profile ids, each booted once.
  assert.deepEqual(shards.map((s) => s.report.targets.map((t) => t.profile_id)), [['debian-11'], ['debian-12', 'debian-13'], ['debian-13-backports', 'debian-sid']]);
  assert.deepEqual(shards.map((s) => s.report.matrix.profiles), [['debian-11'], ['debian-12', 'debian-13'], ['debian-13-backports', 'debian-sid']]);
  assert.deepEqual(shards.map((s) => s.status), [2, 0, 0], 'only the shard holding the failing kernel gates');
  for (const s of [whole, ...shards]) {
    assert.deepEqual(s.report.targets.filter((t) => t.status === 'infra_error').map((t) => t.infra_error), [], 'no infrastructure errors');
    assert.ok(s.report.targets.every((t) => !t.reused), 'every target booted: separate histories, nothing to reuse');
  }

  const h2 = join(dir, 'h2.sqlite');
  const merged = bpfcompat(['history', 'merge', join(dir, 's1.sqlite'), join(dir, 's2.sqlite'), join(dir, 's3.sqlite'), '--into', h2]);
  assert.equal(merged.status, 0, merged.stderr);

  const a = observations(h1);
  const b = observations(h2);
  assert.equal(a.rows.length, 5);
  assert.deepEqual(b.rows, a.rows, 'same result keys, statuses, stages, classifications per profile');
  assert.deepEqual(b.latest, a.latest, 'same latest verdict per profile');
  assert.deepEqual(b.kernels, a.kernels);
  const failing = a.latest.filter((v) => v.status === 'fail');
  assert.deepEqual(failing.map((v) => [v.profile, v.code]), [['debian-11', 'UNSUPPORTED_HELPER']], 'the comparison covers a classified failure');
});
