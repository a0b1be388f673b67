import { classifyChange, compareEntry, type Change, type CompareEntry, type CompareSide } from './change.ts';
import { detailFor, type ArtifactEntry, type SiteModel, type VersionInfo } from './model.ts';
import { warningOf } from './verdict.ts';

// Version-to-version comparison of one artifact, per kernel profile (static compare pages).

export { classifyChange, type Change, type CompareSide, type CompareEntry };

export interface ComparePair {
  artifact: string;
  slug: string;
  base: VersionInfo;
  head: VersionInfo;
  /** URL segment for the pair: <base slug>--<head slug> (slugs never contain "--") */
  pairSlug: string;
}

export const pairSlug = (base: VersionInfo, head: VersionInfo): string => `${base.slug}--${head.slug}`;

/** Every consecutive version pair of every artifact, in timeline order. */
export function consecutivePairs(model: SiteModel): ComparePair[] {
  const out: ComparePair[] = [];
  for (const art of model.artifacts) {
    for (let i = 1; i < art.versions.length; i++) {
      const base = art.versions[i - 1]!;
      const head = art.versions[i]!;
      out.push({ artifact: art.name, slug: art.slug, base, head, pairSlug: pairSlug(base, head) });
    }
  }
  return out;
}

/** The per-profile entries for one version pair, from the latest detailed result of each version. */
export function compareVersions(model: SiteModel, art: ArtifactEntry, base: string, head: string): CompareEntry[] {
  const profiles = new Set<string>();
  const sides = (version: string): Map<string, CompareSide> => {
    const m = new Map<string, CompareSide>();
    for (const k of model.kernels) {
      const d = detailFor(model, art.name, version, k.profile_id);
      if (!d) continue;
      profiles.add(k.profile_id);
      m.set(k.profile_id, { status: d.target.status, classification_code: d.target.classification_code, warning_code: warningOf(d.target), kernel_release: d.target.kernel.release });
    }
    return m;
  };
  const b = sides(base);
  const h = sides(head);
  return [...profiles]
    .sort((x, y) => x.localeCompare(y, 'en', { numeric: true }))
    .map((p) => {
      return compareEntry(p, b.get(p) ?? null, h.get(p) ?? null);
    });
}

export function countChanges(entries: CompareEntry[]): Record<Change, number> {
  const out: Record<Change, number> = { added: 0, removed: 0, unchanged: 0, classification_changed: 0, improved: 0, regressed: 0, changed: 0 };
  for (const e of entries) out[e.change]++;
  return out;
}
