import { z } from 'zod';
import { CLASSIFICATION_CODES } from './codes.ts';
import { RootCause } from './report-schema.ts';

// bpfcompat.screen.v1: what the static screen predicts from a kernel's BTF, System.map and config without booting
// it. Its own schema, never a report: every document says evidence "predicted", and nothing here is a verdict.

export const SCREEN_SCHEMA = 'bpfcompat.screen.v1';

export const Prediction = z.enum(['pass', 'fail', 'unknown']);
export type Prediction = z.infer<typeof Prediction>;

/** One fact behind a prediction: which check, what it found, and whether it decides anything. */
export const ScreenEvidence = z.object({
  check: z.enum(['btf', 'core', 'helper', 'kfunc', 'ksym', 'kconfig', 'attach_target', 'map_type', 'prog_type', 'attach_type', 'license', 'verifier']),
  status: z.enum(['ok', 'missing', 'incompatible', 'poisoned', 'absent', 'error', 'unchecked', 'undecidable']),
  detail: z.string(),
  /** the kernel module the name was found in (absent: vmlinux) */
  module: z.string().optional(),
});
export type ScreenEvidence = z.infer<typeof ScreenEvidence>;

export const ScreenProgram = z.object({
  name: z.string(),
  section: z.string(),
  prediction: Prediction,
  classification_code: z.enum(CLASSIFICATION_CODES).nullable(),
  root_cause: RootCause.nullable(),
  reason: z.string(),
  evidence: z.array(ScreenEvidence),
});
export type ScreenProgram = z.infer<typeof ScreenProgram>;

export const ScreenTarget = z.object({
  profile_id: z.string(),
  kernel: z.object({
    release: z.string().nullable(),
    image_sha256: z.string().nullable(),
    btf_path: z.string().nullable(),
    btf_sha256: z.string().nullable(),
    /** the modules whose split BTF was screened with vmlinux's: those holding a name this object looks up */
    modules: z.array(z.string()).optional(),
    /** the modules the boot loads into its guest on this kernel (absent: not a matrix kernel) */
    boot_modules: z.array(z.string()).optional(),
  }),
  prediction: Prediction,
  classification_code: z.enum(CLASSIFICATION_CODES).nullable(),
  root_cause: RootCause.nullable(),
  reason: z.string(),
  /** sha256 of the facts of this kernel that matter to this object: equal fingerprints, equal predictions. */
  fingerprint: z.string(),
  programs: z.array(ScreenProgram),
});
export type ScreenTarget = z.infer<typeof ScreenTarget>;

export const ScreenGroup = z.object({ fingerprint: z.string(), prediction: Prediction, representative: z.string(), members: z.array(z.string()) });
export type ScreenGroup = z.infer<typeof ScreenGroup>;

export const ScreenReport = z.object({
  schema: z.literal(SCREEN_SCHEMA),
  evidence: z.literal('predicted'),
  generated_at: z.string(),
  artifact: z.object({ path: z.string(), basename: z.string(), sha256: z.string() }),
  validator: z.object({ sha256: z.string() }),
  manifest: z.object({ path: z.string(), sha256: z.string() }).nullable(),
  source: z.union([
    z.object({ kind: z.literal('matrix'), path: z.string(), name: z.string() }),
    z.object({ kind: z.literal('btf'), paths: z.array(z.string()) }),
  ]),
  object: z.object({ has_btf_ext: z.boolean(), core_relocations: z.number().int(), notes: z.array(z.string()) }),
  summary: z.object({ targets: z.number().int(), pass: z.number().int(), fail: z.number().int(), unknown: z.number().int(), duration_ms: z.number() }),
  targets: z.array(ScreenTarget),
  groups: z.array(ScreenGroup).nullable(),
});
export type ScreenReport = z.infer<typeof ScreenReport>;
