import type { KernelEntry, LatestCell, SiteModel } from './model.ts';

// The kernel page: what the kernel is (release, source package, sha256, BTF, accel) and which
// artifacts pass and fail on it at their latest verdict.

export interface KernelPageData {
  kernel: KernelEntry;
  pass: { artifact: string; slug: string; cell: LatestCell }[];
  /** load, but their best-effort attach failed */
  warn: { artifact: string; slug: string; cell: LatestCell }[];
  fail: { artifact: string; slug: string; cell: LatestCell }[];
  infra: { artifact: string; slug: string; cell: LatestCell }[];
}

export function kernelPageData(model: SiteModel, kernel: KernelEntry): KernelPageData {
  const out: KernelPageData = { kernel, pass: [], warn: [], fail: [], infra: [] };
  for (const art of model.artifacts) {
    const cell = art.latest.get(kernel.profile_id);
    if (!cell) continue;
    const entry = { artifact: art.name, slug: art.slug, cell };
    if (cell.shown === 'pass') out.pass.push(entry);
    else if (cell.shown === 'warn') out.warn.push(entry);
    else if (cell.status === 'fail') out.fail.push(entry);
    else out.infra.push(entry);
  }
  return out;
}

/** The source fields worth showing, as label/value strings (the source record is free-form per origin). */
export function sourceFields(source: Record<string, unknown>): { key: string; value: string }[] {
  return Object.entries(source)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([key, v]) => ({ key, value: String(v) }));
}
