import { existsSync } from 'node:fs';
import { expandVersions } from '../kernels/versions.ts';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import type { Suite, SuiteCase } from '../config/suite.ts';
import { loadMatrix, parseDuration, type Matrix } from '../config/matrix.ts';
import { loadManifest, Manifest, manifestIdentity, withRequireAttach } from '../config/manifest.ts';
import { locateMatrix } from '../config/locate.ts';
import { inspectArtifact } from '../validation/artifact.ts';
import { parseValidationMode } from '../validation/modes.ts';
import { commandIdentity, inspectCommandBinary } from '../validation/command-spec.ts';
import { commandHarnesses } from '../validation/command-job.ts';
import { artifactCase, commandCase, type CaseUnit } from '../validation/case-unit.ts';
import type { CaseKind } from '../validation/case-report.ts';
import { validatorForArch, type ValidatorBinary } from '../validation/validator-binary.ts';
import { parseArtifactReference, type ArtifactReference } from '../artifacts/reference.ts';
import { pullImages } from '../artifacts/pull.ts';
import { singleObjectImage } from '../artifacts/run-image.ts';
import type { ArtifactInfo } from '../validation/artifact.ts';

// Turns a suite file into runnable cases: every path resolved against the suite file's folder, every file
// checked before anything boots, so a bad case stops the suite with one line naming the case and the file.

export interface PreparedCase {
  name: string;
  unit: CaseUnit;
  kind: CaseKind;
  matrixPath: string;
  matrix: Matrix;
  /** The normalised manifest, pretty-printed: the text of a generated behavior manifest file. */
  manifestText: string | null;
  /** The normalised manifest as the history stores it: canonical JSON, the text whose sha256 is the manifest's hash. */
  manifestContent: string | null;
  artifactName: string | undefined;
  artifactVersion: string | undefined;
  artifactVariant: string | null;
  /** artifact_uri: where the object is published (an http(s) URL) */
  artifactUri: string | null;
  /** the OCI reference an image case was pulled from, the report's artifact.path */
  artifactReference: string | null;
  out: string;
  markdown: string;
}

export interface PrepareOptions {
  /** --timeout overrides the suite's values. */
  timeoutMs?: number;
  /** --require-attach: every artifact case's attaches must succeed */
  requireAttach?: boolean;
  validator: () => Promise<ValidatorBinary>;
  /** --registry-insecure: registry hosts an OCI case may reach over plain HTTP */
  insecureHosts?: readonly string[];
  /** Where the objects of OCI cases are written for the guests. */
  objectsDir?: string;
}

const inFile = (suiteFile: string, p: string): string => (isAbsolute(p) ? p : resolve(dirname(suiteFile), p));

async function withCase<T>(suiteFile: string, c: SuiteCase, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof BpfcompatError) throw new BpfcompatError(err.code, `${suiteFile}: case ${c.name}: ${err.message}`, err.hint === undefined ? { exitCode: err.exitCode } : { hint: err.hint, exitCode: err.exitCode });
    throw err;
  }
}

/** The behavior `test` block as a manifest functional test (the reference tool's generated manifest). */
export function behaviorManifest(base: Manifest | null, c: SuiteCase): Manifest {
  const t = c.test!;
  const stdout = t.expect.stdout_contains ?? t.expect.event_contains;
  const test = {
    name: `${c.name}-behavior`, command: t.command, required: t.required, timeout: t.timeout, expect_exit_code: t.expect.exit_code,
    ...(stdout !== undefined ? { expect_stdout_contains: stdout } : {}),
    ...(t.expect.stderr_contains !== undefined ? { expect_stderr_contains: t.expect.stderr_contains } : {}),
  };
  const merged = { ...(base ?? {}), name: base?.name ?? `${c.name}-behavior`, functional_tests: [...(base?.functional_tests ?? []), test] };
  const parsed = Manifest.safeParse(merged);
  if (!parsed.success) throw new BpfcompatError('CONFIG_INVALID', `test: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`, { hint: 'see docs/suites.md' });
  return parsed.data;
}

