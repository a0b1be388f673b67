// Debian control-file stanzas (Packages, Release): "Field: value" lines, continuation lines start
// with a space, stanzas are separated by blank lines ('#' lines are comments, as in our testdata). Field names are case-insensitive per policy;
// we keep the spelling the archive uses, which is consistent.

export type Stanza = Record<string, string>;

export function parseStanza(text: string): Stanza {
  const out: Stanza = {};
  let last: string | null = null;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== null) {
      out[last] += '\n' + line.slice(1);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon);
    out[last] = line.slice(colon + 1).trim();
  }
  return out;
}

/** All stanzas of a Packages-style text. */
export function parseStanzas(text: string): Stanza[] {
  return text
    .split(/\n[ \t]*\n/)
    .filter((s) => s.trim() !== '')
    .map(parseStanza);
}
