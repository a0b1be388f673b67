import { sha256Hex, canonicalJson } from '../vocabulary/hash.ts';

export { sha256Hex, canonicalJson };

/** What the guest was given, as far as it can change a verdict (a CPU model without cmpxchg16b fails arena maps). */
export interface MachineInputs {
  /** the -cpu model QEMU was given, or "host" under KVM */
  cpu: string;
  memory_mb: number;
  cpus: number;
}

/** The inputs that decide a verdict; a result's key is the hash of exactly these fields. */
export interface ResultKeyInputs {
  /** sha256 hex of the artifact (object bytes, or the command identity hash) */
  artifact: string;
  /** sha256 hex of the kernel image */
  kernel: string;
  /** sha256 hex of the validator binary */
  validator: string;
  /** sha256 hex of the normalised manifest, or null without a manifest */
  manifest: string | null;
  /** the validation mode (load_only, load_attach, behavior, default) */
  mode: string;
  /** the guest machine; absent for older results and for a remote host (its kernel identity names the machine) */
  machine?: MachineInputs | undefined;
}

/**
 * Everything a verdict depends on. A new input to a run must be added here or deliberately left out:
 * collector/src/validation/result-key.test.ts pins this list so that decision is made in review.
 */
export const RESULT_KEY_FIELDS = ['artifact', 'kernel', 'validator', 'manifest', 'mode', 'machine'] as const;

/** result_key = sha256(canonical JSON of exactly RESULT_KEY_FIELDS). An absent machine is left out of the JSON, so
 *  keys written before the machine was an input hash as they did then. */
export function resultKey(inputs: ResultKeyInputs): string {
  const picked: Record<string, unknown> = {};
  for (const f of RESULT_KEY_FIELDS) picked[f] = inputs[f];
  return sha256Hex(canonicalJson(picked));
}

/** The machine of a target, from its vm block; undefined when the target does not record one (older, remote). */
export function machineOf(vm: { cpu?: string | undefined; memory_mb?: number | undefined; cpus?: number | undefined } | undefined): MachineInputs | undefined {
  if (!vm || vm.cpu === undefined || vm.memory_mb === undefined || vm.cpus === undefined) return undefined;
  return { cpu: vm.cpu, memory_mb: vm.memory_mb, cpus: vm.cpus };
}

/** targets.warning_code: the first attach warning's code of a target, or null. */
export function warningCode(t: { readonly warnings?: ReadonlyArray<{ readonly code: string }> | undefined }): string | null {
  return t.warnings?.[0]?.code ?? null;
}

/** How results.machine stores a machine: its canonical JSON, or null. */
export const machineColumn = (m: MachineInputs | undefined): string | null => (m ? canonicalJson(m) : null);
