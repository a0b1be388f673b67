import { canonicalJson, sha256Hex } from '../infra/hash.ts';

/**
 * Everything a verdict depends on. A new input to a run must be added here or deliberately left out:
 * result-key.test.ts pins this list so that decision is made in review.
 */
export interface ResultKeyInput {
  /** sha256 of the object bytes, or the command identity's sha256 in command mode */
  artifact: string;
  /** sha256 of the kernel image */
  kernel: string;
  /** sha256 of the validator binary */
  validator: string;
  /** sha256 of the normalised manifest, or null */
  manifest: string | null;
  /** validation mode, or 'command' */
  mode: string;
}

export const RESULT_KEY_FIELDS = ['artifact', 'kernel', 'validator', 'manifest', 'mode'] as const;

export function resultKey(input: ResultKeyInput): string {
  const picked: Record<string, unknown> = {};
  for (const f of RESULT_KEY_FIELDS) picked[f] = input[f];
  return sha256Hex(canonicalJson(picked));
}
