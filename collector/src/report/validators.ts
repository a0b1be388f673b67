import type { Report } from '../../../history/vocabulary/report-schema.ts';
import type { KernelArch } from '../kernels/types.ts';

// The report's validator block when guests of several CPUs run: an arm64 target runs the aarch64
// validator (or harness), so naming only the x86_64 binary would be untrue.

export type GuestBinaryRef = Report['validator'];

/**
 * `validator` for the first profile's CPU and, when any CPU other than x86_64 is present, `validators`
 * with one entry per CPU in profile order. A CPU whose binary could not be had (its targets are infra
 * errors) is left out.
 */
export function validatorsBlock(
  arches: readonly KernelArch[],
  byArch: Partial<Record<KernelArch, GuestBinaryRef>>,
  fallback: GuestBinaryRef,
): { validator: GuestBinaryRef; validators?: NonNullable<Report['validators']> } {
  const order = [...new Set(arches)];
  const validator = (order[0] !== undefined ? byArch[order[0]] : undefined) ?? fallback;
  if (order.every((a) => a === 'x86_64')) return { validator };
  const validators = order.flatMap((arch) => {
    const v = byArch[arch];
    return v ? [{ arch, basename: v.basename, sha256: v.sha256, size_bytes: v.size_bytes }] : [];
  });
  return { validator, validators };
}
