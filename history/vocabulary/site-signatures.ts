import { z } from 'zod';

// The site's signed manifest (site build --sign-key): api/v1/signatures.json lists the sha256 of every API JSON file
// and published object with the signing key; api/v1/signatures.json.sig is the key's Ed25519 signature over the
// manifest's exact bytes. Written by site/publish.ts, checked by collector/src/runtime/site-source.ts.

export const SITE_SIGNATURES_SCHEMA = 'bpfcompat.site-signatures.v1';
export const SITE_SIGNATURES_PATH = 'api/v1/signatures.json';

export const SiteSignatures = z.object({
  schema: z.literal(SITE_SIGNATURES_SCHEMA),
  key_id: z.string().regex(/^[0-9a-f]{64}$/),
  public_key: z.string(),
  generated_at: z.string(),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
});
export type SiteSignatures = z.infer<typeof SiteSignatures>;
