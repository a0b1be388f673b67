import type { Profile } from '../config/matrix.ts';
import type { Manifest } from '../config/manifest.ts';
import type { TargetReport } from '../../../history/vocabulary/report-schema.ts';
import type { GuestJob, JobOutput } from '../vm/types.ts';
import type { KernelArch } from '../kernels/types.ts';
import type { ResultKeyInput } from './result-key.ts';
import type { ArtifactInfo } from './artifact.ts';
import type { ValidatorBinary } from './validator-binary.ts';
import type { CommandSpec } from './command-spec.ts';
import type { CommandHarness } from './command-job.ts';
import { commandJob } from './command-job.ts';
import { targetFromCommand } from './command-target.ts';
import { targetFromInfraError, type TargetContext } from './target.ts';
import { targetFromOutcome, validatorJob } from './run-targets.ts';
import { attachModeFor, type ValidationMode } from './modes.ts';

// One case of a run (a .bpf.o with its manifest, or a command) as the case runner sees it: how to make
// its guest job, how to judge what came back, and the inputs of its result key. `bpfcompat test` with
// --command is a run of one case; a suite is many.

export type JudgeContext = Omit<TargetContext, 'validatorResultPath'>;

export interface CaseUnit {
  name: string;
  profiles: Profile[];
  /** Result-key inputs except the kernel. */
  key: Omit<ResultKeyInput, 'kernel'>;
  /** The key inputs for a guest CPU when they differ per CPU (command mode's harness); `key` otherwise. */
  keyFor?(arch: KernelArch): Omit<ResultKeyInput, 'kernel'>;
  /** Per-job budget unless the profile sets its own timeout. */
  timeoutMs: number;
  needsValidator: boolean;
  job(id: string, timeoutMs: number, arch?: KernelArch): GuestJob;
  judge(ctx: JudgeContext, job: JobOutput, dir: string, timeoutMs: number): Promise<TargetReport>;
  infra(ctx: JudgeContext, message: string, consoleTail: string): TargetReport;
}

export interface ArtifactCaseInput {
  name: string;
  profiles: Profile[];
  artifact: ArtifactInfo;
  manifest: Manifest | null;
  manifestSha256: string | null;
  mode: ValidationMode;
  validator: ValidatorBinary;
  /** The validator of other guest CPUs (arm64); `validator` serves x86_64. */
  validators?: Partial<Record<KernelArch, ValidatorBinary>>;
  timeoutMs: number;
}

export function artifactCase(c: ArtifactCaseInput): CaseUnit {
  const attachMode = attachModeFor(c.mode, c.manifest);
  return {
    name: c.name,
    profiles: c.profiles,
    key: { artifact: c.artifact.sha256, validator: c.validator.sha256, manifest: c.manifestSha256, mode: c.mode },
    keyFor: (arch) => ({ artifact: c.artifact.sha256, validator: (arch === 'x86_64' ? c.validator : (c.validators?.[arch] ?? c.validator)).sha256, manifest: c.manifestSha256, mode: c.mode }),
    timeoutMs: c.timeoutMs,
    needsValidator: true,
    job: (id, timeoutMs) => validatorJob(c, timeoutMs, id),
    judge: (ctx, job, dir) => {
      const outcome = { kind: 'completed' as const, accel: ctx.accel, bootMs: ctx.bootMs, totalMs: 0, jobs: [job], consoleLogPath: ctx.consoleLogPath ?? '' };
      return targetFromOutcome(ctx, outcome, attachMode, dir, job.id);
    },
    infra: (ctx, message, tail) => targetFromInfraError({ ...ctx, validatorResultPath: null }, message, tail, attachMode),
  };
}

export interface CommandCaseInput {
  name: string;
  profiles: Profile[];
  spec: CommandSpec;
  harness: CommandHarness;
  /** Per guest CPU (commandHarnesses); `harness` serves a CPU missing here. */
  harnesses?: Partial<Record<KernelArch, CommandHarness>>;
  /** commandIdentity(spec).sha256 */
  identitySha256: string;
  timeoutMs: number;
}

export const COMMAND_MODE = 'command';

export function commandCase(c: CommandCaseInput): CaseUnit {
  return {
    name: c.name,
    profiles: c.profiles,
    key: { artifact: c.identitySha256, validator: c.harness.identity.sha256, manifest: null, mode: COMMAND_MODE },
    keyFor: (arch) => ({ artifact: c.identitySha256, validator: (c.harnesses?.[arch] ?? c.harness).identity.sha256, manifest: null, mode: COMMAND_MODE }),
    timeoutMs: c.timeoutMs,
    needsValidator: false,
    job: (id, timeoutMs, arch) => commandJob(c.spec, (arch && c.harnesses?.[arch]) || c.harness, id, timeoutMs),
    judge: async (ctx, job, _dir, timeoutMs) => targetFromCommand({ ...ctx, validatorResultPath: null }, c.spec, job, timeoutMs),
    infra: (ctx, message, tail) => {
      const t = targetFromInfraError({ ...ctx, validatorResultPath: null }, message, tail, 'disabled');
      return { ...t, notes: [...t.notes, 'the command did not run to completion: no verdict'] };
    },
  };
}
