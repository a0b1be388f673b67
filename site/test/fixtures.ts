import type { Report, TargetReport, ProgramReport } from '../../history/vocabulary/report-schema.ts';
import { openHistory, resultKey } from '../../history/src/index.ts';
import { sha256Hex } from '../../history/vocabulary/hash.ts';

// Fixture histories for the site tests and the bench, written through the real history API: the
// collector's report shapes (full TargetReport JSON) appended with History.appendRun.

export interface FixtureKernel {
  profile_id: string;
  release: string;
  suite: string;
  btf: boolean;
}

export const FIXTURE_KERNELS: FixtureKernel[] = [
  { profile_id: 'debian-11-5.10', release: '5.10.0-35-cloud-amd64', suite: 'bullseye', btf: true },
  { profile_id: 'debian-12-6.1', release: '6.1.0-37-cloud-amd64', suite: 'bookworm', btf: true },
  { profile_id: 'debian-13-6.12', release: '6.12.38+deb13-cloud-amd64', suite: 'trixie', btf: true },
  { profile_id: 'debian-13-bpo-6.16', release: '6.16.3+deb13-cloud-amd64', suite: 'trixie-backports', btf: true },
  { profile_id: 'debian-sid-7.0', release: '7.0.1-1-cloud-amd64', suite: 'sid', btf: true },
];

export interface ProgramSpec {
  name: string;
  section: string;
  type: string;
}

/** What one target should look like; the builder fills the rest of the report shape consistently. */
export interface OutcomeSpec {
  status: 'pass' | 'fail' | 'infra_error';
  code?: string;
  /** program index that fails (default 0) */
  failing?: number;
  stage?: 'load' | 'attach';
  verifierLog?: string;
  reason?: string;
  remediation?: string;
  rootCause?: TargetReport['root_cause'];
  reusedFrom?: string;
  /** a pass whose best-effort attach of program `failing` failed: "loads, attach warned" */
  warn?: { code: string; reason: string };
}

export interface RunSpec {
  id: string;
  startedAt: string;
  artifact: string;
  version: string;
  programs: ProgramSpec[];
  kernels: FixtureKernel[];
  outcome: (k: FixtureKernel) => OutcomeSpec;
}

export const kernelSha = (k: FixtureKernel): string => sha256Hex(`kernel:${k.release}`);
const VALIDATOR_SHA = sha256Hex('validator:site-fixture');

function program(p: ProgramSpec, o: OutcomeSpec, failing: boolean): ProgramReport {
  const failLoad = failing && o.status === 'fail' && (o.stage ?? 'load') === 'load';
  const failAttach = failing && o.status === 'fail' && o.stage === 'attach';
  const warned = failing && o.status === 'pass' && o.warn !== undefined;
  return {
    name: p.name, section: p.section, type: p.type,
    load: o.status === 'infra_error' ? 'skipped' : failLoad ? 'fail' : 'pass',
    attach: o.status === 'infra_error' || failLoad ? 'skipped' : failAttach ? 'fail' : warned ? 'warn' : 'pass',
    ...(warned ? { attach_explanation: { code: o.warn!.code, confidence: 'high' as const, reason: o.warn!.reason, remediation: 'make the attach optional or choose a target every kernel has', root_cause: { kind: 'attach_target', name: p.section.split('/')[1] ?? '', type: 'kprobe', program: p.name } } } : {}),
    attach_method: 'bpf_program__attach', attach_target: p.section.split('/').slice(1).join('/'), attach_reason: failAttach ? (o.reason ?? 'attach failed') : '',
    errno: failLoad || failAttach ? 22 : warned ? 2 : 0, error: failLoad || failAttach ? 'Invalid argument' : warned ? 'No such file or directory' : '',
    verifier_log_tail: failLoad ? (o.verifierLog ?? '') : '', helpers: [1, 14],
  };
}

