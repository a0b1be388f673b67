// The static compatibility site. Everything that varies per deployment comes from the environment,
// so `bpfcompat site build` (collector/src/cli/site.ts), `npm run dev` and CI share one config:
//   BPFCOMPAT_SITE_HISTORY  the history SQLite file to render (read-only)
//   BPFCOMPAT_SITE_OUT      output directory (default site/dist)
//   BPFCOMPAT_SITE_BASE     base path for project pages, e.g. /REPO/ (default /)
import { defineConfig } from 'astro/config';
import mdx from '@astrojs/mdx';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

const root = fileURLToPath(new URL('.', import.meta.url));
const env = process.env;

/** A base path always starts and ends with '/', so BASE_URL + 'artifact/x/' is a valid link. */
function normaliseBase(base) {
  const trimmed = (base ?? '/').replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '/' : `/${trimmed}/`;
}

export default defineConfig({
  root,
  srcDir: './site/src',
  publicDir: './site/public',
  outDir: resolve(root, env.BPFCOMPAT_SITE_OUT || 'site/dist'),
  cacheDir: './site/.astro',
  base: normaliseBase(env.BPFCOMPAT_SITE_BASE),
  site: env.BPFCOMPAT_SITE_URL || undefined,
  output: 'static',
  // Every page is a directory index (artifact/x/index.html); links always end in '/'.
  trailingSlash: 'always',
  build: { format: 'directory', inlineStylesheets: 'never' },
  integrations: [mdx()],
  devToolbar: { enabled: false },
  vite: {
    // The history module opens SQLite through a native addon: load it from node_modules at build time.
    ssr: { external: ['better-sqlite3'] },
  },
});
