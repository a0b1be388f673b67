import type { SiteModel } from './model.ts';
import { routes } from './paths.ts';
import { FAILURE_CLASSES } from './classes.ts';

// The static search index: one entry per artifact, kernel and failure class, with the words to match.
// The client script (site/src/scripts/search.ts) fetches it and filters as the user types; the search
// page lists every entry too, so it works without JavaScript.

export interface SearchEntry {
  kind: 'artifact' | 'kernel' | 'class';
  title: string;
  /** Lower-cased words the client matches against. */
  terms: string;
  /** Link, already prefixed with the base path. */
  href: string;
  detail: string;
}

export function searchIndex(model: SiteModel, base: string): SearchEntry[] {
  const out: SearchEntry[] = [];
  for (const a of model.artifacts) {
    const versions = a.versions.map((v) => v.version);
    const codes = new Set<string>();
    for (const c of a.latest.values()) if (c.classification_code && c.status !== 'pass') codes.add(c.classification_code);
    out.push({ kind: 'artifact', title: a.name, terms: [a.name, ...versions, ...codes].join(' ').toLowerCase(), href: routes.artifact(base, a.slug), detail: `${versions.length} version(s), latest ${versions[versions.length - 1] ?? '?'}` });
  }
  for (const k of model.kernels) {
    out.push({ kind: 'kernel', title: k.profile_id, terms: [k.profile_id, k.release, ...k.builds.map((b) => b.sha256.slice(0, 12))].join(' ').toLowerCase(), href: routes.kernel(base, k.slug), detail: k.release });
  }
  for (const code of FAILURE_CLASSES) {
    const n = model.classCells.get(code)?.length ?? 0;
    out.push({ kind: 'class', title: code, terms: `${code} ${code.replaceAll('_', ' ')}`.toLowerCase(), href: routes.failureClass(base, code), detail: `${n} artifact × kernel cell(s)` });
  }
  return out;
}
