import type { ArtifactEntry, KernelEntry, SiteModel } from './model.ts';
import { detailFor, versionShown } from './model.ts';
import { compareVersions, countChanges, type ComparePair } from './compare.ts';
import { routes } from './paths.ts';

// The static JSON API under /api/v1/ (documented in docs/site-api.md). Documents are plain data built
// from the model; bump API_SCHEMA when a field changes meaning or disappears.

export const API_SCHEMA = 'bpfcompat.site.v1';

export function apiIndex(model: SiteModel, base: string) {
  return {
    schema: API_SCHEMA,
    generated_at: model.generated_at,
    counts: { artifacts: model.artifacts.length, kernels: model.kernels.length, runs: model.runs.length },
    endpoints: {
      artifacts: routes.api(base, 'artifacts.json'),
      kernels: routes.api(base, 'kernels.json'),
      // URI templates: {slug} is an artifact slug, {base}/{head} version slugs.
      results: `${routes.api(base)}artifacts/{slug}/results.json`,
      compare: `${routes.api(base)}compare/{slug}/{base}--{head}.json`,
      search: routes.api(base, 'search.json'),
      badge: `${routes.overview(base)}badge/{slug}.svg`,
    },
  };
}

function artifactSummary(a: ArtifactEntry, base: string) {
  return {
    name: a.name,
    slug: a.slug,
    versions: a.versions.map((v) => ({ version: v.version, slug: v.slug, sha256: v.sha256, first_seen: v.first_seen, last_seen: v.last_seen, runs: v.run_ids.length })),
    latest: Object.fromEntries(
      [...a.latest.values()].map((c) => [c.profile_id, { status: c.status, state: c.shown, classification_code: c.classification_code, warning_code: c.warning_code, version: c.version, run_id: c.run_id, kernel_release: c.kernel_release }]),
    ),
    urls: { page: routes.artifact(base, a.slug), results: routes.api(base, 'artifacts', a.slug, 'results.json'), badge: routes.badge(base, a.slug) },
  };
}

export function apiArtifacts(model: SiteModel, base: string) {
  return { schema: API_SCHEMA, artifacts: model.artifacts.map((a) => artifactSummary(a, base)) };
}

function kernelDoc(k: KernelEntry, base: string) {
  return { profile_id: k.profile_id, slug: k.slug, release: k.release, builds: k.builds, btf: k.btf, accels: k.accels, url: routes.kernel(base, k.slug) };
}

export function apiKernels(model: SiteModel, base: string) {
  return { schema: API_SCHEMA, kernels: model.kernels.map((k) => kernelDoc(k, base)) };
}

/** Every version's latest result per profile: what the compare picker needs to compare ANY two versions. */
export function apiArtifactResults(model: SiteModel, a: ArtifactEntry, base: string) {
  return {
    schema: API_SCHEMA,
    artifact: artifactSummary(a, base),
    versions: a.versions.map((v) => ({
      version: v.version,
      slug: v.slug,
      placeholder_target: v.placeholder ?? null,
      results: model.kernels.flatMap((k) => {
        const d = detailFor(model, a.name, v.version, k.profile_id);
        if (!d) return [];
        const t = d.target;
        return [{
          profile_id: k.profile_id,
          status: t.status,
          // 'warn' is a pass whose best-effort attach failed ("loads, attach warned"), with its warnings
          // 'untestable': every kernel of this version misses the same attach target (a loader-set placeholder)
          state: versionShown(v, t),
          failed_stage: t.failed_stage,
          classification_code: t.classification_code,
          classification_confidence: t.classification_confidence,
          kernel_release: t.kernel.release,
          kernel_sha256: t.kernel.sha256,
          run_id: d.run_id,
          warnings: (t.warnings ?? []).map((w) => ({ program: w.program, code: w.code, confidence: w.confidence, reason: w.reason, root_cause: w.root_cause })),
          programs: t.programs.map((p) => ({ name: p.name, section: p.section, type: p.type, load: p.load, attach: p.attach, attach_code: p.attach_explanation?.code ?? null })),
        }];
      }),
    })),
  };
}

export function apiCompare(model: SiteModel, pair: ComparePair) {
  const art = model.artifactByName.get(pair.artifact)!;
  const entries = compareVersions(model, art, pair.base.version, pair.head.version);
  return { schema: API_SCHEMA, artifact: pair.artifact, base: pair.base.version, head: pair.head.version, counts: countChanges(entries), entries };
}
