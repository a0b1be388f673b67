// select's decision on evidence built from a real SQLite history (synthetic runs): verified by release and image,
// predicted from a host profile, none; --prefer, --require verified, --deny-class and trusted keys; the CLI's exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { artifactEvidence, openHistory } from '../../../history/src/index.ts';
import { kernelSha, makeRun, DEBIAN_KERNELS } from '../../../history/src/testdata/factory.ts';
import { generateSigningKeyPair, keyIdOf } from '../../../history/vocabulary/signing.ts';
import type { HostProfile } from './host-profile.ts';
import { selectVariant, type HostFacts } from './select.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-select-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const K510 = DEBIAN_KERNELS[0]!;
const K61 = DEBIAN_KERNELS[1]!;

// exec-counter 1.0: "loop" fails on 5.10 (bpf_loop missing), "plain" passes everywhere; 0.9 "plain" only.
const path = join(dir, 'h.sqlite');
const pair = generateSigningKeyPair();
const signing = { keyId: pair.keyId, privateKey: createPrivateKey(pair.privatePem), publicKey: createPublicKey(pair.publicPem) };
writeFileSync(join(dir, 'k.pub'), pair.publicPem);
writeFileSync(join(dir, 'other.pub'), generateSigningKeyPair().publicPem);
{
  const h = openHistory(path);
  h.appendRun(makeRun({ id: 'r-old', name: 'exec-counter', version: '0.9', variant: 'plain', artifactSeed: 'plain-0.9', startedAt: '2025-01-01T00:00:00.000Z' }));
  h.appendRun(makeRun({ id: 'r-loop', name: 'exec-counter', version: '1.0', variant: 'loop', artifactSeed: 'loop', startedAt: '2025-01-02T00:00:00.000Z', targets: { [K510.profile_id]: { status: 'fail' } } }));
  h.appendRun(makeRun({ id: 'r-plain', name: 'exec-counter', version: '1.0', variant: 'plain', artifactSeed: 'plain', startedAt: '2025-01-03T00:00:00.000Z' }));
  h.sign(signing, { runIds: ['r-old', 'r-loop'] });
  h.close();
}
const evidence = (() => {
  const h = openHistory(path, { readonly: true });
  try {
    return artifactEvidence(h, 'exec-counter')!;
  } finally {
    h.close();
  }
})();

function profile(overrides: Partial<HostProfile> = {}): HostProfile {
  const supported = (names: string[]) => Object.fromEntries(names.map((n) => [n, 'supported' as const]));
  return {
    schema_version: 'bpfcompat.host-profile.v1', generated_at: '2025-02-01T00:00:00.000Z',
    kernel: { release: '6.8.0-1-generic', version: '#1', arch: 'x86_64', image: 'unknown' },
    btf: { available: true }, config: 'unknown', lockdown: 'none', unprivileged_bpf_disabled: 2, bpf_access: 'granted',
    map_types: supported(['ringbuf', 'array']), program_types: supported(['tracepoint', 'kprobe']),
    helpers: { tracepoint: supported(['bpf_map_lookup_elem', 'bpf_trace_printk', 'bpf_get_current_pid_tgid', 'bpf_loop']) },
    probe: { tool: 'bpfcompat-host-probe', sha256: '0'.repeat(64), libbpf_version: '1.7.0', uid: 0 },
    ...overrides,
  };
}
const byRelease = (release: string, imageSha256: string | null = null): HostFacts => ({ release, imageSha256, profile: null });
const byProfile = (p: HostProfile): HostFacts => ({ release: p.kernel.release, imageSha256: p.kernel.image === 'unknown' ? null : p.kernel.image.sha256, profile: p });

test('the evidence holds each variant of each version with its needs and the newest verdict per kernel', () => {
  assert.deepEqual(evidence.versions.map((v) => [v.version, v.variants.map((x) => x.variant)]), [['0.9', ['plain']], ['1.0', ['loop', 'plain']]]);
  const loop = evidence.versions[1]!.variants[0]!;
  assert.deepEqual(loop.needs.program_types, ['tracepoint']);
  assert.deepEqual(loop.needs.map_types, ['ringbuf']);
  assert.ok(loop.needs.helpers.some((h) => h.helper === 'bpf_loop' && h.program_type === 'tracepoint'));
  assert.deepEqual(loop.kernels.find((k) => k.profile_id === K510.profile_id)?.root_cause, { kind: 'helper', name: 'bpf_loop', id: 181 });
  assert.deepEqual(loop.runs, { 'r-loop': [signing.keyId] });
  assert.deepEqual(evidence.versions[1]!.variants[1]!.runs, { 'r-plain': [] });
});

