import { siteData } from '../../../lib/load.ts';
import { apiKernels } from '../../../lib/api.ts';

export function GET(): Response {
  return Response.json(apiKernels(siteData().model, import.meta.env.BASE_URL));
}
