import { siteData } from '../../../lib/load.ts';
import { apiArtifacts } from '../../../lib/api.ts';

export function GET(): Response {
  return Response.json(apiArtifacts(siteData().model, import.meta.env.BASE_URL));
}
