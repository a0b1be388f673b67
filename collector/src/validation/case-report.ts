import type { Report, TargetReport } from '../../../history/vocabulary/report-schema.ts';
import { assembleReport } from '../report/write.ts';
import type { ArtifactInfo } from './artifact.ts';
import type { ValidatorBinary } from './validator-binary.ts';
import type { ValidationMode } from './modes.ts';
import type { CommandSpec, CommandIdentity } from './command-spec.ts';
import type { CommandHarness } from './command-job.ts';
import type { KernelArch } from '../kernels/types.ts';
import { validatorsBlock } from '../report/validators.ts';

// The report of one case (an object or a command) in the same schema `bpfcompat test` writes, so per-case
// reports of a suite and command-mode reports go to history, compare and the site like any other run.

export type CaseKind =
  | { type: 'artifact'; artifact: ArtifactInfo; validator: ValidatorBinary; validators?: Partial<Record<KernelArch, ValidatorBinary>>; manifest: { path: string; sha256: string } | null; mode: ValidationMode }
  | { type: 'command'; spec: CommandSpec; identity: CommandIdentity; harness: CommandHarness; harnesses?: Partial<Record<KernelArch, CommandHarness>> };

export interface CaseReportInput {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  jobs: number;
  accel: Report['run']['accel'];
  git: Report['run']['git'];
  ci: Report['run']['ci'];
  name: string;
  version: string;
  variant: string | null;
  /** where the artifact is published (--artifact-uri, an OCI reference); left out of the report when null */
  uri?: string | null;
  /** the artifact's path in the report when it is not the staged file's (an OCI case: its reference) */
  path?: string | null;
  kind: CaseKind;
  matrix: Report['matrix'];
  /** The guest CPU of each profile, in matrix order (x86_64 when absent): the report names each CPU's binary. */
  arches?: KernelArch[];
  targets: TargetReport[];
  paths: Report['paths'];
}

/** The family name history groups versions under when none is given: the file name without .bpf.o. */
export function defaultArtifactName(kind: CaseKind): string {
  if (kind.type === 'artifact') return kind.artifact.basename.replace(/(\.bpf)?\.o$/, '');
  return kind.identity.name;
}

export function caseReport(r: CaseReportInput): Report {
  const common = { runId: r.runId, startedAt: r.startedAt, finishedAt: r.finishedAt, jobs: r.jobs, accel: r.accel, git: r.git, ci: r.ci, matrix: r.matrix, targets: r.targets, paths: r.paths };
  const k = r.kind;
  if (k.type === 'artifact') {
    return assembleReport({
      ...common,
      artifact: { name: r.name, version: r.version, variant: r.variant, identity: `sha256:${k.artifact.sha256}`, path: r.path ?? k.artifact.path, basename: k.artifact.basename, sha256: k.artifact.sha256, size_bytes: k.artifact.sizeBytes, ...(r.uri ? { uri: r.uri } : {}) },
      command: null,
      ...validatorsBlock(r.arches ?? [], Object.fromEntries(Object.entries({ x86_64: k.validator, ...k.validators }).map(([a, v]) => [a, { basename: v.basename, sha256: v.sha256, size_bytes: v.sizeBytes }])), { basename: k.validator.basename, sha256: k.validator.sha256, size_bytes: k.validator.sizeBytes }),
      manifest: k.manifest,
      mode: k.mode,
    });
  }
  const bin = k.spec.binary;
  return assembleReport({
    ...common,
    artifact: {
      name: r.name, version: r.version, variant: r.variant,
      identity: k.identity.identity, path: k.identity.identity, basename: k.identity.name,
      sha256: k.identity.sha256, size_bytes: bin?.sizeBytes ?? 0,
      ...(r.uri ? { uri: r.uri } : {}),
    },
    command: {
      invocation_sha256: k.identity.invocationSha256,
      expected_exit_code: k.spec.expectExit,
      binary: bin ? { basename: bin.basename, sha256: bin.sha256, size_bytes: bin.sizeBytes } : null,
    },
    ...validatorsBlock(r.arches ?? [], Object.fromEntries(Object.entries(k.harnesses ?? {}).map(([a, h]) => [a, h.identity])), k.harness.identity),
    manifest: null,
    mode: 'command',
  });
}