test('verified: the preferred variant where it passed on the host release, the fallback where it failed', () => {
  const on510 = selectVariant(evidence, byRelease(K510.release), { prefer: ['loop', 'plain'] });
  assert.deepEqual([on510.evidence, on510.version, on510.variant], ['verified', '1.0', 'plain']);
  assert.equal(on510.trace[0]!.outcome, 'rejected');
  assert.match(on510.trace[0]!.reasons.join(' '), /failed on debian-11-5\.10 .*HELPER_NOT_SUPPORTED: helper bpf_loop/);
  const on61 = selectVariant(evidence, byRelease(K61.release), { prefer: ['loop', 'plain'] });
  assert.deepEqual([on61.evidence, on61.variant, on61.kernel?.sha256], ['verified', 'loop', kernelSha(K61)]);
  assert.equal(on61.artifact_sha256, evidence.versions[1]!.variants[0]!.artifact_sha256);
  // A known image that is not the one booted under that release is not verified.
  const otherImage = selectVariant(evidence, byRelease(K61.release, 'f'.repeat(64)), { prefer: ['loop'] });
  assert.equal(otherImage.evidence, 'none');
  assert.match(otherImage.trace[0]!.reasons.join(' '), /from another image than the host's/);
  // --version picks the older version.
  assert.deepEqual([selectVariant(evidence, byRelease(K61.release), { version: '0.9' }).version], ['0.9']);
});

test('predicted from a host profile, refused where a need or a failure cause is missing; none without a profile', () => {
  const p = profile();
  const pred = selectVariant(evidence, byProfile(p), { prefer: ['loop', 'plain'] });
  assert.deepEqual([pred.evidence, pred.variant], ['predicted', 'loop']);
  assert.match(pred.trace[0]!.reasons.join(' '), /failed on debian-11-5\.10 for helper bpf_loop, which the host has/);
  const noLoop = profile({ helpers: { tracepoint: { bpf_map_lookup_elem: 'supported', bpf_trace_printk: 'supported', bpf_get_current_pid_tgid: 'supported', bpf_loop: 'missing' } } });
  // (The factory's programs all call bpf_loop, "plain" too: without it on the host nothing is predicted.)
  const without = selectVariant(evidence, byProfile(noLoop), { prefer: ['loop', 'plain'] });
  assert.equal(without.evidence, 'none');
  assert.match(without.trace[0]!.reasons.join(' '), /failed on debian-11-5\.10 for helper bpf_loop, and helper bpf_loop for tracepoint is missing on the host/);
  assert.match(without.trace[1]!.reasons.join(' '), /helper bpf_loop for tracepoint is missing on the host/);
  const noRingbuf = selectVariant(evidence, byProfile(profile({ map_types: { array: 'supported', ringbuf: 'unsupported' } })), {});
  assert.equal(noRingbuf.evidence, 'none');
  assert.match(noRingbuf.trace.map((c) => c.reasons.join(' ')).join('\n'), /map type ringbuf is unsupported on the host/);
  const denied = selectVariant(evidence, byProfile(profile({ bpf_access: 'denied', map_types: 'unknown', program_types: 'unknown', helpers: 'unknown' })), {});
  assert.equal(denied.evidence, 'none');
  assert.match(denied.trace[0]!.reasons.join(' '), /feature probes are unknown/);
  assert.equal(selectVariant(evidence, byProfile(p), { require: 'verified' }).evidence, 'none');
  assert.equal(selectVariant(evidence, byRelease('6.8.0-1-generic'), {}).evidence, 'none');
});

test('policy: --deny-class and trusted keys filter candidates and verdicts', () => {
  const deny = selectVariant(evidence, byRelease(K61.release), { prefer: ['loop', 'plain'], denyClasses: ['HELPER_NOT_SUPPORTED'] });
  assert.deepEqual([deny.variant, deny.trace[0]!.reasons[0]], ['plain', 'denied class HELPER_NOT_SUPPORTED (on debian-11-5.10)']);
  // Only r-old and r-loop are signed: with the key trusted, 1.0 "plain" has no evidence and 5.10 falls back to 0.9.
  const trusted = selectVariant(evidence, byRelease(K510.release), { prefer: ['loop', 'plain'], trustedKeyIds: new Set([signing.keyId]) });
  assert.deepEqual([trusted.evidence, trusted.version, trusted.variant], ['verified', '0.9', 'plain']);
  assert.match(trusted.trace[1]!.reasons.join(' '), /no signed evidence/);
  const untrusted = selectVariant(evidence, byRelease(K61.release), { trustedKeyIds: new Set(['0'.repeat(64)]) });
  assert.equal(untrusted.evidence, 'none');
});

test('select CLI: exit 0 with a choice, 2 for none, 1 for bad flags; JSON carries variant, version, evidence, sha256 and trace', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'select', '--artifact-name', 'exec-counter', '--history', path, ...args], { encoding: 'utf8' });
  const ok = run('--kernel-release', K61.release, '--prefer', 'loop,plain', '--json');
  assert.equal(ok.status, 0, ok.stderr);
  const s = JSON.parse(ok.stdout);
  assert.deepEqual([s.variant, s.version, s.evidence, s.artifact_sha256.length, s.trace.length], ['loop', '1.0', 'verified', 64, 2]);
  assert.equal(run('--kernel-release', '9.9.9').status, 2);
  const trusted = run('--kernel-release', K61.release, '--trusted-key', join(dir, 'other.pub'));
  assert.equal(trusted.status, 2, 'evidence signed by no trusted key is no evidence');
  assert.equal(run('--kernel-release', K61.release, '--trusted-key', join(dir, 'k.pub'), '--version', '1.0', '--prefer', 'loop').status, 0);
  for (const [args, msg] of [
    [['--kernel-release', K61.release, '--host', join(dir, 'x')], /exactly one of --host FILE and --kernel-release R/],
    [['--kernel-release', K61.release, '--require', 'maybe'], /--require must be verified or predicted/],
    [['--host', join(dir, 'absent.json')], /--host .*absent\.json: no such file/],
    [['--kernel-release', K61.release, '--version', '3.0'], /--version 3\.0: exec-counter has no such version/],
  ] as const) {
    const r = run(...args);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});
