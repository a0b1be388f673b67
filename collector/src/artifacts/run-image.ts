import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Profile } from '../config/matrix.ts';
import { Manifest, manifestIdentity } from '../config/manifest.ts';
import type { KernelArch } from '../kernels/types.ts';
import type { TargetReport } from '../../../history/vocabulary/report-schema.ts';
import { resultKey, type ResultKeyInput } from '../validation/result-key.ts';
import { machineOf } from '../../../history/src/hash.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { inspectArtifact, type ArtifactInfo } from '../validation/artifact.ts';
import { artifactCase, type CaseUnit } from '../validation/case-unit.ts';
import { runCases, type CasesRunInput } from '../validation/run-cases.ts';
import type { ValidationMode } from '../validation/modes.ts';
import type { ValidatorBinary } from '../validation/validator-binary.ts';
import type { Accel } from '../vm/types.ts';
import type { OciImage } from './image.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';

// An OCI image's run: every BPF object of the image is a validator job in the same boot of each kernel (one boot
// per kernel, however many objects), and each profile gets one target whose programs say which object they came
// from. The image's declared program types become the manifest's program_types when no manifest is given.

export interface ImageRunInput {
  /** The image for each guest CPU the matrix has. */
  images: Partial<Record<KernelArch, OciImage>>;
  profiles: Profile[];
  manifest: Manifest | null;
  manifestSha256: string | null;
  mode: ValidationMode;
  validator: ValidatorBinary;
  validatorArm64: ValidatorBinary | null;
  timeoutMs: number;
  /** Where the objects are written for the guests (content-addressed, one file per object). */
  objectsDir: string;
  run: Omit<CasesRunInput, 'cases' | 'validatorPath' | 'validatorPaths'>;
}

/** The manifest of an image run: the user's, else one holding the image's declared program types, else none. */
export function imageManifest(user: Manifest | null, images: OciImage[]): { manifest: Manifest | null; fromImage: boolean } {
  if (user) return { manifest: user, fromImage: false };
  const seen = new Set<string>();
  const program_types = images.flatMap((i) => i.declared.programTypes).filter((t) => !seen.has(t.program) && seen.add(t.program));
  return program_types.length === 0 ? { manifest: null, fromImage: false } : { manifest: Manifest.parse({ program_types }), fromImage: true };
}

export async function writeImageObjects(image: OciImage, dir: string): Promise<Array<{ name: string; info: ArtifactInfo }>> {
  const out = [];
  for (const o of image.objects) {
    const safe = o.name.split('/').pop()!.replace(/[^A-Za-z0-9._-]/g, '_') || 'object.bpf.o';
    const objDir = join(dir, o.sha256);
    await mkdir(objDir, { recursive: true });
    const path = join(objDir, safe.endsWith('.o') ? safe : `${safe}.bpf.o`);
    await writeFileAtomic(path, o.bytes);
    out.push({ name: o.name, info: await inspectArtifact(path, `--artifact ${image.reference}: object ${o.name}:`) });
  }
  return out;
}

