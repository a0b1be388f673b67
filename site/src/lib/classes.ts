// The failure classification codes the collector emits (collector/src/classify). Each has an MDX
// page under site/src/content/classes/<code>.mdx; the site test fails when one is missing.
export const FAILURE_CLASSES = [
  'UNSUPPORTED_HELPER',
  'MISSING_KFUNC',
  'GPL_ONLY_HELPER',
  'ATTACH_TARGET_MISSING',
  'NEEDS_RUNTIME_TARGET',
  'COMPLEXITY_LIMIT',
  'UNSUPPORTED_ATTACH_TYPE',
  'UNSUPPORTED_MAP_TYPE',
  'CORE_RELOCATION_FAILURE',
  'MISSING_BTF',
  'UNSUPPORTED_PROGRAM_TYPE',
  'POLICY_DENIED',
  'CAPABILITY_FAILURE',
  'VERIFIER_REJECTION',
  'FUNCTIONAL_TEST_FAILURE',
  'COMMAND_VALIDATION_FAILURE',
  'UNKNOWN',
  'INFRA_ERROR',
] as const;

export type FailureClass = (typeof FAILURE_CLASSES)[number];

export function isKnownClass(code: string): code is FailureClass {
  return (FAILURE_CLASSES as readonly string[]).includes(code);
}

/** Codes outside the catalogue (a newer collector) are shown under UNKNOWN rather than linking nowhere. */
export function classPageCode(code: string): FailureClass {
  return isKnownClass(code) ? code : 'UNKNOWN';
}
