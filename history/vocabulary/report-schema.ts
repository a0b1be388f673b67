import { z } from 'zod';

// The report JSON (schema_version bpfcompat.report.v1). Keeps the reference vocabulary
// (profile_id, status, failed_stage, classification_*, validation.*, btf, functional) and types the rest.
// The JSON Schema shipped in docs/ is generated from this file.

export const TargetStatus = z.enum(['pass', 'fail', 'infra_error']);
export const FailedStage = z.enum(['load', 'attach', 'validation', 'functional', 'command', 'transport', 'infra']);
export const Confidence = z.enum(['high', 'medium', 'low']);
// 'command': command mode (no validator run); it is also the result key's mode field there.
export const ValidationMode = z.enum(['load_only', 'load_attach', 'behavior', 'default', 'command']);

export const KernelRef = z.object({
  release: z.string(),
  sha256: z.string(),
  /** Where the kernel came from: debian suite/package/version/url and the .deb's sha256, a .deb, or a file. */
  source: z.record(z.string(), z.unknown()),
});


/** What exactly failed: kind is helper | kfunc | map_type | map | program_type | attach_type | attach_target |
 *  core_relocation | btf | license | verifier | complexity | policy | capability | runtime_target.
 *  A `map` cause names the map, its type, and the attribute the kernel refused (`field`, `value`) or the errno. */
export const RootCause = z.object({
  kind: z.string(),
  name: z.string(),
  id: z.number().int().optional(),
  type: z.string().optional(),
  field: z.string().optional(),
  value: z.union([z.number(), z.string()]).optional(),
  program: z.string().optional(),
});

/** Why something did not work, with the same vocabulary a failed target uses (a warned attach carries it too). */
export const Explanation = z.object({
  code: z.string(),
  confidence: Confidence,
  reason: z.string(),
  remediation: z.string(),
  root_cause: RootCause.nullable(),
});

/** A best-effort attach that failed while the target passed: the program loads, but does not attach here. */
export const AttachWarning = Explanation.extend({ program: z.string(), section: z.string() });

export const ProgramReport = z.object({
  name: z.string(),
  section: z.string(),
  type: z.string(),
  load: z.enum(['pass', 'fail', 'skipped']),
  attach: z.enum(['pass', 'fail', 'warn', 'skipped']),
  attach_method: z.string(),
  attach_target: z.string(),
  attach_reason: z.string(),
  errno: z.number().int(),
  error: z.string(),
  verifier_log_tail: z.string(),
  helpers: z.array(z.number().int()),
  /** why the attach failed or was warned (absent from older reports; null when it attached or was not attempted) */
  attach_explanation: Explanation.nullable().optional(),
  /** the BPF object of an OCI image this program came from (absent for a plain .bpf.o) */
  object: z.string().optional(),
});

/**
 * A change made to the object before load: from the manifest (max_entries, value_size, attach_target, …) or chosen
 * by bpfcompat itself (automatic: auto_max_entries, auto_value_size, …) so a reviewer sees who chose a size.
 */
export const Fixup = z.object({
  kind: z.string(),
  target: z.string(),
  status: z.string(),
  detail: z.string(),
  automatic: z.boolean(),
});

/** One program across the matrix: where it fails, why, and the first kernel (in matrix order) from which it works. */
export const ProgramAcross = z.object({
  /** program name, or "(object)" when a target failed without a failing program */
  program: z.string(),
  failing: z.array(z.object({
    profile_id: z.string(),
    release: z.string(),
    code: z.string().nullable(),
    confidence: Confidence.nullable(),
    root_cause: RootCause.nullable(),
  })),
  /** kernels where the program loads but its best-effort attach failed (absent from older reports) */
  warned: z.array(z.object({
    profile_id: z.string(),
    release: z.string(),
    code: z.string(),
    confidence: Confidence,
    root_cause: RootCause.nullable(),
  })).optional(),
  passing: z.array(z.string()),
  /** first profile after the last failure or attach warning; null when the newest kernel of the matrix fails or warns */
  works_from: z.object({ profile_id: z.string(), release: z.string() }).nullable(),
  /** code and root cause on the last failing kernel (the boundary) */
  code: z.string().nullable(),
  root_cause: RootCause.nullable(),
  remediation: z.string(),
  /**
   * The program's attach target is missing on every kernel of the matrix (two or more): most likely a placeholder its
   * loader replaces at run time (bpf_program__set_attach_target). Untestable alone until the manifest names the real
   * target (programs[].attach.target). Absent otherwise.
   */
  placeholder_target: z.object({ name: z.string(), kind: z.string(), kernels: z.number().int() }).optional(),
});

