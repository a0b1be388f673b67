import type { ProgramAcross } from '../../../history/vocabulary/report-schema.ts';
import { mdCell } from './escape.ts';
import { describeRootCause } from './root-cause-text.ts';

/** "## Programs across the matrix": per failing program, where it fails, why, and from which kernel it works. */
export function acrossSection(programs: ProgramAcross[]): string[] {
  if (programs.length === 0) return [];
  const out = ['## Programs across the matrix', '', '| Program | Fails on | Root cause | Works from | Remediation |', '|---|---|---|---|---|'];
  for (const p of programs) {
    const cause = p.root_cause ? `${p.code} — ${describeRootCause(p.root_cause)}` : (p.code ?? '');
    const works = p.works_from ? `${p.works_from.release} (${p.works_from.profile_id})` : 'no kernel in this matrix';
    out.push(`| ${[p.program, p.failing.map((f) => f.release).join(', '), cause, works, p.remediation].map(mdCell).join(' | ')} |`);
  }
  out.push('');
  for (const p of programs) {
    const where = p.failing.map((f) => f.release).join(', ');
    const cause = p.root_cause ? describeRootCause(p.root_cause) : (p.code ?? 'an unclassified failure');
    const confidence = p.failing.at(-1)?.confidence;
    out.push(`- ${mdCell(p.program)}: ${mdCell(cause)} fails on ${mdCell(where)}${confidence ? ` (confidence ${confidence})` : ''}; ${p.works_from ? `works from ${mdCell(p.works_from.release)} in this matrix` : 'fails on every kernel of this matrix'}.`);
  }
  out.push('');
  return out;
}
