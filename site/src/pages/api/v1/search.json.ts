import { siteData } from '../../../lib/load.ts';
import { API_SCHEMA } from '../../../lib/api.ts';
import { searchIndex } from '../../../lib/search.ts';

export function GET(): Response {
  return Response.json({ schema: API_SCHEMA, entries: searchIndex(siteData().model, import.meta.env.BASE_URL) });
}
