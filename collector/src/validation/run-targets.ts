import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Matrix, Profile } from '../config/matrix.ts';
import { laneOf, parseDuration } from '../config/matrix.ts';
import type { Manifest } from '../config/manifest.ts';
import type { TargetReport } from '../../../history/vocabulary/report-schema.ts';
import type { ResolvedKernel } from '../kernels/types.ts';
import type { Accel, GuestJob, GuestOutcome, JobOutput } from '../vm/types.ts';
import { resolveKernel } from '../kernels/resolve.ts';
import { runGuest } from '../vm/runner.ts';
import { ValidatorResult } from './validator-result.ts';
import { attachModeFor, type ValidationMode } from './modes.ts';
import { functionalPlan, validatorArgs } from './validator-args.ts';
import { resultKey } from './result-key.ts';
import { targetFromInfraError, targetFromValidator, type TargetContext } from './target.ts';
import { mapPool } from './pool.ts';
import { accelPerArch } from './accel-per-arch.ts';
import type { RunEventSink } from './events.ts';
import type { ArtifactInfo } from './artifact.ts';
import { validatorForArch, type ValidatorBinary } from './validator-binary.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { identifyLane, laneFailureText, laneKernel, laneMachine, runLaneJobs } from './lane-run.ts';
import { guestMachine } from '../vm/machine.ts';
import { settleGuestInputs } from './guest-inputs.ts';
import { machineOf, warningCode } from '../../../history/src/hash.ts';

export interface ArtifactRunInput {
  matrix: Matrix;
  artifact: ArtifactInfo;
  manifest: Manifest | null;
  manifestSha256: string | null;
  mode: ValidationMode;
  validator: ValidatorBinary;
  jobs: number;
  /** Per-target budget unless the profile sets its own timeout. */
  timeoutMs: number;
  /** Where evidence (console logs, validator results) of this run is kept. */
  runDir: string;
  cacheDir?: string;
  offline?: boolean;
  /** A stored verdict for this key, or null: reuse without booting. */
  reuse?: (key: string) => TargetReport | null;
  onEvent?: RunEventSink;
  signal?: AbortSignal;
  /** Keep the guest's initramfs of a target that did not pass (--keep-vm-on-failure); otherwise it is removed. */
  keepOnFailure?: boolean;
}

const JOB_DIR = '/bpfcompat/jobs/validate';
const BOOT_HEADROOM_MS = 30_000;

/** The validator job; `id` names its directory, so several objects can share one boot (suites). */
export function validatorJob(input: Pick<ArtifactRunInput, 'artifact' | 'manifest' | 'mode'>, timeoutMs: number, id = 'validate'): GuestJob {
  const dir = id === 'validate' ? JOB_DIR : `/bpfcompat/jobs/${id}`;
  const paths = { artifact: `${dir}/artifact.bpf.o`, out: `${dir}/out/result.json`, functionalPlan: `${dir}/functional-plan.txt` };
  const files: GuestJob['files'] = [{ guestPath: paths.artifact, hostPath: input.artifact.path, mode: 0o644 }];
  if (input.manifest && input.manifest.functional_tests.length > 0) files.push({ guestPath: paths.functionalPlan, data: functionalPlan(input.manifest), mode: 0o644 });
  return { id, kind: 'validator', argv: validatorArgs(input.mode, input.manifest, paths), files, timeoutMs };
}

