import { createHash } from 'node:crypto';

// Links and slugs. Artifact names, versions and profile ids are user data: a slug keeps a readable
// ASCII prefix and adds a hash of the exact name, so two names never share a page and no slug can
// carry '/', '..', '%', quotes or markup into a URL.

const SLUG_PREFIX_MAX = 40;

/** `readable-prefix-<8 hex of sha256(name)>`; stable across builds for the same name. */
export function safeSlug(name: string): string {
  const prefix = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_PREFIX_MAX)
    .replace(/-+$/g, '');
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return prefix === '' ? hash : `${prefix}-${hash}`;
}

/** Normalises a deployment base path to '/' or '/a/b/' (what Astro's BASE_URL gives with trailingSlash 'always'). */
export function normaliseBase(base: string): string {
  const trimmed = base.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '/' : `/${trimmed}/`;
}

/**
 * Every internal link goes through here: base + path segments, each segment URL-encoded.
 * A path ending in a known file extension gets no trailing slash; a page path gets one.
 */
export function siteHref(base: string, ...segments: string[]): string {
  const b = normaliseBase(base);
  const parts = segments.flatMap((s) => s.split('/')).filter((s) => s !== '');
  if (parts.length === 0) return b;
  const last = parts[parts.length - 1]!;
  const isFile = /\.(json|svg|xml|txt|png|js|css)$/.test(last);
  return b + parts.map(encodeURIComponent).join('/') + (isFile ? '' : '/');
}

/** Route helpers: one place that knows the URL layout (docs/site-api.md documents the same). */
export const routes = {
  overview: (base: string) => siteHref(base),
  artifact: (base: string, slug: string) => siteHref(base, 'artifact', slug),
  cell: (base: string, slug: string, cellId: string) => `${siteHref(base, 'artifact', slug)}#${cellId}`,
  kernel: (base: string, slug: string) => siteHref(base, 'kernel', slug),
  kernels: (base: string) => siteHref(base, 'kernel'),
  filterKernel: (base: string, slug: string) => siteHref(base, 'filter', 'kernel', slug),
  filterClass: (base: string, code: string) => siteHref(base, 'filter', 'class', code.toLowerCase()),
  compare: (base: string, slug: string, pair: string) => siteHref(base, 'compare', slug, pair),
  comparePicker: (base: string) => siteHref(base, 'compare'),
  failureClass: (base: string, code: string) => siteHref(base, 'class', code.toLowerCase()),
  classes: (base: string) => siteHref(base, 'class'),
  run: (base: string, slug: string) => siteHref(base, 'run', slug),
  runs: (base: string) => siteHref(base, 'run'),
  search: (base: string) => siteHref(base, 'search'),
  badge: (base: string, slug: string) => siteHref(base, 'badge', `${slug}.svg`),
  api: (base: string, ...rest: string[]) => siteHref(base, 'api', 'v1', ...rest),
  asset: (base: string, file: string) => siteHref(base, file),
};
