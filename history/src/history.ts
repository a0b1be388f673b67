import type Database from 'better-sqlite3';
import { Appender } from './append.ts';
import { compareVerdicts, type Diff, type DiffSide, type Verdict } from './compare.ts';
import { openDatabase, schemaVersion, type OpenOptions } from './database.ts';
import { BpfcompatError, readError, writeError } from './errors.ts';
import { Queries } from './queries.ts';
import type {
  AppendResult, ArtifactSummary, ArtifactVersion, ClassOccurrence, KernelSummary, LatestVerdict, RunDetail, RunInput, RunLogs,
  RunMember, RunSummary, StoredResult, VerifyReport,
} from './types.ts';
import { checkSignatures, goodSignatures, runStatement, signRuns, type SignResult } from './signatures.ts';
import { contentDigest, verifyHistory } from './verify.ts';
import type { SigningKey, TrustedKey } from '../vocabulary/signing.ts';

/** A run named by id, or the newest run of an artifact version. */
export type RunRef = string | { name: string; version: string };

/** One open history file. Every method is synchronous (better-sqlite3); errors are BpfcompatError naming the file. */
export class History {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly q: Queries;
  private appender: Appender | undefined;

  constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
    this.q = new Queries(db);
  }

  close(): void {
    this.db.close();
  }

  get schemaVersion(): number {
    return schemaVersion(this.db);
  }

  // ---- writes

  /** Appends one run and its logs in one transaction; an already present run id is a no-op. */
  appendRun(run: RunInput, logs?: RunLogs): AppendResult {
    return this.appendRuns([{ input: run, logs }])[0]!;
  }

  /** Appends many runs in one transaction (imports, benchmarks). */
  appendRuns(items: readonly { input: RunInput; logs?: RunLogs | undefined }[]): AppendResult[] {
    try {
      this.appender ??= new Appender(this.db, this.path);
      return this.appender.appendMany(items);
    } catch (err) {
      throw writeError(this.path, err);
    }
  }

  // ---- reads

  findReusable(resultKey: string): StoredResult | null {
    return this.read(() => this.q.findReusable(resultKey));
  }
  listRuns(opts: { artifactName?: string; limit?: number } = {}): RunSummary[] {
    return this.read(() => this.q.listRuns(opts));
  }
  /** The newest run of an artifact by its sha256, with its members, or null. */
  latestRunOfArtifact(sha256: string): RunDetail | null {
    const run = this.read(() => this.q.latestRunOfArtifact(sha256));
    return run ? this.getRun(run.id) : null;
  }

  getRun(id: string): RunDetail | null {
    return this.read(() => this.q.getRun(id));
  }
  resultsForRun(id: string): RunMember[] {
    return this.read(() => this.q.resultsForRun(id));
  }
  resultsForVersion(name: string, version: string): RunMember[] {
    return this.read(() => this.q.resultsForVersion(name, version));
  }
  latestRunOfVersion(name: string, version: string): RunSummary | null {
    return this.read(() => this.q.latestRunOfVersion(name, version));
  }
  listArtifacts(): ArtifactSummary[] {
    return this.read(() => this.q.listArtifacts());
  }
  artifactVersions(name: string): ArtifactVersion[] {
    return this.read(() => this.q.artifactVersions(name));
  }
  listKernels(): KernelSummary[] {
    return this.read(() => this.q.listKernels());
  }
  latestVerdicts(opts: { artifactName?: string } = {}): LatestVerdict[] {
    return this.read(() => this.q.latestVerdicts(opts));
  }
  classOccurrences(code?: string): ClassOccurrence[] {
    return this.read(() => this.q.classOccurrences(code));
  }
  getLog(sha256: string): string | null {
    return this.read(() => this.q.getLog(sha256));
  }
  getTarget(runId: string, profileId: string): Record<string, unknown> | null {
    return this.read(() => this.q.getTarget(runId, profileId));
  }
  /** Row count per table. */
  counts(): Record<string, number> {
    return this.read(() => this.q.counts());
  }

  /** Resolves a run id or name@version to its run, or throws a HISTORY error naming what was not found. */
  resolveRun(ref: RunRef): RunDetail {
    const id = typeof ref === 'string' ? ref : this.read(() => this.q.latestRunOfVersion(ref.name, ref.version))?.id;
    const run = id === undefined ? null : this.getRun(id);
    if (!run) {
      const what = typeof ref === 'string' ? `run ${ref}` : `artifact ${ref.name} version ${ref.version}`;
      throw new BpfcompatError('HISTORY', `${this.path}: no ${what} in this history`, { hint: "list runs with 'bpfcompat history list'" });
    }
    return run;
  }

  compare(base: RunRef, head: RunRef, generatedAt?: string): Diff {
    const b = this.resolveRun(base);
    const h = this.resolveRun(head);
    return compareVerdicts(verdictsOf(b.members), verdictsOf(h.members), { base: sideOf(base, b), head: sideOf(head, h) }, generatedAt);
  }

  // ---- integrity

  /**
   * Re-derives every content address and checks every run signature against the run as now stored. With trusted
   * keys, a signature by another key fails; with requireSigned, so does a run without a good (trusted) signature.
   */
  verify(opts: { trusted?: readonly TrustedKey[]; requireSigned?: boolean } = {}): VerifyReport {
    return this.read(() => {
      const rep = verifyHistory(this.db);
      const sig = checkSignatures(this.db, opts);
      const mismatches = [...rep.mismatches, ...sig.mismatches];
      return { ok: mismatches.length === 0, checked: { ...rep.checked, signatures: sig.checked, signed_runs: sig.signedRuns }, mismatches };
    });
  }

  /** Signs every run (or the named runs) this key has not signed yet, in one transaction. */
  sign(key: SigningKey, opts: { runIds?: readonly string[]; now?: string } = {}): SignResult {
    try {
      return signRuns(this.db, key, opts);
    } catch (err) {
      throw writeError(this.path, err);
    }
  }
  /** The canonical statement a run's signatures cover (null for an unknown run). */
  runStatement(runId: string): string | null {
    return this.read(() => runStatement(this.db, runId));
  }
  /** Run id → key ids whose signature holds over the run as now stored. */
  goodSignatures(): Map<string, string[]> {
    return this.read(() => goodSignatures(this.db));
  }
  contentDigest(): string {
    return this.read(() => contentDigest(this.db));
  }

  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw readError(this.path, err);
    }
  }
}

export function verdictsOf(members: readonly RunMember[]): Map<string, Verdict> {
  return new Map(members.map((m) => [m.profile_id, { status: m.status, classification_code: m.classification_code, confidence: m.confidence, required: m.required, warning_code: m.warning_code }]));
}

function sideOf(ref: RunRef, run: RunDetail): DiffSide {
  return { label: typeof ref === 'string' ? ref : `${ref.name}@${ref.version}`, run_id: run.id, summary_status: run.summary_status };
}

/** Opens a history file: creates it (and its directory) when absent unless readonly, upgrades an older schema. */
export function openHistory(path: string, opts: OpenOptions = {}): History {
  return new History(path, openDatabase(path, opts));
}

/**
 * For verbs that only read (list, show, verify, compare): read-only, so a history in a read-only place or of
 * another user can be read; a file of an older schema is upgraded in place first, when it can be written.
 */
export function openHistoryForReading(path: string): History {
  try {
    return openHistory(path, { readonly: true });
  } catch (err) {
    if (!(err instanceof BpfcompatError && err.code === 'HISTORY_OLDER')) throw err;
    return openHistory(path);
  }
}
