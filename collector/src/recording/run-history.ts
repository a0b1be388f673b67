import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { openHistory, type History } from '../../../history/src/index.ts';
import { BpfcompatError, usageError } from '../../../history/vocabulary/errors.ts';
import { loadSigningKey, type SigningKey } from '../../../history/vocabulary/signing.ts';
import type { Report, TargetReport } from '../../../history/vocabulary/report-schema.ts';
import { historyPath } from './history-path.ts';
import { lookupReusable } from './reuse.ts';
import { toRunInput } from './run-input.ts';

// The history as `bpfcompat test` uses it (cli/history-options.ts's RunHistory shape): reuse lookups
// before booting, one append after the report is written. A history that cannot be written never
// costs the run its report: append returns the one-line reason instead of throwing.

export interface RecordingHistory {
  readonly path: string;
  reusable(key: string, current?: { profile_id: string; required: boolean }): TargetReport | null;
  append(report: Report, runDir: string, manifestContent?: string): string;
  /** Appends that failed: the run was asked to record and did not, so it exits 1 (its reports stay written). */
  readonly failures: number;
  close(): void;
}

/** Console logs named by the report's evidence paths (relative to the run directory), when present. */
function consoleLogs(report: Report, runDir: string): Record<string, string> {
  const logs: Record<string, string> = {};
  for (const t of report.targets) {
    const p = t.evidence.console_log;
    if (t.reused || p === null) continue;
    const abs = isAbsolute(p) ? p : join(runDir, p);
    if (existsSync(abs)) logs[t.profile_id] = readFileSync(abs, 'utf8');
  }
  return logs;
}

/**
 * The history of a run: null with --no-history, else opened as openRecordingHistory does. --sign-key needs a
 * history to sign in; the key is read before anything boots, so a bad key costs no run.
 */
export function recordingHistoryFor(opts: { history?: string | undefined; noHistory?: boolean | undefined; signKey?: string | undefined }): RecordingHistory | null {
  if (opts.noHistory) {
    if (opts.signKey !== undefined) throw usageError('--sign-key signs the run in the history and cannot go with --no-history', 'drop one of them');
    return null;
  }
  return openRecordingHistory(opts.history, opts.signKey === undefined ? undefined : loadSigningKey(opts.signKey));
}

/** Opens --history PATH (or the default); throws BpfcompatError (HISTORY*) when it cannot be opened. */
export function openRecordingHistory(flag: string | undefined, signKey?: SigningKey): RecordingHistory {
  const path = historyPath(flag);
  assertWritable(path);
  const h: History = openHistory(path);
  let failures = 0;
  return {
    path,
    reusable: (key, current) => lookupReusable(h, key, current),
    append(report, runDir, manifestContent) {
      try {
        const res = h.appendRun(toRunInput(report, manifestContent === undefined ? {} : { manifestContent }), consoleLogs(report, runDir));
        const signed = signKey ? h.sign(signKey, { runIds: [res.runId] }).signed.length : 0;
        return `history: run ${res.runId} recorded in ${path} (${res.newResults} new results)${signed ? `, signed by key ${signKey!.keyId.slice(0, 16)}` : ''}`;
      } catch (err) {
        failures++;
        if (err instanceof BpfcompatError) return err.message;
        throw err;
      }
    },
    get failures() {
      return failures;
    },
    close: () => h.close(),
  };
}

/**
 * Before any boot: a history that cannot be written (read-only or immutable file, read-only directory, where its
 * write-ahead log goes) would cost the whole run its record. SQLite itself opens such a file read-only without a
 * word and fails only at the append.
 */
function assertWritable(path: string): void {
  const dir = dirname(path);
  for (const [what, p] of [['file', path], ['directory', dir]] as const) {
    if (what === 'file' && !existsSync(p)) continue;
    if (what === 'directory' && !existsSync(p)) return; // created with the history
    try {
      accessSync(p, constants.W_OK);
    } catch (err) {
      throw new BpfcompatError('HISTORY', `${path}: history not writable: the ${what} ${p} cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'}); nothing was run`, {
        hint: 'make it writable, pass another --history PATH, or --no-history',
      });
    }
  }
}
