import type { APIContext } from 'astro';
import { siteData } from '../../../../../lib/load.ts';
import type { ArtifactEntry } from '../../../../../lib/model.ts';

// bpfcompat.artifact-evidence.v1: every version's variants, what each uses and its verdict per kernel (release and
// image sha256), with the runs and the keys that signed them. bpfcompat select --site reads it.

export function getStaticPaths() {
  return siteData().model.artifacts.map((a) => ({ params: { slug: a.slug }, props: { artifact: a } }));
}

export function GET({ props }: APIContext): Response {
  const { artifact } = props as { artifact: ArtifactEntry };
  return Response.json(siteData().evidence.get(artifact.name) ?? { schema_version: 'bpfcompat.artifact-evidence.v1', name: artifact.name, versions: [] });
}
