import { CLASSIFICATION_CODES } from '../../../history/vocabulary/codes.ts';

// The failure classification codes the collector emits (collector/src/classify), plus INFRA_ERROR. Each has an MDX
// page under site/src/content/classes/<code>.mdx; the site test fails when one is missing.
export const FAILURE_CLASSES = [...CLASSIFICATION_CODES, 'INFRA_ERROR'] as const;

export type FailureClass = (typeof FAILURE_CLASSES)[number];

export function isKnownClass(code: string): code is FailureClass {
  return (FAILURE_CLASSES as readonly string[]).includes(code);
}

/** Codes outside the catalogue (a newer collector) are shown under UNKNOWN rather than linking nowhere. */
export function classPageCode(code: string): FailureClass {
  return isKnownClass(code) ? code : 'UNKNOWN';
}
