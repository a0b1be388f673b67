import { z } from 'zod';
import { RootCause } from './report-schema.ts';

// Artifact evidence (bpfcompat.artifact-evidence.v1): every version and variant of one artifact, what each needs and
// its newest verdict per kernel, with the runs (and their signatures) the verdicts come from. The site publishes it
// (/api/v1/artifact/<name>/evidence.json) and `bpfcompat select` decides from it, whether read from a site or built
// from a history: one shape, so both sources decide alike.

export const EVIDENCE_SCHEMA = 'bpfcompat.artifact-evidence.v1';

export const KernelVerdict = z.object({
  profile_id: z.string(),
  kernel_release: z.string(),
  kernel_sha256: z.string(),
  status: z.enum(['pass', 'fail', 'infra_error']),
  classification_code: z.string().nullable(),
  root_cause: RootCause.nullable(),
  run_id: z.string(),
  result_key: z.string(),
});
export type KernelVerdict = z.infer<typeof KernelVerdict>;

/** What the variant's programs and maps use, read from its targets (program types, helper calls per type, map types). */
export const VariantNeeds = z.object({
  program_types: z.array(z.string()),
  map_types: z.array(z.string()),
  helpers: z.array(z.object({ program_type: z.string(), helper: z.string() })),
  /** the object carries .BTF.ext (CO-RE relocations may need the kernel's BTF) */
  btf_ext: z.boolean(),
});
export type VariantNeeds = z.infer<typeof VariantNeeds>;

export const VariantEvidence = z.object({
  variant: z.string().nullable(),
  artifact_sha256: z.string(),
  artifact_basename: z.string(),
  /** where the object can be fetched from besides the site's /artifacts/<sha256>.bpf.o (recorded at test time), or null */
  artifact_uri: z.string().nullable(),
  /** run id → key ids whose signature over that run holds (empty for an unsigned run) */
  runs: z.record(z.string(), z.array(z.string())),
  needs: VariantNeeds,
  kernels: z.array(KernelVerdict),
});
export type VariantEvidence = z.infer<typeof VariantEvidence>;

export const ArtifactEvidence = z.object({
  schema_version: z.literal(EVIDENCE_SCHEMA),
  name: z.string(),
  /** versions in the order they first appeared (oldest first) */
  versions: z.array(z.object({ version: z.string(), first_seen_at: z.string(), variants: z.array(VariantEvidence) })),
});
export type ArtifactEvidence = z.infer<typeof ArtifactEvidence>;
