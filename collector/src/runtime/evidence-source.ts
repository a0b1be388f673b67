import { existsSync } from 'node:fs';
import { artifactEvidence, openHistory } from '../../../history/src/index.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { ArtifactEvidence } from '../../../history/vocabulary/evidence-schema.ts';
import type { TrustedKey } from '../../../history/vocabulary/signing.ts';
import { SiteReader } from './site-source.ts';

// Where select and fetch read an artifact's evidence: a history file (signatures per run, checked as verify does)
// or a published site (its evidence.json, checked against the site's signed manifest when keys are trusted).

export interface EvidenceSource {
  kind: 'history' | 'site';
  location: string;
  evidence: ArtifactEvidence;
  /** the site, for fetching objects (null for a history) */
  site: SiteReader | null;
}

export function evidenceFromHistory(path: string, name: string): EvidenceSource {
  if (!existsSync(path)) throw new BpfcompatError('FILE_NOT_FOUND', `--history ${path}: no such file`, { hint: 'pass the history written by bpfcompat test|suite' });
  const h = openHistory(path, { readonly: true });
  try {
    const evidence = artifactEvidence(h, name);
    if (!evidence) throw new BpfcompatError('USAGE', `--artifact-name ${name}: no run of it in ${path}`, { hint: "list artifacts with 'bpfcompat history list'" });
    return { kind: 'history', location: path, evidence, site: null };
  } finally {
    h.close();
  }
}

export async function evidenceFromSite(location: string, name: string, trusted: readonly TrustedKey[]): Promise<EvidenceSource> {
  const site = new SiteReader(location, trusted);
  const index = (await site.json('api/v1/artifacts.json')) as { artifacts?: { name?: string; slug?: string }[] };
  const entry = index.artifacts?.find((a) => a.name === name);
  if (!entry?.slug) throw new BpfcompatError('USAGE', `--artifact-name ${name}: not on the site ${location}`, { hint: 'names are listed in api/v1/artifacts.json' });
  const path = `api/v1/artifacts/${entry.slug}/evidence.json`;
  const parsed = ArtifactEvidence.safeParse(await site.json(path));
  if (!parsed.success) throw new BpfcompatError('INTEGRITY', `--site ${location}: ${path} is not artifact evidence (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`, { hint: 'rebuild the site with this bpfcompat' });
  return { kind: 'site', location, evidence: parsed.data, site };
}
