import type { Profile } from '../config/matrix.ts';
import type { ResolvedKernel } from '../kernels/types.ts';
import type { MachineInputs } from '../../../history/src/hash.ts';

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
  /** The guest this item's verdict comes from (its result key includes it). */
  machine: MachineInputs | { cpu: string };
}

export function bootGroupKey(item: Pick<BootItem, 'profile' | 'kernel' | 'machine'>): string {
  return `${item.kernel.imageSha256}/${item.profile.memory_mb}/${item.profile.cpus}/${item.machine.cpu}`;
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
