import type { GuestJob } from '../vm/types.ts';

// Validator runs that share a boot share its kernel-only probe results (feature, helper and attach-type probes,
// vmlinux BTF lookups, a copy of kallsyms' names) through a file on the guest's tmpfs: the first run writes it,
// the others read it (validator/src/probecache.c). The result JSON is the same with or without it; a boot
// with a single job gains nothing, so its arguments stay those of a standalone run. Used for direct boots only
// (run-cases.ts): lanes run on machines whose /run is not ours.

/** In the guest's root (an initramfs, so RAM); the validator keys its contents to the running boot. */
export const GUEST_PROBE_CACHE = '/run/bpfcompat-probes';

export function withProbeCache(jobs: GuestJob[]): GuestJob[] {
  if (jobs.filter((j) => j.kind === 'validator').length < 2) return jobs;
  return jobs.map((j) => (j.kind === 'validator' ? { ...j, argv: [...(j.argv ?? []), '--probe-cache', GUEST_PROBE_CACHE] } : j));
}
