import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

// The link check: every internal href/src in every built HTML page resolves to a built file.

export interface BrokenLink {
  page: string;
  url: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    const st = await stat(path);
    return st.isFile() || (st.isDirectory() && (await stat(join(path, 'index.html'))).isFile());
  } catch {
    return false;
  }
}

export async function checkLinks(dir: string, base: string): Promise<{ pages: number; links: number; broken: BrokenLink[] }> {
  const htmlFiles = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.html'));
  const broken: BrokenLink[] = [];
  let links = 0;
  const checked = new Map<string, boolean>();
  for (const rel of htmlFiles) {
    const html = await readFile(join(dir, rel), 'utf8');
    const pageUrl = new URL(`http://site${base}${rel.replace(/index\.html$/, '')}`);
    for (const m of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
      const raw = m[1]!.replaceAll('&amp;', '&');
      const url = new URL(raw, pageUrl);
      if (url.host !== 'site') continue; // external
      links++;
      if (!url.pathname.startsWith(base)) {
        broken.push({ page: rel, url: raw });
        continue;
      }
      const target = join(dir, decodeURIComponent(url.pathname.slice(base.length)));
      let ok = checked.get(target);
      if (ok === undefined) checked.set(target, (ok = await exists(target)));
      if (!ok) broken.push({ page: rel, url: raw });
    }
  }
  return { pages: htmlFiles.length, links, broken };
}
