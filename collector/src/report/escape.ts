/** Makes an artifact-derived string safe inside a Markdown table cell (and inert as HTML when rendered). */
export function mdCell(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/`/g, "'")
    .replace(/[\r\n]+/g, ' ')
    .replace(/([\\*_[\]#!])/g, '\\$1');
}

/** A name, version or program name in Markdown: escaped, and isolated so right-to-left text cannot reorder the line. */
export function mdName(s: string): string {
  return `<bdi>${mdCell(s)}</bdi>`;
}

/** Text for a fenced code block: a fence longer than any backtick run inside, so content cannot close it. */
export function mdFence(text: string, info = 'text'): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${info}\n${text.replace(/\n$/, '')}\n${fence}`;
}

export function xmlEscape(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
