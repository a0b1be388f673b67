import { basename } from 'node:path';
import { SCREEN_SCHEMA, ScreenReport, type ScreenGroup, type ScreenTarget } from '../../../history/vocabulary/screen-schema.ts';
import type { Manifest } from '../config/manifest.ts';
import type { ScreenKernel } from './btf-source.ts';
import { DEFAULT_POLICY, predictTarget, type ScreenPolicy } from './predict.ts';
import { moduleBtfPath } from './module-index.ts';
import { MAX_SCREEN_MODULES, objectNames, selectModules } from './module-select.ts';
import { moduleOfBtf, objectFacts, screenFacts } from './run.ts';

// The screen's core: facts from the validator for every kernel, a prediction per kernel and program, the groups of
// kernels whose facts are identical. No VM, no history: a prediction is never a verdict and is never stored as one.

export function policyFromManifest(m: Manifest | null): ScreenPolicy {
  if (!m) return DEFAULT_POLICY;
  return {
    requiredAttach: m.require_attach ? 'all' : new Set(m.programs.filter((p) => p.attach?.required).map((p) => p.name)),
    reshaped: new Set([...m.program_types.map((p) => p.program), ...m.program_variants.flatMap((g) => g.programs.map((p) => p.name))]),
    functionalTests: m.functional_tests.length > 0,
    sizedMaps: new Set(m.maps.map((x) => x.name)),
    sizedValues: new Set(m.maps.filter((x) => x.value_size !== undefined).map((x) => x.name)),
    retargeted: new Map(m.programs.flatMap((p) => (p.attach?.target ? [[p.name, p.attach.target] as const] : []))),
  };
}

export interface ScreenInput {
  artifact: { path: string; sha256: string };
  validator: { path: string; sha256: string };
  manifest: { path: string; sha256: string; manifest: Manifest } | null;
  source: ScreenReport['source'];
  kernels: ScreenKernel[];
  group: boolean;
  now?: () => Date;
}

/** Groups by fingerprint, in kernel order; the representative is the first kernel of each group. */
export function groupTargets(targets: ScreenTarget[]): ScreenGroup[] {
  const groups = new Map<string, ScreenGroup>();
  for (const t of targets) {
    const g = groups.get(t.fingerprint);
    if (g) g.members.push(t.profile_id);
    else groups.set(t.fingerprint, { fingerprint: t.fingerprint, prediction: t.prediction, representative: t.profile_id, members: [t.profile_id] });
  }
  return [...groups.values()];
}

/**
 * Each kernel with a module index gets the split BTF of the modules holding a name the object looks up (its attach
 * targets, kfuncs, ksyms, CO-RE types): libbpf looks there when vmlinux lacks the name, and only those few are parsed.
 */
async function withObjectModules(validatorPath: string, object: string, kernels: ScreenKernel[]): Promise<{ kernels: ScreenKernel[]; notes: string[] }> {
  const notes = kernels.filter((k) => k.btfPath && k.moduleIndexMissing).map((k) => `${k.id}: modules not screened (${k.moduleIndexMissing})`);
  if (!kernels.some((k) => k.moduleIndex)) return { kernels, notes };
  const names = objectNames(await objectFacts(validatorPath, object));
  const out = kernels.map((k) => {
    if (!k.moduleIndex) return k;
    const { dir, index } = k.moduleIndex;
    const chosen = selectModules(index, names);
    if (chosen.dropped.length) notes.push(`${k.id}: ${chosen.dropped.length} more modules hold names this object looks up, beyond the ${MAX_SCREEN_MODULES} screened (${chosen.dropped.slice(0, 5).join(', ')}${chosen.dropped.length > 5 ? ', …' : ''})`);
    return { ...k, modulesBtf: chosen.modules.map((m) => moduleBtfPath(dir, m)) };
  });
  return { kernels: out, notes };
}

export async function runScreen(input: ScreenInput): Promise<ScreenReport> {
  const started = Date.now();
  const policy = policyFromManifest(input.manifest?.manifest ?? null);
  const { kernels, notes: moduleNotes } = await withObjectModules(input.validator.path, input.artifact.path, input.kernels);
  const { object, targets: facts } = await screenFacts(input.validator.path, input.artifact.path, kernels);
  const notes: string[] = [];
  if (!object.has_btf_ext) notes.push('the object has no .BTF.ext: no CO-RE relocations to check; helpers, maps, program types, externs and attach targets are still screened');
  else if (!object.has_core) notes.push('the object has no CO-RE relocations');
  notes.push(...moduleNotes);
  const targets: ScreenTarget[] = kernels.map((k) => {
    const f = facts.get(k.id);
    const btf = {
      release: k.release, image_sha256: k.imageSha256, btf_path: k.btfPath, btf_sha256: k.btfSha256,
      ...(k.moduleIndex ? { modules: k.modulesBtf.map(moduleOfBtf) } : {}),
      ...(k.bootModules ? { boot_modules: k.bootModules } : {}),
    };
    if (!f || !k.btfPath) {
      const reason = k.btfMissing ?? 'the screen returned no facts for this kernel';
      return { profile_id: k.id, kernel: btf, prediction: 'unknown', classification_code: null, root_cause: null, reason, fingerprint: 'no-btf', programs: [] };
    }
    const p = predictTarget(object, f, policy, k.bootModules ? new Set(k.bootModules) : null);
    return { profile_id: k.id, kernel: btf, ...p };
  });
  const count = (x: string) => targets.filter((t) => t.prediction === x).length;
  const report: ScreenReport = {
    schema: SCREEN_SCHEMA,
    evidence: 'predicted',
    generated_at: (input.now?.() ?? new Date()).toISOString(),
    artifact: { path: input.artifact.path, basename: basename(input.artifact.path), sha256: input.artifact.sha256 },
    validator: { sha256: input.validator.sha256 },
    manifest: input.manifest ? { path: input.manifest.path, sha256: input.manifest.sha256 } : null,
    source: input.source,
    object: { has_btf_ext: object.has_btf_ext, core_relocations: object.core_relos, notes },
    summary: { targets: targets.length, pass: count('pass'), fail: count('fail'), unknown: count('unknown'), duration_ms: Date.now() - started },
    targets,
    groups: input.group ? groupTargets(targets) : null,
  };
  return ScreenReport.parse(report);
}
