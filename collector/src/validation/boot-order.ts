import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../infra/fs.ts';
import { cacheRoot } from '../infra/xdg.ts';
import type { BootItem } from './boot-plan.ts';

// Boots run N at a time; starting the longest first (LPT) keeps the last worker from running a slow boot
// alone at the end. How long a kernel takes (boot, then per job) is remembered from its last runs in the
// cache, by kernel image: newer kernels boot twice as slowly under TCG. Timing only orders work; it never
// changes what runs or what a result says.

export interface KernelTiming {
  bootMs: number;
  jobMs: number;
}
export type BootTimings = Record<string, KernelTiming>;

/** Before any measurement: a Debian 6.1 boot and one validator job under TCG. */
const DEFAULT_TIMING: KernelTiming = { bootMs: 4000, jobMs: 300 };

export function estimateBootMs(items: readonly BootItem[], timings: BootTimings): number {
  const t = timings[items[0]!.kernel.imageSha256] ?? DEFAULT_TIMING;
  return t.bootMs + items.length * t.jobMs;
}

/** Longest estimated boot first; ties keep the planned order. Pure. */
export function orderBoots(groups: readonly BootItem[][], timings: BootTimings): BootItem[][] {
  return groups
    .map((g, i) => ({ g, i, ms: estimateBootMs(g, timings) }))
    .sort((a, b) => b.ms - a.ms || a.i - b.i)
    .map((x) => x.g);
}

const file = (cacheDir: string | undefined) => join(cacheDir ?? cacheRoot(), 'boot-timings.json');

/** Best effort: a missing or unreadable file means no measurements yet. */
export function loadBootTimings(cacheDir?: string): BootTimings {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file(cacheDir), 'utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as BootTimings) : {};
  } catch {
    return {};
  }
}

export async function saveBootTimings(timings: BootTimings, cacheDir?: string): Promise<void> {
  try {
    await writeFileAtomic(file(cacheDir), JSON.stringify(timings) + '\n');
  } catch {
    // ordering is an optimisation: a read-only cache must not fail a run
  }
}
