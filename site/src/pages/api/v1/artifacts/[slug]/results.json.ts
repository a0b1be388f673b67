import type { APIContext } from 'astro';
import { siteData } from '../../../../../lib/load.ts';
import { apiArtifactResults } from '../../../../../lib/api.ts';
import type { ArtifactEntry } from '../../../../../lib/model.ts';

export function getStaticPaths() {
  return siteData().model.artifacts.map((a) => ({ params: { slug: a.slug }, props: { artifact: a } }));
}

export function GET({ props }: APIContext): Response {
  return Response.json(apiArtifactResults(siteData().model, (props as { artifact: ArtifactEntry }).artifact, import.meta.env.BASE_URL));
}
