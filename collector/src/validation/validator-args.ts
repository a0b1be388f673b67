import type { Manifest } from '../config/manifest.ts';
import { helperId } from '../config/manifest.ts';
import { attachModeFor, runsFunctionalTests, type ValidationMode } from './modes.ts';

export interface GuestPaths {
  artifact: string;
  out: string;
  functionalPlan: string;
}

/** The functional-plan file the validator reads (functional_plan.v0.1, as the reference tool writes it). */
export function functionalPlan(manifest: Manifest): string {
  const lines = ['functional_plan.v0.1'];
  for (const t of manifest.functional_tests) {
    const m = /^(\d+)(ms|s|m)$/.exec(t.timeout)!;
    const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60000 } as const)[m[2] as 'ms' | 's' | 'm'];
    lines.push(
      'BEGIN',
      `name=${t.name}`,
      `required=${t.required}`,
      `timeout_seconds=${Math.max(1, Math.ceil(ms / 1000))}`,
      `expect_exit_code=${t.expect_exit_code}`,
      `expect_stdout_contains=${t.expect_stdout_contains ?? ''}`,
      `expect_stderr_contains=${t.expect_stderr_contains ?? ''}`,
      `command=${t.command}`,
      'END',
    );
  }
  return lines.join('\n') + '\n';
}

/** The validator's argument list for one artifact: pure, so it is unit-tested and part of what a result depends on. */
export function validatorArgs(mode: ValidationMode, manifest: Manifest | null, paths: GuestPaths): string[] {
  const args = ['--artifact', paths.artifact, '--out', paths.out, '--attach-mode', attachModeFor(mode, manifest)];
  if (!manifest) return args;
  for (const p of manifest.programs) if (p.attach?.required) args.push('--require-attach', p.name);
  for (const m of manifest.maps) {
    if (m.max_entries !== undefined) args.push('--set-map-max-entries', `${m.name}=${m.max_entries}`);
    if (m.value_size !== undefined) args.push('--set-map-value-size', `${m.name}=${m.value_size}`);
    if (m.key_size !== undefined) args.push('--set-map-key-size', `${m.name}=${m.key_size}`);
    if (m.inner_ringbuf_bytes !== undefined) args.push('--set-map-inner-ringbuf', `${m.name}=${m.inner_ringbuf_bytes}`);
    if (m.inner_map) args.push('--set-map-inner-map', `${m.name}=${m.inner_map.type}:${m.inner_map.key_size}:${m.inner_map.value_size}:${m.inner_map.max_entries}`);
  }
  for (const t of manifest.program_types) args.push('--set-prog-type', `${t.program}=${t.type}`);
  for (const p of manifest.programs) if (p.attach?.target) args.push('--set-attach-target', `${p.name}=${p.attach.target}`);
  for (const g of manifest.program_variants) {
    const members = g.programs.map((p) => `${p.name}:${p.probe === 'trial_load' ? 'trial' : p.requires_helper !== undefined ? helperId(p.requires_helper) : 0}`);
    args.push('--prog-variants', `${g.group}=${members.join(',')}`);
  }
  if (manifest.probe_companions.length > 0) args.push('--probe-companions', manifest.probe_companions.join(','));
  if (runsFunctionalTests(mode, manifest)) args.push('--functional-plan', paths.functionalPlan);
  return args;
}
