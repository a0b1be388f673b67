import { z } from 'zod';

// The host profile (`bpfcompat probe`): what a target host's kernel offers for BPF, read-only. One zod schema is the
// source of its type, its parser (select --host) and its published JSON Schema (docs/schema/host-profile.schema.json).
// Anything the probe could not read or was not allowed to try is the string "unknown", never a guess.

export const HOST_PROFILE_SCHEMA = 'bpfcompat.host-profile.v1';

const Unknown = z.literal('unknown');

/** A map or program type: the validator's probe vocabulary (only "unsupported" says the kernel lacks it). */
export const TypeStatus = z.enum(['supported', 'unsupported', 'permission_denied', 'inconclusive']);
/** A helper for one program type: "missing" (the kernel has no such helper), "unsupported_for_type" (it has, not for this type). */
export const HelperStatus = z.enum(['supported', 'missing', 'unsupported_for_type', 'inconclusive']);

export const HostProfile = z.strictObject({
  schema_version: z.literal(HOST_PROFILE_SCHEMA),
  generated_at: z.string().describe('ISO 8601 time of the probe'),
  kernel: z.strictObject({
    release: z.string().describe('uname -r'),
    version: z.string().describe('uname -v'),
    arch: z.string().describe('uname -m'),
    image: z.union([z.strictObject({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }), Unknown])
      .describe("sha256 of the booted kernel image (/boot/vmlinuz-<release>) when readable: the identity bpfcompat's history keys kernels by"),
  }),
  btf: z.strictObject({ available: z.boolean().describe('/sys/kernel/btf/vmlinux exists'), size: z.number().int().nonnegative().optional() }),
  config: z.union([
    z.strictObject({
      source: z.string().describe('/proc/config.gz or /boot/config-<release>'),
      sha256: z.string().regex(/^[0-9a-f]{64}$/).describe('of the whole (uncompressed) config text'),
      options: z.record(z.string(), z.string()).describe('the BPF-relevant options (BPF, BTF, tracing, cgroups, networking hooks, LSM, lockdown) that are set'),
    }),
    Unknown,
  ]),
  lockdown: z.union([z.enum(['none', 'integrity', 'confidentiality']), Unknown]).describe('/sys/kernel/security/lockdown'),
  unprivileged_bpf_disabled: z.union([z.number().int().nonnegative(), Unknown]).describe('/proc/sys/kernel/unprivileged_bpf_disabled'),
  bpf_access: z.enum(['granted', 'denied', 'no_bpf_syscall', 'unknown']).describe('whether the probing process could use bpf(); "denied": the feature probes below are "unknown"'),
  map_types: z.union([z.record(z.string(), TypeStatus), Unknown]).describe('libbpf map type name → probe status'),
  program_types: z.union([z.record(z.string(), TypeStatus), Unknown]).describe('libbpf program type name → probe status'),
  helpers: z.union([z.record(z.string(), z.record(z.string(), HelperStatus)), Unknown]).describe('program type → helper name (bpf_…) → probe status'),
  probe: z.strictObject({
    tool: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    libbpf_version: z.string(),
    uid: z.number().int().describe('the user the probe ran as'),
  }),
});
export type HostProfile = z.infer<typeof HostProfile>;

/** The probe binary's own output (validator/tools/host-probe.c, bpfcompat.host-probe.v1). */
export const HostProbeOutput = z.object({
  schema_version: z.literal('bpfcompat.host-probe.v1'),
  libbpf_version: z.string(),
  kernel_release: z.string(),
  kernel_version: z.string(),
  machine: z.string(),
  kernel_btf: z.object({ available: z.boolean(), size: z.number().int().nonnegative().optional() }),
  lockdown: z.string(),
  unprivileged_bpf_disabled: z.union([z.number().int(), Unknown]),
  bpf_access: z.enum(['granted', 'denied', 'no_bpf_syscall']),
  map_types: z.union([z.record(z.string(), TypeStatus), Unknown]),
  program_types: z.union([z.record(z.string(), TypeStatus), Unknown]),
  helpers: z.union([z.record(z.string(), z.record(z.string(), HelperStatus)), Unknown]),
});
export type HostProbeOutput = z.infer<typeof HostProbeOutput>;
