import { z } from 'zod';

// The JSON the in-guest validator prints (schema_version bpfcompat.validator.v1).
// This zod schema is the single source of truth for that contract; validator/src/*.c writes it.

export const ProbeStatus = z.enum(['supported', 'unsupported', 'permission_denied', 'inconclusive', 'probe_error', 'unknown']);

const Probe = z.object({ status: ProbeStatus, errno: z.number().int().default(0) });

export const AttachStatus = z.enum(['pass', 'fail', 'warn', 'skipped']);

// Root-cause probes (validator/src/rootcause.c): what each program needs and whether the running kernel has it.
// All default to "not probed", so results of older validators still parse.
export const HelperProbe = z.object({
  id: z.number().int(),
  name: z.string().default(''),
  /** missing: the id is unknown to this kernel; unsupported_for_type: known but not allowed for the program type */
  status: z.enum(['supported', 'missing', 'unsupported_for_type', 'gpl_only', 'inconclusive']),
});

export const KfuncProbe = z.object({
  name: z.string(),
  /** declared __weak: the program guards it with bpf_ksym_exists() */
  weak: z.boolean().default(false),
  status: z.enum(['present', 'missing', 'inconclusive']),
});

export const CoreReloProbe = z.object({
  /** libbpf relocation kind: field_byte_offset, field_exists, type_exists, enumval_value, … */
  kind: z.string(),
  /** local root type name (may carry a ___flavour suffix) */
  type: z.string(),
  /** member path "a.b[2]" or, for enum relocations, the enumerator */
  field: z.string().default(''),
  access: z.string().default(''),
  /** an *_exists / type_matches relocation: a miss is how the program detects the feature, not a failure */
  guard: z.boolean().default(false),
  status: z.enum(['present', 'missing', 'no_kernel_btf', 'inconclusive']),
});

export const AttachTypeProbe = z.object({
  status: z.enum(['', 'supported', 'unsupported', 'inconclusive']),
  errno: z.number().int().default(0),
});

/** Whether the kernel's BTF names a type in enum bpf_map_type / bpf_prog_type / bpf_attach_type (validator/src/enums.c):
 *  "missing" is the kernel not knowing the type at all; "" when nothing was refused, so nothing was looked up. */
export const KernelEnumStatus = z.enum(['', 'present', 'missing', 'inconclusive']);

export const AttachTargetProbe = z.object({
  /** kprobe | tracepoint | raw_tracepoint | btf_tracepoint | function | lsm_hook, or "" when the section names none */
  kind: z.string(),
  name: z.string(),
  status: z.enum(['', 'present', 'missing', 'inconclusive']),
});

export const ProgramEvidence = z.object({
  name: z.string(),
  section: z.string(),
  /** libbpf program type name, e.g. "kprobe", "xdp", "tracing" */
  type: z.string(),
  /** libbpf expected attach type name, e.g. "trace_fentry", "cgroup_inet_ingress", or "" */
  expected_attach_type: z.string().default(''),
  /** Helper ids called by the program's instructions (BPF_CALL with src_reg 0). */
  helpers: z.array(z.number().int()).default([]),
  insn_count: z.number().int().default(0),
  /** Isolated trial load: only this program autoloaded. */
  trial_load: z.object({
    status: z.enum(['pass', 'fail', 'skipped']),
    errno: z.number().int().default(0),
    error: z.string().default(''),
    verifier_log_tail: z.string().default(''),
    /** the last instruction the verifier reached before it refused (-1: none named) */
    rejected_insn_idx: z.number().int().default(-1),
    rejected_insn: z.string().default(''),
    /** the verifier's message right after that instruction */
    verifier_reason: z.string().default(''),
  }),
  /** Outcome in the whole-object load. */
  load: z.object({ status: z.enum(['pass', 'fail', 'skipped']), errno: z.number().int().default(0) }),
  attach: z.object({
    status: AttachStatus,
    /** auto | xdp | tc | tcx | cgroup | lsm | none */
    method: z.string().default('none'),
    target: z.string().default(''),
    errno: z.number().int().default(0),
    error: z.string().default(''),
    /** why the attach was skipped, when it was */
    reason: z.string().default(''),
  }),
  required: z.boolean().default(false),
  helper_probes: z.array(HelperProbe).default([]),
  kfuncs: z.array(KfuncProbe).default([]),
  core_relos: z.array(CoreReloProbe).default([]),
  attach_type_probe: AttachTypeProbe.default({ status: '', errno: 0 }),
  attach_type_in_kernel: KernelEnumStatus.default(''),
  prog_type_in_kernel: KernelEnumStatus.default(''),
  attach_target: AttachTargetProbe.default({ kind: '', name: '', status: '' }),
});

