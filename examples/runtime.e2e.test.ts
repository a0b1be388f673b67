// End to end, on the five Debian kernels: signed evidence and runtime decisioning.
// - Two variants of exec-counter (examples/runtime-variants: "loop" calls bpf_loop, which 5.10 lacks; "unrolled"
//   does not) and the host probe run as one suite, sharded in two, each shard signed as it appends; the shards merge
//   with every signature kept, and the site is built with the objects and signed.
// - select picks "unrolled" on 5.10's release and "loop" on 6.1's, both verified, from the site and the history.
// - The probe runs on this machine, and select --host gives a predicted choice for its (never booted) kernel.
// - The probe's view of each kernel, taken inside that kernel's guest, agrees with the validator's there.
// - One changed byte is caught: a history row, an API JSON file, a published object (fetch writes nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { sha256Hex } from '../history/vocabulary/hash.ts';
import { Report } from '../history/vocabulary/report-schema.ts';

const REPO = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-runtime-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const K510 = '5.10.0-';
const K61 = '6.1.0-';

function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(REPO, 'collector/bin/bpfcompat.js'), ...args], { encoding: 'utf8', cwd: REPO });
}
function ok(...args: string[]): string {
  const r = cli(...args);
  assert.equal(r.status, 0, `bpfcompat ${args.join(' ')}: exit ${r.status}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

// Objects compiled here, as the Makefile's examples target does.
const objects = join(dir, 'objects');
mkdirSync(objects);
const multiarch = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
for (const v of ['loop', 'unrolled']) {
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86', `-I${join(REPO, 'validator/build/libbpf/include')}`, `-I/usr/include/${multiarch}`,
    '-c', join(REPO, `examples/runtime-variants/counter_${v}.bpf.c`), '-o', join(objects, `counter_${v}.bpf.o`)]);
}
const key = join(dir, 'keys', 'bpfcompat-signing.key');
const pub = join(dir, 'keys', 'bpfcompat-signing.pub');

function suite(shard: string): string {
  const sdir = join(dir, `shard-${shard.replace('/', '-')}`);
  mkdirSync(sdir, { recursive: true });
  const file = join(sdir, 'suite.yaml');
  writeFileSync(file, stringify({
    name: 'runtime-variants',
    defaults: { matrix: join(REPO, 'matrices/debian.yaml'), report_dir: join(sdir, 'reports'), timeout: '180s' },
    cases: [
      { name: 'counter-loop', artifact: join(objects, 'counter_loop.bpf.o'), artifact_name: 'exec-counter', artifact_version: '1.0', artifact_variant: 'loop' },
      { name: 'counter-unrolled', artifact: join(objects, 'counter_unrolled.bpf.o'), artifact_name: 'exec-counter', artifact_version: '1.0', artifact_variant: 'unrolled' },
      { name: 'host-probe', command: '"$BPFCOMPAT_BIN" --helper tracepoint:bpf_loop --helper tracepoint:bpf_map_lookup_elem', command_binary: join(REPO, 'validator/build/bpfcompat-host-probe') },
    ],
  }));
  return file;
}

const history = join(dir, 'merged.sqlite');
const site = join(dir, 'site');
let reports: { dir: string }[] = [];

test('two variants validated on the Debian matrix in two signed shards; the merge keeps every signature; the site is built and signed', () => {
  ok('keys', 'generate', '--out', join(dir, 'keys'));
  const exits: number[] = [];
  const shards = ['1/2', '2/2'].map((s) => {
    const h = join(dir, `h-${s.replace('/', '-')}.sqlite`);
    const r = cli('suite', '--suite', suite(s), '--shard', s, '--history', h, '--workdir', join(dir, 'work'), '--jobs', '1', '--quiet', '--sign-key', key);
    exits.push(r.status ?? -1);
    assert.ok(r.status === 0 || r.status === 2, r.stderr);
    assert.match(r.stderr, /signed by key [0-9a-f]{16}/);
    ok('history', 'verify', '--history', h, '--trusted-key', pub, '--require-signed');
    return h;
  });
  assert.deepEqual(exits.sort(), [0, 2], 'the loop variant fails on 5.10 only, so exactly the shard that ran it there exits 2');
  reports = ['1-2', '2-2'].map((s) => ({ dir: join(dir, `shard-${s}`, 'reports') }));
  ok('history', 'merge', ...shards, '--into', history);
  ok('history', 'verify', '--history', history, '--trusted-key', pub, '--require-signed');
  const db = new Database(history, { readonly: true });
  const [runs, signatures] = [db.prepare('SELECT count(*) FROM runs').pluck().get(), db.prepare('SELECT count(*) FROM signatures').pluck().get()];
  db.close();
  assert.equal(signatures, runs, 'one signature per run of both shards');
  const out = ok('site', 'build', '--history', history, '--out', site, '--with-artifacts', objects, '--sign-key', key);
  assert.match(out, /2 objects published under artifacts\//);
  assert.match(out, /signed by key [0-9a-f]{64}/);
  const manifest = JSON.parse(readFileSync(join(site, 'api/v1/signatures.json'), 'utf8')) as { files: Record<string, string> };
  for (const [rel, sha] of Object.entries(manifest.files)) assert.equal(sha256Hex(readFileSync(join(site, rel))), sha, rel);
  assert.ok(Object.keys(manifest.files).some((f) => /^api\/v1\/artifacts\/exec-counter-[0-9a-f]+\/evidence\.json$/.test(f)));
});

function releaseOf(prefix: string): string {
  const db = new Database(history, { readonly: true });
  try {
    return db.prepare('SELECT release FROM kernels WHERE release LIKE ?').pluck().get(`${prefix}%`) as string;
  } finally {
    db.close();
  }
}

test('select: the fallback on 5.10, the preferred variant on 6.1, both verified, from the signed site and from the history', () => {
  for (const source of [['--site', site], ['--history', history]]) {
    const pick = (release: string) => {
      const r = cli('select', '--artifact-name', 'exec-counter', ...source, '--kernel-release', release, '--prefer', 'loop,unrolled', '--trusted-key', pub, '--require-signed', '--json');
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { variant: string; evidence: string; version: string; artifact_sha256: string; trace: { variant: string; outcome: string; reasons: string[] }[] };
    };
    const on510 = pick(releaseOf(K510));
    assert.deepEqual([on510.variant, on510.evidence, on510.version], ['unrolled', 'verified', '1.0']);
    assert.equal(on510.artifact_sha256, sha256Hex(readFileSync(join(objects, 'counter_unrolled.bpf.o'))));
    assert.match(on510.trace.find((c) => c.variant === 'loop')!.reasons.join(' '), /UNSUPPORTED_HELPER: helper bpf_loop/);
    const on61 = pick(releaseOf(K61));
    assert.deepEqual([on61.variant, on61.evidence], ['loop', 'verified']);
    assert.equal(on61.artifact_sha256, sha256Hex(readFileSync(join(objects, 'counter_loop.bpf.o'))));
  }
});

test('probe on this machine, then select --host: a predicted choice for its never-booted kernel; fetch writes that object', () => {
  const host = join(dir, 'host.json');
  ok('probe', '--out', host);
  const r = cli('select', '--artifact-name', 'exec-counter', '--site', site, '--host', host, '--prefer', 'loop,unrolled', '--trusted-key', pub, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { variant: string; evidence: string; artifact_sha256: string };
  assert.deepEqual([s.variant, s.evidence], ['loop', 'predicted']);
  const out = join(dir, 'fetched');
  const f = JSON.parse(ok('fetch', '--artifact-name', 'exec-counter', '--site', site, '--host', host, '--prefer', 'loop,unrolled', '--trusted-key', pub, '--out-dir', out, '--json')) as { path: string };
  assert.equal(sha256Hex(readFileSync(f.path)), s.artifact_sha256);
});

test("the probe's view of each kernel, inside its guest, agrees with what the validator found there", () => {
  let kernels = 0;
  // The shards split (case × kernel) targets: a kernel's probe and its validator run may sit in different shards.
  const targets = (name: string) => reports.flatMap(({ dir: rdir }) => Report.parse(JSON.parse(readFileSync(join(rdir, `${name}.json`), 'utf8'))).targets);
  const loopTargets = targets('counter-loop');
  {
    for (const t of targets('host-probe')) {
      const stdout = String((t.functional.tests[0] as { stdout_tail?: string }).stdout_tail ?? '');
      const seen = JSON.parse(stdout) as { kernel_release: string; bpf_access: string; map_types: Record<string, string>; program_types: Record<string, string>; helpers: Record<string, Record<string, string>> };
      const target = loopTargets.find((x) => x.profile_id === t.profile_id)!;
      const v = JSON.parse(readFileSync(target.evidence.validator_result!, 'utf8')) as {
        kernel: { release: string }; probes: { map_types: Record<string, { status: string }>; program_types: Record<string, { status: string }> };
        programs: { helper_probes: { name: string; status: string }[] }[];
      };
      assert.equal(seen.kernel_release, v.kernel.release, t.profile_id);
      assert.equal(seen.bpf_access, 'granted');
      assert.deepEqual(seen.map_types, Object.fromEntries(Object.entries(v.probes.map_types).map(([k, x]) => [k, x.status])), `${t.profile_id} map types`);
      assert.deepEqual(seen.program_types, Object.fromEntries(Object.entries(v.probes.program_types).map(([k, x]) => [k, x.status])), `${t.profile_id} program types`);
      const helpers = Object.fromEntries(v.programs[0]!.helper_probes.map((h) => [h.name, h.status]));
      assert.deepEqual(seen.helpers.tracepoint, helpers, `${t.profile_id} helpers of the tracepoint program`);
      assert.equal(helpers.bpf_loop, t.kernel.release.startsWith(K510) ? 'missing' : 'supported');
      kernels++;
    }
  }
  assert.equal(kernels, 5, 'every kernel of the matrix');
});

test('one changed byte is caught: a history row, an API JSON file, a published object', () => {
  // History: the loop variant's 5.10 verdict edited to pass. verify names the run; select no longer counts that run.
  const tampered = join(dir, 'tampered.sqlite');
  copyFileSync(history, tampered);
  const db = new Database(tampered);
  assert.equal(db.prepare("UPDATE targets SET status = 'pass' WHERE status = 'fail'").run().changes, 1);
  const loopRun = db.prepare("SELECT id FROM runs WHERE artifact_variant = 'loop'").pluck().get() as string;
  db.close();
  const v = cli('history', 'verify', '--history', tampered, '--trusted-key', pub);
  assert.equal(v.status, 1);
  assert.match(v.stdout, new RegExp(`MISMATCH signatures run ${loopRun}: signature by key [0-9a-f]{16} does not match`));
  const s = JSON.parse(cli('select', '--artifact-name', 'exec-counter', '--history', tampered, '--kernel-release', releaseOf(K510), '--prefer', 'loop,unrolled', '--trusted-key', pub, '--json').stdout) as { variant: string };
  assert.equal(s.variant, 'unrolled', 'the edited verdict is not evidence');

  // API JSON: one byte of the evidence file.
  const site2 = join(dir, 'site-tampered');
  cpSync(site, site2, { recursive: true });
  const slugDir = readdirSync(join(site2, 'api/v1/artifacts')).find((d) => d.startsWith('exec-counter-'))!;
  const evidence = join(site2, 'api/v1/artifacts', slugDir, 'evidence.json');
  const text = readFileSync(evidence, 'utf8');
  writeFileSync(evidence, text.replace('"fail"', '"pass"'));
  const sel = cli('select', '--artifact-name', 'exec-counter', '--site', site2, '--kernel-release', releaseOf(K510), '--trusted-key', pub);
  assert.equal(sel.status, 1);
  assert.match(sel.stderr, /evidence\.json hashes to [0-9a-f]{16}…, the signed manifest says/);
  writeFileSync(evidence, text);

  // Published object: one byte flipped. fetch refuses with and without trusted keys, and writes nothing.
  const sha = sha256Hex(readFileSync(join(objects, 'counter_loop.bpf.o')));
  const obj = join(site2, 'artifacts', `${sha}.bpf.o`);
  const bytes = readFileSync(obj);
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
  writeFileSync(obj, bytes);
  const out = join(dir, 'refused');
  for (const trust of [['--trusted-key', pub], []]) {
    const f = cli('fetch', '--artifact-name', 'exec-counter', '--site', site2, '--kernel-release', releaseOf(K61), '--prefer', 'loop', ...trust, '--out-dir', out);
    assert.equal(f.status, 1, f.stderr);
    assert.match(f.stderr, trust.length ? /artifacts\/[0-9a-f]{64}\.bpf\.o hashes to .*the signed manifest says/ : /hashes to [0-9a-f]{64}, not the sha256 the evidence names \([0-9a-f]{64}\); nothing written/);
    assert.deepEqual(readdirSync(dir).includes('refused') ? readdirSync(out) : [], [], 'nothing written');
  }
});