export function makeTarget(spec: RunSpec, artifactSha: string, k: FixtureKernel): TargetReport {
  const o = spec.outcome(k);
  const failing = o.failing ?? 0;
  const programs = o.status === 'infra_error' ? [] : spec.programs.map((p, i) => program(p, o, i === failing));
  const code = o.status === 'pass' ? null : (o.code ?? (o.status === 'infra_error' ? 'INFRA_ERROR' : 'UNKNOWN'));
  const loadFailed = programs.some((p) => p.load === 'fail');
  return {
    profile_id: k.profile_id, required: !k.suite.startsWith('sid'), status: o.status,
    failed_stage: o.status === 'pass' ? null : o.status === 'infra_error' ? 'infra' : (o.stage ?? 'load'),
    result_key: resultKey({ artifact: artifactSha, kernel: kernelSha(k), validator: VALIDATOR_SHA, manifest: null, mode: 'load_attach' }),
    reused: o.reusedFrom !== undefined, reused_from_run: o.reusedFrom ?? null,
    kernel: { release: k.release, sha256: kernelSha(k), source: { kind: 'debian', suite: k.suite, package: `linux-image-${k.release}`, version: k.release.split('-')[0], deb_sha256: sha256Hex(`deb:${k.release}`) } },
    vm: { accel: 'tcg', boot_ms: 2900, duration_ms: 3400 },
    btf: { kernel_btf_available: k.btf, artifact_has_btf: true, artifact_has_btf_ext: true },
    validation: {
      load_status: o.status === 'infra_error' ? 'skipped' : loadFailed ? 'fail' : 'pass', load_error_code: loadFailed ? -22 : 0, load_error: loadFailed ? 'Invalid argument' : '',
      attach_mode: 'best-effort', attach_status: programs.some((p) => p.attach === 'fail') ? 'fail' : programs.some((p) => p.attach === 'warn') ? 'warn' : programs.length ? 'pass' : 'skipped',
      attach_attempted: programs.length, attach_passed: programs.filter((p) => p.attach === 'pass').length, attach_failed: programs.filter((p) => p.attach === 'fail').length,
    },
    programs,
    maps: [{ name: 'events', type: 'ringbuf', max_entries: 262144 }],
    functional: { status: 'skipped', tests: [] },
    classification_code: code,
    classification_confidence: code === null ? null : 'high',
    classification_reason: o.reason ?? (code === null ? '' : `${code} on ${k.release}`),
    remediation: o.remediation ?? '',
    root_cause: o.rootCause ?? null,
    warnings: programs.flatMap((p) => (p.attach === 'warn' && p.attach_explanation ? [{ program: p.name, section: p.section, ...p.attach_explanation }] : [])),
    infra_error: o.status === 'infra_error' ? 'guest did not answer within 120 s' : null,
    console_tail: `[    0.000000] Linux version ${k.release}`,
    started_at: spec.startedAt, finished_at: spec.startedAt, duration_ms: 3400, notes: [],
    evidence: { console_log: null, validator_result: null },
  };
}

export function makeReport(spec: RunSpec): Report {
  const artifactSha = sha256Hex(`artifact:${spec.artifact}@${spec.version}`);
  const targets = spec.kernels.map((k) => makeTarget(spec, artifactSha, k));
  const n = (s: string) => targets.filter((t) => t.status === s).length;
  const reqFailed = targets.filter((t) => t.required && t.status !== 'pass').length;
  return {
    schema_version: 'bpfcompat.report.v1',
    tool: { name: 'bpfcompat', version: '0.1.0' },
    run: { id: spec.id, started_at: spec.startedAt, finished_at: spec.startedAt, duration_ms: 3400 * targets.length, accel: 'tcg', jobs: 2, git: { revision: 'a'.repeat(40), describe: spec.version }, ci: null },
    mode: 'artifact',
    artifact: { name: spec.artifact, version: spec.version, variant: null, identity: `sha256:${artifactSha}`, path: `build/${spec.programs[0]?.name ?? 'x'}.bpf.o`, basename: 'prog.bpf.o', sha256: artifactSha, size_bytes: 18432 },
    command: null,
    validator: { basename: 'bpfcompat-validator', sha256: VALIDATOR_SHA, size_bytes: 1_200_000 },
    manifest: null,
    validation_mode: 'load_attach',
    matrix: { path: 'matrices/debian.yaml', name: 'debian', profiles: spec.kernels.map((k) => k.profile_id) },
    targets,
    summary: {
      status: n('infra_error') ? 'error' : reqFailed ? 'fail' : 'pass', exit_code: n('infra_error') ? 1 : reqFailed ? 2 : 0,
      total: targets.length, passed: n('pass'), failed: n('fail'), infra_errors: n('infra_error'),
      required_passed: targets.filter((t) => t.required && t.status === 'pass').length, required_failed: reqFailed,
      reused: targets.filter((t) => t.reused).length, notes: [],
    },
    paths: { json: 'report.json', markdown: null, junit: null },
  };
}

