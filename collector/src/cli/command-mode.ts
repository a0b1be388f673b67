import { existsSync } from 'node:fs';
import { expandVersions } from '../kernels/versions.ts';
import { resolve } from 'node:path';
import { EXIT_TOOL_ERROR, usageError } from '../../../history/vocabulary/errors.ts';
import { artifactUriFlag, jobsFlag, matrixFlag, selectProfiles } from './run-flags.ts';
import { loadMatrix, parseDuration } from '../config/matrix.ts';
import { locateMatrix } from '../config/locate.ts';
import { inspectArtifact } from '../validation/artifact.ts';
import { checkCommandText, commandIdentity, inspectCommandBinary, parseExpectExit, type CommandSpec } from '../validation/command-spec.ts';
import { commandHarnesses } from '../validation/command-job.ts';
import { commandCase } from '../validation/case-unit.ts';
import { runCases } from '../validation/run-cases.ts';
import { caseReport } from '../validation/case-report.ts';
import { newRunId } from '../validation/run-id.ts';
import { reporterFor } from '../ui/progress.ts';
import { ciInfo, gitInfo } from '../infra/git.ts';
import { writeReports } from '../report/write.ts';
import { recordingHistoryFor } from '../recording/run-history.ts';
import { formatShard, parseShard, shardProfiles } from '../validation/shard.ts';

// The shared body of `bpfcompat test-command` and `bpfcompat test --command`: the two verbs only map their
// flag names onto these options.

export interface CommandModeOptions {
  command: string | undefined;
  binary: string | undefined;
  expectExit: string | undefined;
  /** Flag names for error messages (--cmd or --command …). */
  flags: { command: string; binary: string; expectExit: string };
  artifact?: string | undefined;
  guestTools?: string[] | undefined;
  matrix: string | undefined;
  /** --quick: the shipped quick matrix instead of --matrix. */
  quick?: boolean | undefined;
  profiles?: string[] | undefined;
  /** --shard i/n: only that slice of the matrix's kernels. */
  shard?: string | undefined;
  out: string | undefined;
  markdown?: string | undefined;
  junit?: string | undefined;
  jobs?: string | undefined;
  /** --concurrency, the reference's name for --jobs. */
  concurrency?: string | undefined;
  keepOnFailure?: boolean | undefined;
  artifactUri?: string | undefined;
  timeout?: string | undefined;
  workdir?: string | undefined;
  artifactName?: string | undefined;
  artifactVersion?: string | undefined;
  artifactVariant?: string | undefined;
  history?: string | undefined;
  noHistory?: boolean | undefined;
  signKey?: string | undefined;
  fresh?: boolean | undefined;
  offline?: boolean | undefined;
  json?: boolean | undefined;
  quiet?: boolean | undefined;
}

export function parseTimeoutFlag(value: string | undefined, dflt = 120_000): number {
  if (value === undefined) return dflt;
  if (!/^\d+(ms|s|m|h)$/.test(value)) throw usageError(`--timeout must be a duration such as 90s or 5m, got '${value}'`);
  const ms = parseDuration(value);
  if (ms <= 0) throw usageError(`--timeout must be more than 0, got '${value}'`);
  return ms;
}

export async function runCommandMode(o: CommandModeOptions): Promise<number> {
  const command = checkCommandText(o.command, o.flags.command);
  const expectExit = parseExpectExit(o.expectExit, o.flags.expectExit);
  const matrixArg = matrixFlag(o.matrix, o.quick);
  if (!matrixArg) throw usageError('--matrix is required', 'pass a matrix YAML or a shipped name such as debian, or --quick');
  if (!o.out) throw usageError('--out is required', 'name the JSON report file, e.g. --out report.json');
  if (o.out === '.' || o.out.endsWith('/')) throw usageError(`--out ${o.out}: must be a file path`);
  const jobs = jobsFlag(o.jobs, o.concurrency);
  const artifactUri = artifactUriFlag(o.artifactUri);
  const timeoutMs = parseTimeoutFlag(o.timeout);
  const shard = parseShard(o.shard);
  const binary = o.binary ? await inspectCommandBinary(o.binary, o.flags.binary) : null;
  const artifact = o.artifact ? await inspectArtifact(o.artifact) : null;
  const matrixPath = locateMatrix(matrixArg);
  const matrix = await loadMatrix(matrixPath);
  matrix.profiles = await expandVersions(matrix.profiles);
  matrix.profiles = shardProfiles(selectProfiles(matrix.profiles, o.profiles, matrixPath), shard);
  const spec: CommandSpec = { command, expectExit, binary, artifact, guestTools: o.guestTools ?? [] };
  const identity = commandIdentity(spec);
  const { harness, harnesses } = await commandHarnesses(spec, matrix.profiles, '--guest-tool', o.flags.binary);

  const runId = newRunId();
  const runDir = resolve(o.workdir ?? '.bpfcompat', 'runs', runId);
  const history = recordingHistoryFor({ history: o.history, noHistory: o.noHistory, signKey: o.signKey });
  const git = await gitInfo(process.cwd());
  const startedAt = new Date();
  const reporter = reporterFor(process.stderr, o.quiet === true || o.json === true);
  let result;
  try {
    result = await runCases({
      cases: [commandCase({ name: identity.name, profiles: matrix.profiles, spec, harness, harnesses, identitySha256: identity.sha256, timeoutMs })],
      jobs, runDir, offline: o.offline === true, keepOnFailure: o.keepOnFailure === true,
      ...(history && !o.fresh ? { reuse: (key: string) => history.reusable(key) } : {}),
      onEvent: (e) => reporter.event(e),
    });
  } finally {
    reporter.close();
  }
  const report = caseReport({
    runId, startedAt, finishedAt: new Date(), jobs, accel: result.accel, git, ci: ciInfo(),
    name: o.artifactName ?? identity.name,
    version: o.artifactVersion ?? git?.describe ?? runId,
    variant: o.artifactVariant ?? null,
    uri: artifactUri,
    kind: { type: 'command', spec, identity, harness, harnesses },
    matrix: { path: matrixPath, name: matrix.name, profiles: matrix.profiles.map((p) => p.id) },
    arches: matrix.profiles.map((p) => p.arch),
    targets: result.targets[0]!,
    paths: { json: o.out, markdown: o.markdown ?? null, junit: o.junit ?? null },
  });
  await writeReports(report, process.env.GITHUB_STEP_SUMMARY);
  // A shard with no kernel of the matrix has nothing to record: no empty run in history.
  const historyNote = shard && report.targets.length === 0 ? `shard ${formatShard(shard)} holds no kernel of ${matrixPath}; nothing recorded` : history ? history.append(report, runDir) : null;
  if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    const s = report.summary;
    process.stderr.write(`bpfcompat: ${s.status} — ${s.passed} passed, ${s.failed} failed, ${s.infra_errors} infra errors${s.reused ? `, ${s.reused} reused` : ''} (${identity.identity}, invocation ${identity.invocationSha256.slice(0, 12)})\n`);
    process.stderr.write(`bpfcompat: report ${o.out}${o.markdown ? `, ${o.markdown}` : ''}${o.junit ? `, ${o.junit}` : ''}${existsSync(runDir) ? `; evidence in ${runDir}` : '; nothing booted (no evidence directory)'}\n`);
  }
  if (historyNote) process.stderr.write(`bpfcompat: ${historyNote}\n`);
  history?.close();
  // A history that was asked for and not updated is an infrastructure error, though the report stands.
  return history && history.failures > 0 ? EXIT_TOOL_ERROR : report.summary.exit_code;
}
