import type { APIContext } from 'astro';
import { siteData } from '../../lib/load.ts';
import { artifactBadge } from '../../lib/badge.ts';
import type { ArtifactEntry } from '../../lib/model.ts';

export function getStaticPaths() {
  return siteData().model.artifacts.map((a) => ({ params: { slug: a.slug }, props: { artifact: a } }));
}

export function GET({ props }: APIContext): Response {
  return new Response(artifactBadge((props as { artifact: ArtifactEntry }).artifact), { headers: { 'Content-Type': 'image/svg+xml' } });
}
