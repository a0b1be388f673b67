import type { APIContext } from 'astro';
import { siteData } from '../../../../../lib/load.ts';
import { apiCompare } from '../../../../../lib/api.ts';
import { consecutivePairs, type ComparePair } from '../../../../../lib/compare.ts';

export function getStaticPaths() {
  return consecutivePairs(siteData().model).map((p) => ({ params: { slug: p.slug, pair: p.pairSlug }, props: { pair: p } }));
}

export function GET({ props }: APIContext): Response {
  return Response.json(apiCompare(siteData().model, (props as { pair: ComparePair }).pair));
}
