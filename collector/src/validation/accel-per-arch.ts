import type { ResolvedKernel } from '../kernels/types.ts';
import type { Accel } from '../vm/types.ts';
import { detectAccel } from '../vm/accel.ts';
import type { RunEventSink } from './events.ts';

// One acceleration decision per guest CPU for a whole run, shared by run-targets.ts and run-cases.ts: an arm64
// profile is emulated even where x86_64 runs under KVM, and each decision is announced once.

export interface AccelPerArch {
  accelFor(kernel: ResolvedKernel): Promise<Accel>;
  /** What the run reports as its acceleration: the x86_64 decision, else the first one made, else 'none'. */
  used(): Accel | 'none';
}

export function accelPerArch(cacheDir: string | undefined, emit: RunEventSink): AccelPerArch {
  const decisions = new Map<ResolvedKernel['arch'], Promise<Accel>>();
  let used: Accel | 'none' = 'none';
  return {
    accelFor(kernel) {
      let p = decisions.get(kernel.arch);
      if (!p) {
        p = detectAccel(kernel, { cacheDir }).then((a) => {
          emit({ type: 'accel', accel: a.accel, reason: a.reason });
          if (used === 'none' || kernel.arch === 'x86_64') used = a.accel;
          return a.accel;
        });
        decisions.set(kernel.arch, p);
      }
      return p;
    },
    used: () => used,
  };
}
