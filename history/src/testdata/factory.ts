import { resultKey, sha256Hex } from '../hash.ts';
import type { RunInput, Status, TargetInput } from '../types.ts';

// Synthetic but realistic runs (shape of a collector report) for tests, site fixtures and the bench.

export interface KernelSpec {
  profile_id: string;
  release: string;
  /** defaults to the hash of the release */
  sha256?: string;
  required?: boolean;
}

export const DEBIAN_KERNELS: readonly KernelSpec[] = [
  { profile_id: 'debian-11-5.10', release: '5.10.0-35-cloud-amd64' },
  { profile_id: 'debian-12-6.1', release: '6.1.0-37-cloud-amd64' },
  { profile_id: 'debian-13-6.12', release: '6.12.38+deb13-cloud-amd64' },
  { profile_id: 'debian-13-bpo-6.16', release: '6.16.3+deb13-cloud-amd64' },
  { profile_id: 'debian-sid-7.0', release: '7.0.1-1-cloud-amd64', required: false },
];

export interface TargetSpec {
  status?: Status;
  classification_code?: string | null;
  reused_from_run?: string | null;
}

export interface RunSpec {
  id: string;
  name?: string;
  version?: string;
  variant?: string | null;
  /** content seed of the artifact bytes: same seed = same artifact sha */
  artifactSeed?: string;
  startedAt?: string;
  kernels?: readonly KernelSpec[];
  /** per profile_id overrides */
  targets?: Readonly<Record<string, TargetSpec>>;
  validatorSeed?: string;
  manifest?: string | null;
  validationMode?: string;
}

export function kernelSha(k: KernelSpec): string {
  return k.sha256 ?? sha256Hex(`kernel:${k.release}`);
}

export function makeTarget(run: { artifactSha: string; validatorSha: string; manifestSha: string | null; mode: string; startedAt: string }, k: KernelSpec, spec: TargetSpec = {}): TargetInput {
  const status = spec.status ?? 'pass';
  const code = spec.classification_code !== undefined ? spec.classification_code : status === 'pass' ? null : status === 'fail' ? 'HELPER_NOT_SUPPORTED' : 'INFRA_BOOT_TIMEOUT';
  const key = resultKey({ artifact: run.artifactSha, kernel: kernelSha(k), validator: run.validatorSha, manifest: run.manifestSha, mode: run.mode });
  const reusedFrom = spec.reused_from_run ?? null;
  const target = {
    profile_id: k.profile_id,
    required: k.required ?? true,
    status,
    failed_stage: status === 'pass' ? null : status === 'fail' ? 'load' : 'infra',
    result_key: key,
    reused: reusedFrom !== null,
    reused_from_run: reusedFrom,
    kernel: { release: k.release, sha256: kernelSha(k), source: { kind: 'debian', suite: 'bookworm', package: `linux-image-${k.release}` } },
    vm: { accel: 'tcg', boot_ms: 2900, duration_ms: 3400 },
    btf: { kernel_btf_available: !k.release.startsWith('4.'), artifact_has_btf: true, artifact_has_btf_ext: true },
    validation: {
      load_status: status === 'pass' ? 'pass' : 'fail', load_error_code: status === 'pass' ? 0 : -22, load_error: status === 'pass' ? '' : 'Invalid argument',
      attach_mode: 'best-effort', attach_status: status === 'pass' ? 'pass' : 'skipped', attach_attempted: 1, attach_passed: status === 'pass' ? 1 : 0, attach_failed: 0,
    },
    programs: [{
      name: 'handle_exec', section: 'tracepoint/sched/sched_process_exec', type: 'tracepoint', load: status === 'pass' ? 'pass' : 'fail',
      attach: status === 'pass' ? 'pass' : 'skipped', attach_method: 'bpf_program__attach', attach_target: 'sched/sched_process_exec', attach_reason: '',
      errno: status === 'pass' ? 0 : 22, error: '', verifier_log_tail: status === 'fail' ? 'invalid func unknown#181\nprocessed 12 insns' : '', helpers: [1, 6, 14, 181],
    }],
    maps: [{ name: 'events', type: 'ringbuf', max_entries: 262144 }],
    functional: { status: 'skipped', tests: [] },
    classification_code: code,
    classification_confidence: code === null ? null : 'high',
    classification_reason: code === null ? '' : `synthetic ${code}`,
    remediation: '',
    root_cause: code === 'HELPER_NOT_SUPPORTED' ? { kind: 'helper', name: 'bpf_loop', id: 181 } : null,
    infra_error: status === 'infra_error' ? 'guest did not answer within 120 s' : null,
    console_tail: '[    0.000000] Linux version ' + k.release,
    started_at: run.startedAt,
    finished_at: run.startedAt,
    duration_ms: 3400,
    notes: [],
    evidence: { console_log: null, validator_result: null },
  };
  return target;
}

/** A run with one target per kernel; every field a report has that history reads. */
export function makeRun(spec: RunSpec): RunInput {
  const name = spec.name ?? 'execsnoop';
  const version = spec.version ?? 'v1';
  const artifactSha = sha256Hex(`artifact:${spec.artifactSeed ?? `${name}@${version}`}`);
  const validatorSha = sha256Hex(`validator:${spec.validatorSeed ?? '1'}`);
  const manifestContent = spec.manifest === undefined ? null : spec.manifest;
  const manifestSha = manifestContent === null ? null : sha256Hex(manifestContent);
  const mode = spec.validationMode ?? 'load_attach';
  const startedAt = spec.startedAt ?? '2025-01-01T00:00:00.000Z';
  const kernels = spec.kernels ?? DEBIAN_KERNELS;
  const targets = kernels.map((k) => makeTarget({ artifactSha, validatorSha, manifestSha, mode, startedAt }, k, spec.targets?.[k.profile_id]));
  const count = (s: Status) => targets.filter((t) => t.status === s).length;
  const required = targets.filter((t) => t.required);
  const requiredFailed = required.filter((t) => t.status !== 'pass').length;
  return {
    tool: { version: '0.1.0' },
    run: { id: spec.id, started_at: startedAt, finished_at: startedAt, duration_ms: 4000, accel: 'tcg', git: { revision: 'a'.repeat(40), describe: version }, ci: { provider: 'github', run_id: '42' } },
    mode: 'artifact',
    artifact: { name, version, variant: spec.variant ?? null, identity: `sha256:${artifactSha}`, basename: `${name}.bpf.o`, sha256: artifactSha, size_bytes: 18_432 },
    validator: { basename: 'bpfcompat-validator', sha256: validatorSha, size_bytes: 1_200_000 },
    manifest: manifestSha === null ? null : { sha256: manifestSha, content: manifestContent! },
    validation_mode: mode,
    matrix: { path: 'matrices/debian.yaml', name: 'debian' },
    targets,
    summary: {
      status: count('infra_error') > 0 ? 'error' : requiredFailed > 0 ? 'fail' : 'pass',
      exit_code: count('infra_error') > 0 ? 1 : requiredFailed > 0 ? 2 : 0,
      total: targets.length, passed: count('pass'), failed: count('fail'), infra_errors: count('infra_error'),
      required_passed: required.length - requiredFailed, required_failed: requiredFailed,
      reused: targets.filter((t) => t.reused).length,
    },
  };
}
