import type { RootCause } from './report-schema.ts';

/**
 * The attach target missing on every one of these kernels (two or more), the same name everywhere: the sign of a
 * placeholder its loader replaces at run time (fentry/dummy_file_read), not of a function these kernels lack. Each
 * entry is one kernel's ATTACH_TARGET_MISSING root cause, or null when that kernel says something else. The report's
 * programs_across and the site's "untestable without its attach target" both read it from here.
 */
export function missingEverywhere(causes: Array<RootCause | null | undefined>): { name: string; kind: string; kernels: number; program?: string } | undefined {
  const first = causes[0];
  if (causes.length < 2 || !first || first.kind !== 'attach_target') return undefined;
  if (!causes.every((c) => c?.kind === 'attach_target' && c.name === first.name)) return undefined;
  return { name: first.name, kind: first.type ?? 'function', kernels: causes.length, ...(first.program !== undefined ? { program: first.program } : {}) };
}
