import type { ArtifactEntry } from './model.ts';

// A shields-style SVG badge per artifact for READMEs: "<kernels passing>/<kernels tested>".
// The only text in it is built from numbers and fixed words, and it is escaped anyway.

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

// Verdana 11px average advance; good enough to size the boxes without a font at build time.
const textWidth = (s: string): number => Math.round([...s].length * 6.5 + 10);

export function badgeSvg(label: string, message: string, color: string): string {
  const lw = textWidth(label);
  const mw = textWidth(message);
  const w = lw + mw;
  const l = escapeXml(label);
  const m = escapeXml(message);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${l}: ${m}"><title>${l}: ${m}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${color}"/><rect width="${w}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"><text x="${lw / 2}" y="14">${l}</text><text x="${lw + mw / 2}" y="14">${m}</text></g></svg>`;
}

export function artifactBadge(art: ArtifactEntry): string {
  let pass = 0;
  let warned = 0;
  let untestable = 0;
  let verdicts = 0;
  for (const c of art.latest.values()) {
    if (c.status === 'infra_error') continue;
    verdicts++;
    if (c.shown === 'pass') pass++;
    if (c.shown === 'warn') warned++;
    if (c.shown === 'untestable') untestable++;
  }
  // every kernel misses the same attach target: not a verdict on the object (its loader sets the target)
  if (verdicts > 0 && untestable === verdicts) return badgeSvg('bpfcompat', 'untestable without its attach target', '#9f9f9f');
  // A warned cell loads but does not attach: never counted as a clean pass, never green.
  const color = verdicts === 0 ? '#9f9f9f' : pass === verdicts ? '#2e7d32' : pass + warned === 0 ? '#c62828' : '#ef6c00';
  const message = verdicts === 0 ? 'no verdict' : `${pass}/${verdicts} kernels${warned > 0 ? `, ${warned} attach warned` : ''}`;
  return badgeSvg('bpfcompat', message, color);
}
