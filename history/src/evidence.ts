import { EVIDENCE_SCHEMA, type ArtifactEvidence, type KernelVerdict, type VariantEvidence } from '../vocabulary/evidence-schema.ts';
import { helperName } from '../vocabulary/helpers.ts';
import type { RootCause } from '../vocabulary/report-schema.ts';
import type { History } from './history.ts';

// An artifact's evidence (vocabulary/evidence-schema.ts) from a history: per version and variant, the newest verdict
// per profile over the runs of that exact object, what its programs and maps use, and who signed those runs.

interface TargetJson {
  programs?: { type?: string; helpers?: number[] }[];
  maps?: { type?: string }[];
  root_cause?: RootCause | null;
  btf?: { artifact_has_btf_ext?: boolean };
  artifact_uri?: string;
}

/** Evidence of one artifact name, or null when the history has no run of it. */
export function artifactEvidence(h: History, name: string): ArtifactEvidence | null {
  const versions = h.artifactVersions(name);
  if (versions.length === 0) return null;
  const runs = h.listRuns({ artifactName: name, limit: 1_000_000 }); // newest first
  const signatures = h.goodSignatures();
  const out: ArtifactEvidence = { schema_version: EVIDENCE_SCHEMA, name, versions: [] };
  for (const v of versions) {
    let entry = out.versions.find((e) => e.version === v.version);
    if (!entry) out.versions.push((entry = { version: v.version, first_seen_at: v.first_seen_at, variants: [] }));
    const ofVariant = runs.filter((r) => r.artifact_version === v.version && r.artifact_variant === v.variant && r.artifact_sha256 === v.artifact_sha256 && r.mode === 'artifact');
    if (ofVariant.length === 0) continue;
    const kernels = new Map<string, KernelVerdict>();
    const usedRuns = new Set<string>();
    const programTypes = new Set<string>();
    const mapTypes = new Set<string>();
    const helpers = new Map<string, { program_type: string; helper: string }>();
    let btfExt = false;
    const uri = ofVariant.find((r) => r.artifact_uri !== null)?.artifact_uri ?? null;
    let basename = '';
    for (const run of ofVariant) {
      const detail = h.getRun(run.id);
      if (!detail) continue;
      basename ||= detail.artifact_identity.startsWith('sha256:') ? `${v.artifact_sha256.slice(0, 12)}.bpf.o` : detail.artifact_identity;
      for (const m of detail.members) {
        const seen = kernels.get(m.profile_id);
        // Newest verdict per profile; an infra error never hides a verdict from an older run.
        if (seen && !(seen.status === 'infra_error' && m.status !== 'infra_error')) continue;
        const t = (h.getTarget(run.id, m.profile_id) ?? {}) as TargetJson;
        kernels.set(m.profile_id, {
          profile_id: m.profile_id, kernel_release: m.kernel_release, kernel_sha256: m.kernel_sha256, status: m.status,
          classification_code: m.classification_code, root_cause: t.root_cause ?? null, run_id: run.id, result_key: m.result_key,
        });
        usedRuns.add(run.id);
        for (const p of t.programs ?? []) {
          if (!p.type) continue;
          programTypes.add(p.type);
          for (const id of p.helpers ?? []) {
            const helper = helperName(id) ?? `helper#${id}`;
            helpers.set(`${p.type}:${helper}`, { program_type: p.type, helper });
          }
        }
        for (const mp of t.maps ?? []) if (mp.type) mapTypes.add(mp.type);
        btfExt ||= t.btf?.artifact_has_btf_ext === true;
      }
    }
    const variant: VariantEvidence = {
      variant: v.variant, artifact_sha256: v.artifact_sha256, artifact_basename: basename, artifact_uri: uri,
      runs: Object.fromEntries([...usedRuns].sort().map((id) => [id, signatures.get(id) ?? []])),
      needs: {
        program_types: [...programTypes].sort(), map_types: [...mapTypes].sort(),
        helpers: [...helpers.values()].sort((a, b) => `${a.program_type}:${a.helper}`.localeCompare(`${b.program_type}:${b.helper}`)),
        btf_ext: btfExt,
      },
      kernels: [...kernels.values()].sort((a, b) => a.profile_id.localeCompare(b.profile_id)),
    };
    if (!entry.variants.some((x) => x.artifact_sha256 === variant.artifact_sha256 && x.variant === variant.variant)) entry.variants.push(variant);
  }
  out.versions = out.versions.filter((e) => e.variants.length > 0);
  return out;
}
