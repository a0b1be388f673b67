import { usageError } from '../../../history/vocabulary/errors.ts';
import type { Manifest } from '../config/manifest.ts';

export type ValidationMode = 'load_only' | 'load_attach' | 'behavior' | 'default';
export type AttachMode = 'disabled' | 'best-effort' | 'required';

const ALIASES: Record<string, ValidationMode> = {
  load_only: 'load_only', 'load-only': 'load_only', loadonly: 'load_only',
  load_attach: 'load_attach', 'load-attach': 'load_attach', loadattach: 'load_attach',
  behavior: 'behavior', behaviour: 'behavior',
};

export function parseValidationMode(value: string | undefined, flag = '--validation-mode'): ValidationMode {
  if (value === undefined || value === '') return 'default';
  const m = ALIASES[value];
  if (!m) throw usageError(`${flag} must be load_only, load_attach or behavior, got '${value}'`);
  return m;
}

/** The attach mode a validation mode and manifest imply (the reference tool's rules). */
export function attachModeFor(mode: ValidationMode, manifest: Manifest | null): AttachMode {
  if (mode === 'load_only') return 'disabled';
  const anyRequired = manifest?.require_attach === true || (manifest?.programs.some((p) => p.attach?.required === true) ?? false);
  return anyRequired ? 'required' : 'best-effort';
}

export function runsFunctionalTests(mode: ValidationMode, manifest: Manifest | null): boolean {
  if (!manifest || manifest.functional_tests.length === 0) return false;
  return mode === 'behavior' || mode === 'default';
}
