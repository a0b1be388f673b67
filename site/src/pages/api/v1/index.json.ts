import { siteData } from '../../../lib/load.ts';
import { apiIndex } from '../../../lib/api.ts';

export function GET(): Response {
  return Response.json(apiIndex(siteData().model, import.meta.env.BASE_URL));
}
