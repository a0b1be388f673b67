import { sha256Hex, canonicalJson } from '../vocabulary/hash.ts';

// history/ imports only two leaf modules of the collector: the error catalogue (the CLI must see the
// same BpfcompatError class) and these hashing primitives (one definition of canonical JSON).
export { sha256Hex, canonicalJson };

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
}

/**
 * Everything a verdict depends on. A new input to a run must be added here or deliberately left out:
 * collector/src/validation/result-key.test.ts pins this list so that decision is made in review.
 */
export const RESULT_KEY_FIELDS = ['artifact', 'kernel', 'validator', 'manifest', 'mode'] as const;

/** result_key = sha256(canonical JSON of exactly RESULT_KEY_FIELDS). */
export function resultKey(inputs: ResultKeyInputs): string {
  const picked: Record<string, unknown> = {};
  for (const f of RESULT_KEY_FIELDS) picked[f] = inputs[f];
  return sha256Hex(canonicalJson(picked));
}
