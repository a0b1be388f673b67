// Why a lane could not give a verdict. These become infra_error targets with the reason, never verdicts:
// an unreachable host or a wrong host key says nothing about the artifact.

export type LaneFailure =
  | 'ssh_unreachable'
  | 'ssh_host_key_mismatch'
  | 'ssh_auth_failed'
  | 'ssh_timeout'
  | 'ssh_lost'
  | 'ssh_setup_failed'
  | 'image_failed'
  | 'image_boot_timeout';

export class LaneError extends Error {
  readonly reason: LaneFailure;
  /** Evidence of a booted machine (the image lane's console), empty for a remote host. */
  readonly consoleTail: string;
  readonly consoleLogPath: string;

  constructor(reason: LaneFailure, message: string, opts: { cause?: unknown; consoleTail?: string; consoleLogPath?: string } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LaneError';
    this.reason = reason;
    this.consoleTail = opts.consoleTail ?? '';
    this.consoleLogPath = opts.consoleLogPath ?? '';
  }
}
