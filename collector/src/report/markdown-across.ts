import type { ProgramAcross } from '../../../history/vocabulary/report-schema.ts';
import { mdCell, mdName } from './escape.ts';
import { describeRootCause } from './root-cause-text.ts';

/** "## Programs across the matrix": per failing (or attach-warned) program, where, why, and from which kernel it works. */
export function acrossSection(programs: ProgramAcross[]): string[] {
  if (programs.length === 0) return [];
  const out = ['## Programs across the matrix', '', '| Program | Fails on | Loads, attach warned on | Root cause | Works from | Remediation |', '|---|---|---|---|---|---|'];
  for (const p of programs) {
    const cause = p.root_cause ? `${p.code} — ${describeRootCause(p.root_cause)}` : (p.code ?? '');
    const works = p.works_from ? `${p.works_from.release} (${p.works_from.profile_id})` : 'no kernel in this matrix';
    out.push(`| ${[p.program, p.failing.map((f) => f.release).join(', '), (p.warned ?? []).map((w) => w.release).join(', '), cause, works, p.remediation].map(mdCell).join(' | ')} |`);
  }
  out.push('');
  for (const p of programs) {
    const cause = p.root_cause ? describeRootCause(p.root_cause) : (p.code ?? 'an unclassified failure');
    const warned = p.warned ?? [];
    const confidence = (p.failing.at(-1) ?? warned.at(-1))?.confidence;
    const where = [
      p.failing.length > 0 ? `fails on ${p.failing.map((f) => f.release).join(', ')}` : '',
      warned.length > 0 ? `loads but does not attach on ${warned.map((w) => w.release).join(', ')}` : '',
    ].filter(Boolean).join(' and ');
    const base = warned.length > 0 ? `runs fully on no kernel of this matrix (${p.failing.length + warned.length} of ${p.failing.length + warned.length + p.passing.length})` : 'fails on every kernel of this matrix';
    const nowhere = p.placeholder_target
      ? `${base}; untestable without its attach target: ${p.placeholder_target.kind} ${p.placeholder_target.name} is missing on all ${p.placeholder_target.kernels} kernels of the matrix, most likely a placeholder its loader replaces (name the real one in the manifest: programs[].attach.target)`
      : base;
    out.push(`- ${mdName(p.program)}: ${mdCell(cause)} ${mdCell(where)}${confidence ? ` (confidence ${confidence})` : ''}; ${p.works_from ? `works from ${mdCell(p.works_from.release)} in this matrix` : mdCell(nowhere)}.`);
  }
  out.push('');
  return out;
}
