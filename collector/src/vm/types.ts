import type { ResolvedKernel } from '../kernels/types.ts';
import type { LaneFailure } from '../lanes/errors.ts';

export type Accel = 'kvm' | 'tcg';

/** A file placed into the guest's initramfs. */
export interface GuestFile {
  /** Absolute path inside the guest, e.g. /bpfcompat/jobs/0/artifact.bpf.o */
  guestPath: string;
  /** Either a host file to copy or literal bytes. */
  hostPath?: string;
  data?: Uint8Array | string;
  mode?: number;
}

/** One unit of work the guest runs and reports on separately. */
export interface GuestJob {
  id: string;
  /** validator: run /bpfcompat/bin/bpfcompat-validator with argv; command: run `command` under the guest shell. */
  kind: 'validator' | 'command';
  argv?: string[];
  command?: string;
  env?: Record<string, string>;
  files: GuestFile[];
  timeoutMs: number;
}

export type GuestEvent =
  | { type: 'booting'; accel: Accel }
  | { type: 'booted'; ms: number }
  | { type: 'job-started'; id: string }
  | { type: 'job-finished'; id: string; exitCode: number }
  | { type: 'console'; line: string };

export interface JobOutput {
  id: string;
  exitCode: number;
  /** Files the job returned over the result channel: result.json, stdout, stderr … */
  files: Record<string, Buffer>;
  durationMs: number;
}

/** Lane failures (LaneFailure: ssh_unreachable, ssh_host_key_mismatch, image_failed …) come from the SSH lanes. */
export type InfraReason = 'qemu_failed' | 'boot_timeout' | 'timeout' | 'panic' | 'channel_lost' | 'channel_corrupt' | LaneFailure;

export type GuestOutcome =
  | { kind: 'completed'; accel: Accel | 'none'; bootMs: number; totalMs: number; jobs: JobOutput[]; consoleLogPath: string }
  | { kind: 'infra_error'; accel: Accel | 'none'; reason: InfraReason; message: string; consoleTail: string; consoleLogPath: string; jobs: JobOutput[]; totalMs: number };

export interface GuestRunRequest {
  kernel: ResolvedKernel;
  jobs: GuestJob[];
  memoryMb: number;
  cpus: number;
  accel: Accel;
  /** The -cpu model: guestCpu(kernel.arch, accel) when absent (a profile may name its own). */
  cpu?: string;
  /** Whole-boot budget; jobs also carry their own. */
  timeoutMs: number;
  /** Directory for the console log and generated initramfs of this run. */
  workDir: string;
  signal?: AbortSignal;
  onEvent?: (e: GuestEvent) => void;
  /** Static validator to put in the guest; default validator/build/bpfcompat-validator when it exists. */
  validatorPath?: string | null;
  /** Cache root for the base initramfs layer; default cacheRoot(). */
  cacheDir?: string;
}