const VERIFIER_LOG = Array.from({ length: 60 }, (_, i) => `${i}: (85) call bpf_probe_read_kernel#113`).join('\n') +
  '\nR1 type=inv expected=fp, pkt, pkt_meta, map_key, map_value\nprocessed 61 insns (limit 1000000) max_states_per_insn 0 total_states 3 peak_states 3 mark_read 1';

export const XSS = {
  script: '<script>window.__pwned=1</script>',
  img: '"><img src=x onerror="window.__pwned=2">',
  svg: "'><svg onload=window.__pwned=3>",
};

export interface FixtureInfo {
  artifacts: string[];
  regression: { artifact: string; base: string; head: string; profile: string };
}

const day = (n: number): string => new Date(Date.UTC(2025, 0, 1 + n, 3, 0, 0)).toISOString();

/** The small fixture: 3 artifacts, 5 Debian kernels, 2–3 versions each, one regression, a verifier log, a reused run. */
export function fixtureRuns(opts: { xss?: boolean } = {}): RunSpec[] {
  const x = opts.xss === true;
  const K = FIXTURE_KERNELS;
  const old = K[0]!.profile_id;
  const xdp = x ? `xdp-counter${XSS.script}` : 'xdp-counter';
  const xdpProgs = [{ name: x ? `count_packets${XSS.img}` : 'count_packets', section: x ? `xdp${XSS.svg}` : 'xdp', type: 'xdp' }];
  const lsm = 'lsm-guard';
  const lsmProgs = [
    { name: 'guard_exec', section: 'lsm/bprm_check_security', type: 'lsm' },
    { name: 'guard_open', section: 'lsm/file_open', type: 'lsm' },
  ];
  const tc = x ? `tc-shaper${XSS.img}` : 'tc-shaper';
  const tcProgs = [{ name: 'shape_egress', section: 'tc', type: 'sched_cls' }];
  const log = x ? `${VERIFIER_LOG}\n${XSS.script}\n${XSS.img}` : VERIFIER_LOG;
  const pass = (): OutcomeSpec => ({ status: 'pass' });
  const kprobeProgs = [{ name: 'watch_open', section: 'kprobe/do_sys_openat3', type: 'kprobe' }];
  return [
    { id: 'run-0001', startedAt: day(0), artifact: xdp, version: 'v1.0.0', programs: xdpProgs, kernels: K, outcome: pass },
    { id: 'run-0002', startedAt: day(1), artifact: lsm, version: x ? `v0.9${XSS.svg}` : 'v0.9.0', programs: lsmProgs, kernels: K,
      outcome: (k) => (k.profile_id === old ? { status: 'fail', code: 'UNSUPPORTED_PROGRAM_TYPE', remediation: 'BPF LSM needs CONFIG_BPF_LSM and lsm=bpf on the command line', rootCause: { kind: 'program_type', name: 'lsm' } } : { status: 'fail', stage: 'attach', failing: 1, code: 'POLICY_DENIED', reason: 'bpf not in the active LSM list' }) },
    { id: 'run-0003', startedAt: day(2), artifact: tc, version: 'v2.0.0', programs: tcProgs, kernels: K,
      outcome: (k) => (k.profile_id === old ? { status: 'fail', code: 'MISSING_BTF', rootCause: { kind: 'btf', name: 'vmlinux' } } : k.suite === 'sid' ? { status: 'infra_error' } : pass()) },
    // The regression: v1.1.0 is rejected by the 5.10 verifier.
    { id: 'run-0004', startedAt: day(3), artifact: xdp, version: x ? `v1.1.0${XSS.script}` : 'v1.1.0', programs: xdpProgs, kernels: K,
      outcome: (k) => (k.profile_id === old ? { status: 'fail', code: 'VERIFIER_REJECTION', verifierLog: log, reason: 'R1 type=inv expected=fp', remediation: 'initialise the stack buffer before passing it to bpf_probe_read_kernel', rootCause: { kind: 'helper', name: 'bpf_probe_read_kernel', id: 113 } } : pass()) },
    { id: 'run-0005', startedAt: day(4), artifact: lsm, version: 'v1.0.0', programs: lsmProgs, kernels: K,
      outcome: (k) => (k.profile_id === old ? { status: 'fail', code: 'UNSUPPORTED_PROGRAM_TYPE', verifierLog: log } : pass()) },
    { id: 'run-0006', startedAt: day(5), artifact: tc, version: 'v2.1.0', programs: tcProgs, kernels: K,
      outcome: (k) => (k.profile_id === old ? { status: 'fail', code: 'CORE_RELOCATION_FAILURE', rootCause: { kind: 'core_relo', name: 'sk_buff', field: 'tstamp_type' } } : pass()) },
    { id: 'run-0007', startedAt: day(6), artifact: xdp, version: 'v1.2.0', programs: xdpProgs, kernels: K, outcome: pass },
    // A re-run with unchanged inputs: every result reused from run-0007.
    { id: 'run-0008', startedAt: day(7), artifact: xdp, version: 'v1.2.0', programs: xdpProgs, kernels: K, outcome: () => ({ status: 'pass', reusedFrom: 'run-0007' }) },
    // kprobe-watch v1.1.0 loads everywhere but its kprobe target is gone on the two oldest kernels: attach warned.
    { id: 'run-0009', startedAt: day(8), artifact: 'kprobe-watch', version: 'v1.0.0', programs: kprobeProgs, kernels: K, outcome: pass },
    { id: 'run-0010', startedAt: day(9), artifact: 'kprobe-watch', version: 'v1.1.0', programs: kprobeProgs, kernels: K,
      outcome: (k) => (k === K[0] || k === K[1] ? { status: 'pass', warn: { code: 'ATTACH_TARGET_MISSING', reason: 'kprobe do_sys_openat3 does not exist in this kernel' } } : pass()) },
  ];
}

