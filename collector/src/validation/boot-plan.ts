import type { Profile } from '../config/matrix.ts';
import type { ResolvedKernel } from '../kernels/types.ts';

// Which (case, profile) pairs share a boot: pure. Pairs whose kernel image and VM shape are the same run
// in one guest, in the order the cases were given.

export interface BootItem {
  /** Index of the case and of the profile within the case's matrix. */
  ci: number;
  pi: number;
  /** profile/case, for progress lines. */
  label: string;
  profile: Profile;
  kernel: ResolvedKernel;
  key: string;
  timeoutMs: number;
}

export function bootGroupKey(item: Pick<BootItem, 'profile' | 'kernel'>): string {
  return `${item.kernel.imageSha256}/${item.profile.memory_mb}/${item.profile.cpus}`;
}

/** Groups items into boots: one per distinct kernel image and VM shape, first-seen order. */
export function planBoots(items: readonly BootItem[]): BootItem[][] {
  const groups = new Map<string, BootItem[]>();
  for (const it of items) {
    const k = bootGroupKey(it);
    const g = groups.get(k);
    if (g) g.push(it);
    else groups.set(k, [it]);
  }
  return [...groups.values()];
}
