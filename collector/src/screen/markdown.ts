import type { ScreenReport } from '../../../history/vocabulary/screen-schema.ts';
import { mdCell as mdEscape } from '../report/escape.ts';

// The screen as Markdown. Every artifact-derived string (program names, sections, type names from BTF) is escaped.

const ICON = { pass: 'predicted pass', fail: 'predicted fail', unknown: 'unknown' } as const;

export function renderScreenMarkdown(r: ScreenReport): string {
  const out: string[] = [];
  out.push(`# Screen (predicted, not booted): ${mdEscape(r.artifact.basename)}`, '');
  out.push(`Predictions read from each kernel's BTF, config and System.map without booting it. They are not verdicts: boot with \`bpfcompat test\` to verify.`, '');
  out.push(`${r.summary.targets} kernels: ${r.summary.pass} predicted pass, ${r.summary.fail} predicted fail, ${r.summary.unknown} unknown.`, '');
  for (const n of r.object.notes) out.push(`- ${mdEscape(n)}`);
  if (r.object.notes.length) out.push('');
  out.push('| kernel | prediction | code | reason |', '|---|---|---|---|');
  for (const t of r.targets) {
    out.push(`| ${mdEscape(t.profile_id)} | ${ICON[t.prediction]} | ${t.classification_code ?? ''} | ${mdEscape(t.reason)} |`);
  }
  if (r.groups) {
    out.push('', '## Groups (identical facts for this object: boot one of each)', '', '| representative | prediction | kernels |', '|---|---|---|');
    for (const g of r.groups) out.push(`| ${mdEscape(g.representative)} | ${ICON[g.prediction]} | ${g.members.length} |`);
  }
  return out.join('\n') + '\n';
}
