// Names, versions and variants are shown on terminals, in Markdown and on the site: one line of printable text.

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/** Why a label is refused ("contains the control character U+001B"), or null when it is printable text. */
export function labelProblem(s: string): string | null {
  const m = CONTROL.exec(s);
  if (!m) return null;
  return `contains the control character U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A stored label made safe for a terminal line: every control character as a visible \u{…} escape. */
export function printableLabel(s: string): string {
  return s.replace(new RegExp(CONTROL.source, 'gu'), (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
