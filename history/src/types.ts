// The shapes history/ accepts and returns. RunInput is structurally a subset of the collector's Report
// (history/vocabulary/report-schema.ts), so a parsed report can be passed as is.

export type Status = 'pass' | 'fail' | 'infra_error';

export interface TargetInput {
  readonly profile_id: string;
  readonly required: boolean;
  readonly status: Status;
  readonly failed_stage: string | null;
  readonly result_key: string;
  readonly reused: boolean;
  readonly reused_from_run: string | null;
  readonly kernel: { readonly release: string; readonly sha256: string; readonly source: Readonly<Record<string, unknown>> };
  readonly vm: { readonly accel: string; readonly cpu?: string; readonly memory_mb?: number; readonly cpus?: number };
  readonly btf: { readonly kernel_btf_available: boolean };
  readonly classification_code: string | null;
  readonly classification_confidence: string | null;
  readonly classification_reason: string;
  readonly warnings?: ReadonlyArray<{ readonly code: string }>;
}

export interface RunInput {
  readonly tool: { readonly version: string };
  readonly run: {
    readonly id: string;
    readonly started_at: string;
    readonly finished_at: string;
    readonly duration_ms: number;
    readonly accel: string;
    readonly git: { readonly revision: string; readonly describe: string } | null;
    readonly ci: Readonly<Record<string, string>> | null;
  };
  readonly mode: 'artifact' | 'command';
  readonly artifact: {
    readonly name: string;
    readonly version: string;
    readonly variant: string | null;
    /** where the object can be fetched from (test --artifact-uri); absent or null when not given */
    readonly uri?: string | null | undefined;
    readonly identity: string;
    readonly basename: string;
    readonly sha256: string;
    readonly size_bytes: number;
  };
  readonly validator: { readonly basename: string; readonly sha256: string; readonly size_bytes: number };
  /** content: the exact normalised manifest text whose sha256 is `sha256`, when the caller has it. */
  readonly manifest: { readonly sha256: string; readonly content?: string } | null;
  readonly validation_mode: string;
  readonly matrix: { readonly path: string; readonly name: string };
  /** Each target is stored whole (compressed); history reads the fields above. */
  readonly targets: readonly TargetInput[];
  readonly summary: {
    readonly status: string;
    readonly exit_code: number;
    readonly total: number;
    readonly passed: number;
    readonly failed: number;
    readonly infra_errors: number;
    readonly required_passed: number;
    readonly required_failed: number;
    readonly reused: number;
  };
}

/** Logs for appendRun: key `<profile_id>` is that target's console log, `<profile_id>#verifier` its full verifier log. */
export type RunLogs = Readonly<Record<string, string>>;

export interface AppendResult {
  runId: string;
  /** result keys seen for the first time in this history */
  newResults: number;
  /** false when the run id was already present (appending is idempotent) */
  inserted: boolean;
}

export interface RunSummary {
  id: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  tool_version: string;
  matrix_name: string;
  matrix_path: string;
  artifact_name: string;
  artifact_version: string;
  artifact_variant: string | null;
  /** where the object can be fetched from (test --artifact-uri), or null */
  artifact_uri: string | null;
  artifact_sha256: string;
  artifact_identity: string;
  mode: 'artifact' | 'command';
  validation_mode: string;
  accel: string;
  summary_status: string;
  exit_code: number;
  total: number;
  passed: number;
  failed: number;
  infra_errors: number;
  required_passed: number;
  required_failed: number;
  reused: number;
  git: { revision: string; describe: string } | null;
  ci: Record<string, string> | null;
}

/** One target of one run, as stored (the full target JSON is behind getTarget/findReusable). */
export interface RunMember {
  run_id: string;
  profile_id: string;
  required: boolean;
  result_key: string;
  reused: boolean;
  reused_from_run: string | null;
  status: Status;
  failed_stage: string | null;
  classification_code: string | null;
  confidence: string | null;
  reason: string;
  /** a pass whose best-effort attach failed: its first warning's code (null for older rows) */
  warning_code: string | null;
  kernel_sha256: string;
  kernel_release: string;
  kernel_btf: boolean;
  accel: string;
  target_sha256: string;
  console_log_sha256: string | null;
  verifier_log_sha256: string | null;
}

export interface RunDetail extends RunSummary {
  members: RunMember[];
}

export interface StoredResult {
  result_key: string;
  status: 'pass' | 'fail';
  /** the run whose guest produced this verdict (a fresh boot, never a reuse) */
  run_id: string;
  /** the target JSON as that run reported it (reused/reused_from_run as recorded then) */
  target: Record<string, unknown>;
}

export interface ArtifactSummary {
  name: string;
  latest_version: string;
  latest_run_id: string;
  latest_started_at: string;
  latest_summary_status: string;
  versions: number;
  runs: number;
}

export interface ArtifactVersion {
  name: string;
  version: string;
  variant: string | null;
  artifact_sha256: string;
  first_seen_run: string;
  first_seen_at: string;
  /** the newest run of this version */
  latest_run_id: string;
  latest_summary_status: string;
  runs: number;
}

export interface KernelSummary {
  sha256: string;
  release: string;
  source: Record<string, unknown>;
  /** true/false as the guests saw it; null when never recorded */
  btf: boolean | null;
  accels: string[];
  pass: number;
  fail: number;
  infra_error: number;
}

export interface LatestVerdict {
  artifact_name: string;
  profile_id: string;
  run_id: string;
  started_at: string;
  version: string;
  variant: string | null;
  required: boolean;
  status: Status;
  classification_code: string | null;
  confidence: string | null;
  kernel_sha256: string;
  kernel_release: string;
  result_key: string;
}

export interface ClassOccurrence {
  classification_code: string;
  artifact_name: string;
  artifact_sha256: string;
  kernel_sha256: string;
  kernel_release: string;
  profile_id: string;
  /** runs that recorded this code for this artifact × kernel */
  occurrences: number;
  latest_run_id: string;
  latest_version: string;
}

export interface VerifyMismatch {
  table: string;
  key: string;
  problem: string;
}

export interface VerifyReport {
  ok: boolean;
  checked: Record<string, number>;
  mismatches: VerifyMismatch[];
}
