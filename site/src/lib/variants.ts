import type { ArtifactEvidence } from '../../../history/vocabulary/evidence-schema.ts';

// The artifact page's "Variants" table: for each version with more than one variant (or any named variant), each
// variant's verdict per kernel side by side. Plain data; the component renders it.

export interface VariantsTable {
  version: string;
  variants: { variant: string; sha256: string; signed: boolean }[];
  kernels: { profile_id: string; release: string; kernel_sha256: string; cells: { status: string; code: string | null; cause: string | null }[] }[];
}

export function variantsTables(e: ArtifactEvidence | undefined): VariantsTable[] {
  if (!e) return [];
  const out: VariantsTable[] = [];
  for (const v of [...e.versions].reverse()) {
    if (v.variants.length < 2 && v.variants.every((x) => x.variant === null)) continue;
    const profiles = new Map<string, { release: string; sha: string }>();
    for (const x of v.variants) for (const k of x.kernels) if (!profiles.has(k.profile_id)) profiles.set(k.profile_id, { release: k.kernel_release, sha: k.kernel_sha256 });
    out.push({
      version: v.version,
      variants: v.variants.map((x) => ({ variant: x.variant ?? '(none)', sha256: x.artifact_sha256, signed: Object.values(x.runs).some((keys) => keys.length > 0) })),
      kernels: [...profiles.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([profile_id, k]) => ({
        profile_id, release: k.release, kernel_sha256: k.sha,
        cells: v.variants.map((x) => {
          const verdict = x.kernels.find((kk) => kk.profile_id === profile_id);
          return verdict
            ? { status: verdict.status, code: verdict.classification_code, cause: verdict.root_cause ? `${verdict.root_cause.kind} ${verdict.root_cause.name}` : null }
            : { status: 'not run', code: null, cause: null };
        }),
      })),
    });
  }
  return out;
}