export async function runImageTargets(input: ImageRunInput): Promise<{ targets: TargetReport[]; accel: Accel | 'none'; objects: string[] }> {
  const cases: Array<{ unit: CaseUnit; object: string; arch: KernelArch }> = [];
  for (const [arch, image] of Object.entries(input.images) as Array<[KernelArch, OciImage]>) {
    const profiles = input.profiles.filter((p) => p.arch === arch);
    if (profiles.length === 0) continue;
    for (const { name, info } of await writeImageObjects(image, input.objectsDir)) {
      const unit = artifactCase({
        name: `${arch}-${name}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60), profiles, artifact: info, manifest: input.manifest, manifestSha256: input.manifestSha256, mode: input.mode,
        validator: input.validator, ...(input.validatorArm64 ? { validators: { arm64: input.validatorArm64 } } : {}), timeoutMs: input.timeoutMs,
      });
      cases.push({ unit, object: name, arch });
    }
  }
  // Each object runs under its own key (runCases runs equal keys once), but a verdict is stored for the image:
  // reuse looks up the image's key, and a hit comes back for every object (mergeObjectTargets keeps one).
  const imageHex = Object.values(input.images)[0]?.digest.slice('sha256:'.length) ?? '';
  const reuse = input.run.reuse;
  const result = await runCases({
    ...input.run, cases: cases.map((c) => c.unit), validatorPath: input.validator.path,
    ...(reuse ? { reuse: (_key: string, inputs: ResultKeyInput) => reuse(resultKey({ ...inputs, artifact: imageHex }), inputs) } : {}),
    ...(input.validatorArm64 ? { validatorPaths: { arm64: input.validatorArm64.path } } : {}),
  });
  const targets = input.profiles.map((p) => {
    const parts = cases.flatMap((c, ci) => (c.arch === p.arch ? result.targets[ci]!.filter((t) => t.profile_id === p.id).map((t) => ({ object: c.object, target: t })) : []));
    const image = input.images[p.arch]!;
    const validator = p.arch === 'arm64' && input.validatorArm64 ? input.validatorArm64 : input.validator;
    // The target's key is of the image (its digest), like any artifact's: what the history checks and reuses by.
    return mergeObjectTargets(parts, (t) => resultKey({ artifact: image.digest.slice('sha256:'.length), kernel: t.kernel.sha256, validator: validator.sha256, manifest: input.manifestSha256, mode: input.mode, machine: machineOf(t.vm) }));
  }).filter((t): t is TargetReport => t !== null);
  return { targets, accel: result.accel, objects: [...new Set(cases.map((c) => c.object))] };
}

const RANK: Record<TargetReport['status'], number> = { infra_error: 0, fail: 1, pass: 2 };

/** One target from the targets of each object on one kernel: the worst decides the verdict, every program is kept. */
export function mergeObjectTargets(parts: Array<{ object: string; target: TargetReport }>, keyOf: (t: TargetReport) => string): TargetReport | null {
  if (parts.length === 0) return null;
  // A stored verdict of the image came back for every object: it is already the merged target.
  if (parts.every((p) => p.target.reused)) return parts[0]!.target;
  const primary = [...parts].sort((a, b) => RANK[a.target.status] - RANK[b.target.status])[0]!.target;
  const warnings = parts.flatMap((p) => p.target.warnings ?? []);
  const sum = (f: (t: TargetReport) => number) => parts.reduce((s, p) => s + f(p.target), 0);
  return {
    ...primary,
    result_key: keyOf(primary),
    reused: parts.every((p) => p.target.reused),
    programs: parts.flatMap((p) => p.target.programs.map((prog) => ({ ...prog, object: p.object }))),
    maps: parts.flatMap((p) => p.target.maps),
    validation: { ...primary.validation, attach_attempted: sum((t) => t.validation.attach_attempted), attach_passed: sum((t) => t.validation.attach_passed), attach_failed: sum((t) => t.validation.attach_failed) },
    ...(primary.status === 'pass' && warnings.length > 0 ? { warnings } : {}),
    notes: [...new Set([...parts.map((p) => `object ${p.object}: ${p.target.status}${p.target.classification_code ? ` (${p.target.classification_code})` : ''}`), ...parts.flatMap((p) => p.target.notes)])],
    duration_ms: Math.max(...parts.map((p) => p.target.duration_ms)),
  };
}


/**
 * An image whose one BPF object stands for it (suite cases, screen): the object file under the image's identity
 * (its digest), and the manifest its declared program types make. Several objects or CPUs are test's to run.
 */
export async function singleObjectImage(images: OciImage[], objectsDir: string, who: string): Promise<{ reference: string; artifact: ArtifactInfo; declared: Manifest | null }> {
  if (images.length !== 1 || images[0]!.objects.length !== 1) {
    throw new BpfcompatError('USAGE', `artifact ${images[0]!.reference}: ${images.length > 1 ? 'the matrix has guests of several CPUs' : `the image holds ${images[0]!.objects.length} BPF objects`}; ${who} takes an image with one object for one CPU`, { hint: 'run the image with bpfcompat test, which validates every object on every CPU' });
  }
  const image = images[0]!;
  const [written] = await writeImageObjects(image, objectsDir);
  return { reference: image.reference, artifact: { ...written!.info, sha256: image.digest.slice('sha256:'.length) }, declared: imageManifest(null, [image]).manifest };
}