/** One artifact whose fentry names a placeholder its loader replaces: missing on every kernel, so untestable alone. */
export function placeholderRuns(): RunSpec[] {
  return [
    { id: 'run-0001', startedAt: day(0), artifact: 'file-reader', version: 'v0.1.0', programs: [{ name: 'file_read_entry', section: 'fentry/dummy_file_read', type: 'tracing' }], kernels: FIXTURE_KERNELS,
      outcome: () => ({ status: 'fail', code: 'ATTACH_TARGET_MISSING', reason: 'program file_read_entry targets function dummy_file_read, which this kernel\'s BTF does not have', rootCause: { kind: 'attach_target', name: 'dummy_file_read', type: 'function', program: 'file_read_entry' } }) },
  ];
}

/** Writes the fixture history (or the given runs) at `path` through openHistory/appendRun. */
export function writeFixtureHistory(path: string, opts: { xss?: boolean; runs?: RunSpec[] } = {}): FixtureInfo {
  const runs = opts.runs ?? fixtureRuns(opts);
  const h = openHistory(path);
  try {
    for (const spec of runs) h.appendRun(makeReport(spec), spec.outcome(FIXTURE_KERNELS[0]!).verifierLog ? { [`${FIXTURE_KERNELS[0]!.profile_id}#verifier`]: spec.outcome(FIXTURE_KERNELS[0]!).verifierLog! } : {});
  } finally {
    h.close();
  }
  const names = [...new Set(runs.map((r) => r.artifact))];
  const xdp = runs[0]!.artifact;
  return { artifacts: names, regression: { artifact: xdp, base: runs[0]!.version, head: (runs[3] ?? runs[0]!).version, profile: FIXTURE_KERNELS[0]!.profile_id } };
}
