import type { Profile } from '../config/matrix.ts';
import type { ResolvedKernel } from '../kernels/types.ts';
import type { Accel, GuestEvent, GuestJob, GuestOutcome } from '../vm/types.ts';
import type { LaneIdentity } from '../lanes/types.ts';
import type { MachineInputs } from '../../../history/src/hash.ts';
import { LaneError } from '../lanes/errors.ts';
import { laneFor } from '../lanes/open.ts';

// The SSH lanes (profile.ssh, profile.image) as run-targets.ts and run-cases.ts use them: identify the
// machine's kernel for the result key, then open a session, run the jobs, close it on every path. Lane
// failures come back as infra_error outcomes (reason = the LaneFailure), never as verdicts.

export interface LaneRunOptions {
  workDir: string;
  cacheDir?: string;
  signal?: AbortSignal;
  onEvent?: (e: GuestEvent) => void;
}

/** The kernel a target names before the lane told us more (it failed to connect, or the verdict is reused). */
export function laneKernel(profile: Profile, id?: LaneIdentity): ResolvedKernel {
  const origin: ResolvedKernel['origin'] = profile.ssh
    ? { kind: 'ssh', host: profile.ssh.host, port: profile.ssh.port }
    : { kind: 'image', image: profile.image?.path ?? profile.image?.name ?? '', image_sha256: id?.kernelSha256 ?? profile.image?.sha256 ?? '' };
  return { release: id ? 'unknown' : 'unreachable', arch: id?.arch ?? profile.arch, imagePath: '', imageSha256: id?.kernelSha256 ?? '', modulesDir: null, configPath: null, origin };
}

/** The machine a lane's verdicts come from: the image lane's VM, or the remote host's own CPU ("host"). */
export function laneMachine(profile: Profile, id?: LaneIdentity): MachineInputs | { cpu: string } {
  return id?.machine ?? (profile.ssh ? { cpu: 'host' } : { cpu: 'unknown' });
}

/** "reason: message" of a lane failure, as infra_error targets print it. */
export function laneFailureText(err: unknown): string {
  return err instanceof LaneError ? `${err.reason}: ${err.message}` : err instanceof Error ? err.message : String(err);
}

export async function identifyLane(profile: Profile, o: LaneRunOptions): Promise<LaneIdentity> {
  return laneFor({ profile, ...o }).identify();
}

/** Opens the profile's lane, runs the jobs in one session and closes it. */
export async function runLaneJobs(profile: Profile, jobs: GuestJob[], validatorPath: string | null, o: LaneRunOptions): Promise<{ outcome: GuestOutcome; kernel: ResolvedKernel | null; accel: Accel | 'none' }> {
  const started = Date.now();
  const accel: Accel | 'none' = profile.ssh ? 'none' : 'tcg';
  let session;
  try {
    session = await laneFor({ profile, ...o }).open();
  } catch (err) {
    const e = err instanceof LaneError ? err : new LaneError(profile.ssh ? 'ssh_setup_failed' : 'image_failed', err instanceof Error ? err.message : String(err));
    return { outcome: { kind: 'infra_error', accel, reason: e.reason, message: e.message, consoleTail: e.consoleTail, consoleLogPath: e.consoleLogPath, jobs: [], totalMs: Date.now() - started }, kernel: null, accel };
  }
  try {
    o.onEvent?.({ type: 'booted', ms: session.bootMs });
    const outcome = await session.runJobs(jobs, { validatorPath, ...(o.signal ? { signal: o.signal } : {}) });
    return { outcome, kernel: session.kernel, accel: session.accel };
  } finally {
    await session.close();
  }
}