export const MapEvidence = z.object({
  name: z.string(),
  type: z.string(),
  type_id: z.number().int(),
  key_size: z.number().int(),
  value_size: z.number().int(),
  max_entries: z.number().int(),
  /** errno is what libbpf logged for the refusal ("failed to create: -ENOMEM"), 0 when it named none */
  create: z.object({ status: z.enum(['pass', 'fail', 'skipped']), errno: z.number().int().default(0) }).default({ status: 'skipped', errno: 0 }),
  type_in_kernel: KernelEnumStatus.default(''),
  /** the attribute the kernel refused: re-created alone with only this zero size changed, the map was accepted */
  refused_field: z.enum(['', 'key_size', 'value_size', 'max_entries', 'map_flags']).default(''),
  refused_value: z.number().int().default(0),
});

/** A change bpfcompat made to the object before load: from the manifest, or automatic (kind auto_*). */
export const FixupEvidence = z.object({
  kind: z.string(),
  target: z.string(),
  status: z.string(),
  detail: z.string().default(''),
  /** absent from older validators, whose automatic fixups are the auto_* kinds (see isAutomatic) */
  automatic: z.boolean().default(false),
});

export const isAutomatic = (f: { kind: string; automatic: boolean }): boolean => f.automatic || f.kind.startsWith('auto_');

export const FunctionalTestResult = z.object({
  name: z.string(),
  required: z.boolean(),
  status: z.enum(['pass', 'fail', 'skipped']),
  command: z.string(),
  timeout_seconds: z.number(),
  expected_exit_code: z.number().int(),
  exit_code: z.number().int(),
  timed_out: z.boolean(),
  stdout_tail: z.string(),
  stderr_tail: z.string(),
  error: z.string().default(''),
});

export const ValidatorResult = z.object({
  schema_version: z.literal('bpfcompat.validator.v1'),
  validator_version: z.string(),
  libbpf_version: z.string(),
  kernel: z.object({ release: z.string(), version: z.string(), machine: z.string() }),
  btf: z.object({
    kernel_btf_available: z.boolean(),
    kernel_btf_size: z.number().int().default(0),
    artifact_has_btf: z.boolean(),
    artifact_has_btf_ext: z.boolean(),
  }),
  probes: z.object({
    map_types: z.record(z.string(), Probe),
    program_types: z.record(z.string(), Probe),
    /** environment facts: tracefs, cgroup2, lsm list, lockdown, … */
    environment: z.record(z.string(), z.string()).default({}),
  }),
  object: z.object({
    open_status: z.enum(['pass', 'fail']),
    open_errno: z.number().int().default(0),
    open_error: z.string().default(''),
    license: z.string().default(''),
    /** by the kernel's license_is_gpl_compatible() list; absent from older validators */
    license_gpl_compatible: z.boolean().optional(),
  }),
  programs: z.array(ProgramEvidence),
  maps: z.array(MapEvidence),
  fixups: z.array(FixupEvidence).default([]),
  variants: z.array(z.object({ group: z.string(), chosen: z.string(), disabled: z.array(z.string()) })).default([]),
  load: z.object({ status: z.enum(['pass', 'fail']), errno: z.number().int().default(0), error: z.string().default('') }),
  attach: z.object({
    mode: z.enum(['disabled', 'best-effort', 'required']),
    status: AttachStatus,
    attempted: z.number().int(),
    passed: z.number().int(),
    failed: z.number().int(),
  }),
  functional: z.object({ status: z.enum(['pass', 'fail', 'warn', 'skipped']), tests: z.array(FunctionalTestResult) }),
  /** Tail of everything libbpf printed (up to 64 KiB). */
  libbpf_log: z.string().default(''),
  status: z.enum(['pass', 'fail']),
  duration_ms: z.number().int(),
});

export type ValidatorResult = z.infer<typeof ValidatorResult>;
export type ProgramEvidence = z.infer<typeof ProgramEvidence>;
