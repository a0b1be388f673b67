// One catalogue of the errors users see. Domain code throws BpfcompatError; only the CLI
// turns it into a single line on stderr and an exit code.

export const EXIT_OK = 0;
export const EXIT_TOOL_ERROR = 1;
export const EXIT_COMPAT_FAILURE = 2;

export type ErrorCode =
  | 'USAGE'
  | 'FILE_NOT_FOUND'
  | 'FILE_EMPTY'
  | 'FILE_TOO_LARGE'
  | 'NOT_ELF'
  | 'NOT_BPF_ELF'
  | 'OBJECT_MALFORMED'
  | 'CONFIG_INVALID'
  | 'YAML_INVALID'
  | 'UNKNOWN_PROFILE'
  | 'KERNEL_RESOLVE'
  | 'DOWNLOAD'
  | 'INTEGRITY'
  | 'SIGNATURE'
  | 'TOOL_MISSING'
  | 'VALIDATOR_MISSING'
  | 'HISTORY'
  | 'HISTORY_NEWER'
  | 'HISTORY_OLDER'
  | 'HISTORY_CORRUPT'
  | 'REPORT_INVALID'
  | 'WRITE_FAILED'
  | 'VM_FAILED'
  | 'OCI_INVALID'
  | 'OCI_NOT_FOUND'
  | 'OCI_AUTH'
  | 'OCI_NO_BPF'
  | 'OCI_PLATFORM'
  | 'INTERNAL';

export class BpfcompatError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BpfcompatError';
    this.code = code;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? EXIT_TOOL_ERROR;
  }
}

export const usageError = (message: string, hint?: string): BpfcompatError =>
  new BpfcompatError('USAGE', message, hint === undefined ? {} : { hint });

/** The one line a user sees for an error: message plus hint, no stack. */
export function formatErrorLine(err: unknown): string {
  if (err instanceof BpfcompatError) {
    return `bpfcompat: ${err.message}${err.hint ? ` (${err.hint})` : ''}`;
  }
  const msg = err instanceof Error ? err.message : String(err);
  return `bpfcompat: internal error: ${msg.split('\n')[0]} (set BPFCOMPAT_DEBUG=1 for the stack trace and report it)`;
}
