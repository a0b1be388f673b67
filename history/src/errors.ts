import { BpfcompatError } from '../vocabulary/errors.ts';

export { BpfcompatError };

/** SQLite error codes better-sqlite3 puts on SqliteError.code. */
function sqliteCode(err: unknown): string {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : '';
}

/** True for errors meaning "this file is not a (healthy) SQLite database". */
export function isCorruption(err: unknown): boolean {
  const code = sqliteCode(err);
  return code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT');
}

export function corruptError(path: string, detail: string, cause?: unknown): BpfcompatError {
  return new BpfcompatError('HISTORY_CORRUPT', `${path}: not a bpfcompat history (${detail})`, {
    hint: 'pass another --history path, or move the file away to start a new history',
    cause,
  });
}

/**
 * A failed write (read-only file, disk full, I/O error, lock timeout) as one line that says the history
 * was not updated, so the caller can still write its report and exit on the run's own verdict.
 */
export function writeError(path: string, err: unknown): BpfcompatError {
  if (err instanceof BpfcompatError) return err;
  if (isCorruption(err)) return corruptError(path, (err as Error).message, err);
  const code = sqliteCode(err);
  const hint =
    code === 'SQLITE_FULL' ? 'free disk space; the report files were still written'
    : code.startsWith('SQLITE_READONLY') ? 'make the history file and its directory writable, or pass another --history'
    : code.startsWith('SQLITE_BUSY') ? 'another bpfcompat held the history lock for too long; retry'
    : 'check the history file and its directory';
  const what = code ? `${code}: ${(err as Error).message}` : err instanceof Error ? err.message : String(err);
  return new BpfcompatError('HISTORY', `${path}: history not updated: ${what}`, { hint, cause: err });
}

/** A failed read: corruption keeps its own code, anything else is a HISTORY error naming the file. */
export function readError(path: string, err: unknown): BpfcompatError {
  if (err instanceof BpfcompatError) return err;
  if (isCorruption(err)) return corruptError(path, (err as Error).message, err);
  return new BpfcompatError('HISTORY', `${path}: cannot read history: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