export const TargetReport = z.object({
  profile_id: z.string(),
  required: z.boolean(),
  status: TargetStatus,
  failed_stage: FailedStage.nullable(),
  /** sha256(artifact, kernel, validator, manifest, mode) in canonical JSON. */
  result_key: z.string(),
  reused: z.boolean(),
  reused_from_run: z.string().nullable(),
  kernel: KernelRef,
  // arch is present only for non-x86_64 guests (arm64 by emulation), so x86_64 reports are unchanged.
  vm: z.object({
    accel: z.enum(['kvm', 'tcg', 'none']),
    boot_ms: z.number().int(),
    duration_ms: z.number().int(),
    arch: z.enum(['x86_64', 'arm64']).optional(),
    /** the -cpu model QEMU was given ("host" under KVM and on a remote host); absent from older reports */
    cpu: z.string().optional(),
    memory_mb: z.number().int().optional(),
    cpus: z.number().int().optional(),
  }),
  btf: z.object({ kernel_btf_available: z.boolean(), artifact_has_btf: z.boolean(), artifact_has_btf_ext: z.boolean() }),
  validation: z.object({
    load_status: z.enum(['pass', 'fail', 'skipped']),
    load_error_code: z.number().int(),
    load_error: z.string(),
    attach_mode: z.enum(['disabled', 'best-effort', 'required']),
    attach_status: z.enum(['pass', 'fail', 'warn', 'skipped']),
    attach_attempted: z.number().int(),
    attach_passed: z.number().int(),
    attach_failed: z.number().int(),
  }),
  programs: z.array(ProgramReport),
  maps: z.array(z.object({ name: z.string(), type: z.string(), max_entries: z.number().int() })),
  /** what was changed before load, by the manifest or automatically (absent from older reports) */
  fixups: z.array(Fixup).optional(),
  functional: z.object({ status: z.enum(['pass', 'fail', 'warn', 'skipped']), tests: z.array(z.record(z.string(), z.unknown())) }),
  classification_code: z.string().nullable(),
  classification_confidence: Confidence.nullable(),
  classification_reason: z.string(),
  remediation: z.string(),
  root_cause: RootCause.nullable(),
  /** attaches that failed in best-effort mode on a passing target, each explained (absent from older reports) */
  warnings: z.array(AttachWarning).optional(),
  infra_error: z.string().nullable(),
  console_tail: z.string(),
  started_at: z.string(),
  finished_at: z.string(),
  duration_ms: z.number().int(),
  notes: z.array(z.string()),
  evidence: z.object({ console_log: z.string().nullable(), validator_result: z.string().nullable() }),
});

export const Report = z.object({
  schema_version: z.literal('bpfcompat.report.v1'),
  tool: z.object({ name: z.literal('bpfcompat'), version: z.string() }),
  run: z.object({
    id: z.string(),
    started_at: z.string(),
    finished_at: z.string(),
    duration_ms: z.number().int(),
    accel: z.enum(['kvm', 'tcg', 'none']),
    jobs: z.number().int(),
    git: z.object({ revision: z.string(), describe: z.string() }).nullable(),
    ci: z.record(z.string(), z.string()).nullable(),
  }),
  mode: z.enum(['artifact', 'command']),
  artifact: z.object({
    name: z.string(),
    version: z.string(),
    variant: z.string().nullable(),
    /** sha256:<hex> for objects, command://<name> in command mode */
    identity: z.string(),
    path: z.string(),
    basename: z.string(),
    sha256: z.string(),
    size_bytes: z.number().int(),
    /** where the artifact is published (--artifact-uri, or the OCI reference it was pulled from; fetch follows an http(s) one); absent from older reports */
    uri: z.string().nullable().optional(),
  }),
  command: z.object({
    invocation_sha256: z.string(),
    expected_exit_code: z.number().int(),
    binary: z.object({ basename: z.string(), sha256: z.string(), size_bytes: z.number().int() }).nullable(),
  }).nullable(),
  validator: z.object({ basename: z.string(), sha256: z.string(), size_bytes: z.number().int() }),
  // Present only when the matrix has a guest CPU other than x86_64 (so x86_64 reports are unchanged): the guest
  // binary each CPU ran (the validator, or command mode's harness). `validator` is then the first profile's CPU's.
  validators: z.array(z.object({ arch: z.enum(['x86_64', 'arm64']), basename: z.string(), sha256: z.string(), size_bytes: z.number().int() })).optional(),
  manifest: z.object({ path: z.string(), sha256: z.string() }).nullable(),
  validation_mode: ValidationMode,
  matrix: z.object({ path: z.string(), name: z.string(), profiles: z.array(z.string()) }),
  targets: z.array(TargetReport),
  summary: z.object({
    status: z.enum(['pass', 'fail', 'error']),
    exit_code: z.number().int(),
    total: z.number().int(),
    passed: z.number().int(),
    failed: z.number().int(),
    infra_errors: z.number().int(),
    required_passed: z.number().int(),
    required_failed: z.number().int(),
    /** targets that pass with attach warnings (absent from older reports) */
    warned: z.number().int().optional(),
    reused: z.number().int(),
    notes: z.array(z.string()),
  }),
  paths: z.object({ json: z.string(), markdown: z.string().nullable(), junit: z.string().nullable() }),
  /** per failing program, across the matrix (additive; absent from older reports) */
  programs_across: z.array(ProgramAcross).optional(),
});

export type Report = z.infer<typeof Report>;
export type TargetReport = z.infer<typeof TargetReport>;
export type ProgramReport = z.infer<typeof ProgramReport>;
export type RootCause = z.infer<typeof RootCause>;
export type ProgramAcross = z.infer<typeof ProgramAcross>;
export type Explanation = z.infer<typeof Explanation>;
export type Fixup = z.infer<typeof Fixup>;
export type AttachWarning = z.infer<typeof AttachWarning>;