/** The file a job returned under out/, whichever way the channel named it. */
export function jobFile(job: JobOutput, name: string): Buffer | undefined {
  return job.files[`out/${name}`] ?? job.files[name];
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Turns a guest outcome into a target verdict (or an infra error). */
export async function targetFromOutcome(ctx: Omit<TargetContext, 'validatorResultPath' | 'bootMs' | 'consoleLogPath'>, outcome: GuestOutcome, attachMode: ReturnType<typeof attachModeFor>, dir: string, jobId = 'validate'): Promise<TargetReport> {
  const full = { ...ctx, bootMs: outcome.kind === 'completed' ? outcome.bootMs : 0, consoleLogPath: outcome.consoleLogPath, validatorResultPath: null as string | null };
  if (outcome.kind === 'infra_error') return targetFromInfraError(full, `${outcome.reason}: ${outcome.message}`, outcome.consoleTail, attachMode);
  const job = outcome.jobs.find((j) => j.id === jobId);
  const raw = job ? jobFile(job, 'result.json') : undefined;
  if (!job || !raw) {
    const stderr = job ? (job.files.stderr?.toString('utf8') ?? '') : '';
    const why = !job ? 'the validator job did not report' : job.exitCode === 124 ? 'the validator timed out' : `the validator exited ${job.exitCode} without a result`;
    // The validator says why on stderr ("too many arguments", "cannot write result"): its last line is the message's
    // end, its tail is the evidence, and the whole stream is kept beside the console log.
    const last = stderr.trim().split('\n').pop()?.trim() ?? '';
    if (stderr) await writeFile(join(dir, 'validator.stderr'), stderr);
    return targetFromInfraError(full, last ? `${why}: ${last}` : why, stderr ? `validator stderr:\n${tail(stderr.trimEnd())}` : '', attachMode);
  }
  const resultPath = join(dir, 'validator-result.json');
  await writeFile(resultPath, raw);
  full.validatorResultPath = resultPath;
  let parsed;
  try {
    parsed = ValidatorResult.safeParse(JSON.parse(raw.toString('utf8')));
  } catch (err) {
    return targetFromInfraError(full, `the validator result is not JSON: ${(err as Error).message}`, '', attachMode);
  }
  if (!parsed.success) return targetFromInfraError(full, `the validator result does not match its schema: ${parsed.error.issues[0]?.message ?? ''} at ${parsed.error.issues[0]?.path.join('.') ?? ''}`, '', attachMode);
  return targetFromValidator(full, parsed.data);
}

/** The stored verdict for this key as this profile's target (marked reused), or null: no boot needed. */
function reusedTarget(input: Pick<ArtifactRunInput, 'reuse'>, profile: Profile, key: string, emit: RunEventSink): TargetReport | null {
  const stored = input.reuse?.(key) ?? null;
  if (!stored) return null;
  const t: TargetReport = { ...stored, profile_id: profile.id, required: profile.required, reused: true };
  emit({ type: 'target-done', profile: profile.id, status: t.status, code: t.classification_code, ms: 0, reused: true, warning: warningCode(t) });
  return t;
}

/** Resolves, boots and judges every profile of the matrix for one artifact. */
export async function runArtifactTargets(input: ArtifactRunInput): Promise<{ targets: TargetReport[]; accel: Accel | 'none' }> {
  const emit = input.onEvent ?? (() => {});
  const attachMode = attachModeFor(input.mode, input.manifest);
  const profiles = input.matrix.profiles;
  emit({ type: 'plan', profiles: profiles.map((p) => p.id), jobs: input.jobs });

  const accels = accelPerArch(input.cacheDir, emit);
  // Profiles whose inputs give the same result key (the same kernel image, machine, object, manifest and mode) boot
  // once: the others wait for that boot and take its verdict and evidence under their own profile id.
  const booting = new Map<string, { profileId: string; target: Promise<TargetReport> }>();

  const targets = await mapPool(profiles, input.jobs, async (profile: Profile) => {
    const started = new Date();
    if (laneOf(profile) !== 'direct') return laneTarget(input, profile, attachMode, emit);
    let kernel: ResolvedKernel;
    try {
      kernel = await resolveKernel(profile, { cacheDir: input.cacheDir, offline: input.offline, signal: input.signal, onProgress: (message) => emit({ type: 'kernel', profile: profile.id, message }) });
    } catch (err) {
      // A kernel that cannot be had is no verdict on the artifact: an infra error for this target only.
      const message = err instanceof BpfcompatError ? err.message : String(err);
      const unknown: ResolvedKernel = { release: 'unresolved', arch: 'x86_64', imagePath: '', imageSha256: '', modulesDir: null, configPath: null, origin: { kind: 'file', image: '' } };
      const t = targetFromInfraError({ profileId: profile.id, required: profile.required, resultKey: '', kernel: unknown, accel: 'tcg', machine: null, bootMs: 0, startedAt: started, finishedAt: new Date(), consoleLogPath: null, validatorResultPath: null }, `kernel: ${message}`, '', attachMode);
      emit({ type: 'target-done', profile: profile.id, status: t.status, code: null, ms: t.duration_ms, reused: false });
      return t;
    }
    let validator: ValidatorBinary;
    try {
      validator = await validatorForArch(kernel.arch, input.validator);
    } catch (err) {
      const t = targetFromInfraError({ profileId: profile.id, required: profile.required, resultKey: '', kernel, accel: 'tcg', machine: null, bootMs: 0, startedAt: started, finishedAt: new Date(), consoleLogPath: null, validatorResultPath: null }, `validator: ${err instanceof BpfcompatError ? err.message : String(err)}`, '', attachMode);
      emit({ type: 'target-done', profile: profile.id, status: t.status, code: null, ms: t.duration_ms, reused: false });
      return t;
    }
    // The accelerator decides the guest machine, and the machine is an input of the key: decided before reuse.
    const accel = await accels.accelFor(kernel);
    const machine = guestMachine(kernel.arch, accel, profile.memory_mb, profile.cpus, profile.cpu);
    const key = resultKey({ artifact: input.artifact.sha256, kernel: kernel.imageSha256, validator: validator.sha256, manifest: input.manifestSha256, mode: input.mode, machine });
    const reused = reusedTarget(input, profile, key, emit);
    if (reused) return reused;
    const first = booting.get(key);
    if (first) return sameInputsTarget(await first.target, first.profileId, profile, emit);
    const boot = bootTarget(profile, kernel, validator, accel, machine, key, started);
    booting.set(key, { profileId: profile.id, target: boot });
    return boot;
  });
  return { targets, accel: accels.used() };

  async function bootTarget(profile: Profile, kernel: ResolvedKernel, validator: ValidatorBinary, accel: Accel, machine: ReturnType<typeof guestMachine>, key: string, started: Date): Promise<TargetReport> {
    emit({ type: 'target-start', profile: profile.id, release: kernel.release });
    const dir = join(input.runDir, 'targets', profile.id);
    await mkdir(dir, { recursive: true });
    const timeoutMs = profile.timeout ? parseDuration(profile.timeout) : input.timeoutMs;
    const outcome = await runGuest({
      kernel,
      jobs: [validatorJob(input, timeoutMs)],
      // The whole boot gets headroom beyond the job's budget, so a slow validator is its own timeout (exit 124), not a hung VM.
      memoryMb: profile.memory_mb,
      cpus: profile.cpus,
      accel,
      cpu: machine.cpu,
      timeoutMs: timeoutMs + BOOT_HEADROOM_MS,
      workDir: dir,
      validatorPath: validator.path,
      ...(input.signal ? { signal: input.signal } : {}),
      onEvent: (e) => {
        if (e.type === 'booted') emit({ type: 'target-booted', profile: profile.id, ms: e.ms });
      },
    });
    const t = await targetFromOutcome({ profileId: profile.id, required: profile.required, resultKey: key, kernel, accel, machine, startedAt: started, finishedAt: new Date() }, outcome, attachMode, dir);
    await settleGuestInputs(dir, t.status === 'pass', input.keepOnFailure === true);
    emit({ type: 'target-done', profile: profile.id, status: t.status, code: t.classification_code, ms: t.duration_ms, reused: false, warning: warningCode(t) });
    return t;
  }
}

/** The verdict of a profile whose inputs equal an earlier profile's in this run: that boot's target, under its own id. */
function sameInputsTarget(t: TargetReport, firstProfile: string, profile: Profile, emit: RunEventSink): TargetReport {
  const mine: TargetReport = { ...t, profile_id: profile.id, required: profile.required, notes: [...t.notes, `same inputs (result key) as ${firstProfile}: verdict and evidence of that boot`] };
  emit({ type: 'target-done', profile: profile.id, status: mine.status, code: mine.classification_code, ms: 0, reused: false, warning: warningCode(mine) });
  return mine;
}

/** A profile of the SSH lanes (profile.ssh / profile.image): identify → reuse → open, run, close → the same judge. */
async function laneTarget(input: ArtifactRunInput, profile: Profile, attachMode: ReturnType<typeof attachModeFor>, emit: RunEventSink): Promise<TargetReport> {
  const started = new Date();
  const dir = join(input.runDir, 'targets', profile.id);
  await mkdir(dir, { recursive: true });
  const laneOpts = { workDir: dir, ...(input.cacheDir ? { cacheDir: input.cacheDir } : {}), ...(input.signal ? { signal: input.signal } : {}) };
  const infra = (kernel: ResolvedKernel, resultKey: string, message: string, machine: TargetContext['machine'] = null): TargetReport => {
    const t = targetFromInfraError({ profileId: profile.id, required: profile.required, resultKey, kernel, accel: profile.ssh ? 'none' : 'tcg', machine, bootMs: 0, startedAt: started, finishedAt: new Date(), consoleLogPath: null, validatorResultPath: null }, message, '', attachMode);
    emit({ type: 'target-done', profile: profile.id, status: t.status, code: null, ms: t.duration_ms, reused: false });
    return t;
  };
  let identity;
  try {
    identity = await identifyLane(profile, laneOpts);
  } catch (err) {
    return infra(laneKernel(profile), '', laneFailureText(err));
  }
  let validator: ValidatorBinary;
  try {
    validator = await validatorForArch(identity.arch, input.validator);
  } catch (err) {
    return infra(laneKernel(profile, identity), '', `validator: ${err instanceof BpfcompatError ? err.message : String(err)}`, laneMachine(profile, identity));
  }
  const machine = laneMachine(profile, identity);
  const key = resultKey({ artifact: input.artifact.sha256, kernel: identity.kernelSha256, validator: validator.sha256, manifest: input.manifestSha256, mode: input.mode, machine: machineOf(machine) });
  const reused = reusedTarget(input, profile, key, emit);
  if (reused) return reused;
  emit({ type: 'target-start', profile: profile.id, release: profile.ssh ? `${profile.ssh.host}:${profile.ssh.port}` : 'disk image' });
  const timeoutMs = profile.timeout ? parseDuration(profile.timeout) : input.timeoutMs;
  const run = await runLaneJobs(profile, [validatorJob(input, timeoutMs)], validator.path, { ...laneOpts, onEvent: (e) => {
    if (e.type === 'booted') emit({ type: 'target-booted', profile: profile.id, ms: e.ms });
  } });
  const t = await targetFromOutcome({ profileId: profile.id, required: profile.required, resultKey: key, kernel: run.kernel ?? laneKernel(profile, identity), accel: run.accel, machine, startedAt: started, finishedAt: new Date() }, run.outcome, attachMode, dir);
  emit({ type: 'target-done', profile: profile.id, status: t.status, code: t.classification_code, ms: t.duration_ms, reused: false, warning: warningCode(t) });
  return t;
}