export async function prepareSuite(suite: Suite, suiteFile: string, opts: PrepareOptions): Promise<PreparedCase[]> {
  const d = suite.defaults;
  const reportDir = inFile(suiteFile, d.report_dir);
  const matrices = new Map<string, Matrix>();
  const out: PreparedCase[] = [];
  for (const c of suite.cases) {
    out.push(await withCase(suiteFile, c, async () => {
      const matrixArg = c.matrix ?? d.matrix!;
      const rel = inFile(suiteFile, matrixArg);
      const matrixPath = existsSync(rel) ? rel : locateMatrix(matrixArg);
      let matrix = matrices.get(matrixPath);
      if (!matrix) {
        matrix = await loadMatrix(matrixPath);
        matrix.profiles = await expandVersions(matrix.profiles);
        matrices.set(matrixPath, matrix);
      }
      const timeoutMs = opts.timeoutMs ?? parseDuration(c.timeout ?? d.timeout);
      const common = {
        name: c.name, matrixPath, matrix,
        artifactName: c.artifact_name, artifactVersion: c.artifact_version, artifactVariant: c.artifact_variant ?? null, artifactUri: (c.artifact_uri ?? null) as string | null, artifactReference: null as string | null,
        out: c.out ? inFile(suiteFile, c.out) : join(reportDir, `${c.name}.json`),
        markdown: c.markdown ? inFile(suiteFile, c.markdown) : join(reportDir, `${c.name}.md`),
      };
      const reference = c.artifact ? parseArtifactReference(c.artifact) : null;
      const image = reference && reference.kind !== 'file' && !c.command ? await suiteImage(reference, suiteFile, matrix, opts) : null;
      const artifact = image ? image.artifact : c.artifact ? await inspectArtifact(inFile(suiteFile, c.artifact), 'artifact') : null;
      if (c.command) {
        const binary = c.command_binary ? await inspectCommandBinary(inFile(suiteFile, c.command_binary), 'command_binary') : null;
        const spec = { command: c.command, expectExit: c.expect_exit ?? 0, binary, artifact, guestTools: [...d.guest_tools, ...(c.guest_tools ?? [])] };
        const identity = commandIdentity(spec);
        const { harness, harnesses } = await commandHarnesses(spec, matrix.profiles, 'guest_tools', 'command_binary');
        const unit = commandCase({ name: c.name, profiles: matrix.profiles, spec, harness, harnesses, identitySha256: identity.sha256, timeoutMs });
        return { ...common, unit, kind: { type: 'command' as const, spec, identity, harness, harnesses }, manifestText: null, manifestContent: null };
      }
      if (image) common.artifactReference = image.reference;
      let manifest = c.manifest ? await loadManifest(inFile(suiteFile, c.manifest)) : image?.declared ?? null;
      let mode = parseValidationMode(c.validation_mode ?? d.validation_mode, 'validation_mode');
      if (c.test) {
        manifest = behaviorManifest(manifest, c);
        mode = 'behavior';
      }
      const requireAttach = c.require_attach ?? (opts.requireAttach || d.require_attach) ?? false;
      if (requireAttach && mode === 'load_only') throw new BpfcompatError('CONFIG_INVALID', 'require_attach contradicts validation_mode load_only (nothing is attached)', { hint: 'drop one of them' });
      if (requireAttach) manifest = withRequireAttach(manifest);
      const manifestId = manifest ? manifestIdentity(manifest) : null;
      const manifestSha256 = manifestId?.sha256 ?? null;
      const validator = await opts.validator();
      // arm64 profiles run the aarch64 validator (`make validator-arm64`), and their result keys use its sha256.
      const validators = matrix.profiles.some((p) => p.arch === 'arm64') ? { arm64: await validatorForArch('arm64', validator) } : undefined;
      const unit = artifactCase({ name: c.name, profiles: matrix.profiles, artifact: artifact!, manifest, manifestSha256, mode, validator, ...(validators ? { validators } : {}), timeoutMs });
      const manifestRef = manifest && manifestSha256 ? { path: c.manifest ? inFile(suiteFile, c.manifest) : c.test ? join(reportDir, `${c.name}.behavior-manifest.yaml`) : image?.declared && !requireAttach ? '(program types declared by the image)' : '(require_attach)', sha256: manifestSha256 } : null;
      return { ...common, unit, kind: { type: 'artifact' as const, artifact: artifact!, validator, ...(validators ? { validators } : {}), manifest: manifestRef, mode }, manifestText: manifest ? JSON.stringify(manifest, null, 2) + '\n' : null, manifestContent: manifestId?.content ?? null };
    }));
  }
  return out;
}

/** An OCI case of a suite: an image with one BPF object for the matrix's one guest CPU (paths relative to the suite file). */
async function suiteImage(ref: ArtifactReference, suiteFile: string, matrix: Matrix, opts: PrepareOptions): Promise<{ reference: string; artifact: ArtifactInfo; declared: Manifest | null }> {
  const local = ref.kind === 'oci-layout' ? { ...ref, dir: inFile(suiteFile, ref.dir) } : ref.kind === 'oci-archive' || ref.kind === 'docker-archive' ? { ...ref, file: inFile(suiteFile, ref.file) } : ref;
  const images = Object.values(await pullImages(local, matrix.profiles.map((p) => p.arch), opts.insecureHosts ?? []));
  return singleObjectImage(images, opts.objectsDir ?? join(dirname(suiteFile), '.bpfcompat', 'oci-objects'), 'a suite case');
}
