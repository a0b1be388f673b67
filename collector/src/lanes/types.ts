import type { Profile } from '../config/matrix.ts';
import type { KernelArch, ResolvedKernel } from '../kernels/types.ts';
import type { Accel, GuestEvent, GuestJob, GuestOutcome } from '../vm/types.ts';
import type { MachineInputs } from '../../../history/src/hash.ts';

// The contract of the lanes that reach a machine over SSH instead of booting a catalog kernel with a
// generated initramfs: the disk-image lane (profile.image) and the remote-host lane (profile.ssh).
// run-targets.ts and run-cases.ts drive them exactly like a direct boot: the same GuestJobs in, the same
// GuestOutcome out, so verdicts, classification, reports and history do not know which lane ran.

export interface LaneOptions {
  profile: Profile;
  /** Directory for this profile's evidence (console log of an image boot, transcripts). */
  workDir: string;
  cacheDir?: string;
  signal?: AbortSignal;
  onEvent?: (e: GuestEvent) => void;
}

/** What a lane knows about the machine's kernel before any job runs: the result key's kernel part. */
export interface LaneIdentity {
  /** image lane: sha256 of the base image; ssh lane: sha256 over uname -r, /proc/version and the kernel BTF. */
  kernelSha256: string;
  arch: KernelArch;
  /** The VM the image lane boots (an input of the result key); absent for a remote host, whose CPU is its own. */
  machine?: MachineInputs;
}

export interface LaneSession {
  /** The running kernel as reported by the machine (uname -r, uname -m), imageSha256 = identity.kernelSha256. */
  kernel: ResolvedKernel;
  /** image lane: how QEMU ran; ssh lane: 'none' (real hardware or whatever the host is). */
  accel: Accel | 'none';
  /** Power-on to SSH ready (image lane), connect time (ssh lane). */
  bootMs: number;
  consoleLogPath: string | null;
  /** Stages each job's files into a fresh scratch directory, runs it as root, returns its out/ files, stdout,
   *  stderr and exit code. A lost connection is an infra_error outcome, never a verdict. */
  runJobs(jobs: GuestJob[], opts: { validatorPath: string | null; signal?: AbortSignal }): Promise<GuestOutcome>;
  /** Removes scratch directories / overlay / seed and stops the VM: on every path, idempotent, never throws. */
  close(): Promise<void>;
}

export interface Lane {
  identify(): Promise<LaneIdentity>;
  open(): Promise<LaneSession>;
}
