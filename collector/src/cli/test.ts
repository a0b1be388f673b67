import { availableParallelism } from 'node:os';
import { expandVersions } from '../kernels/versions.ts';
import { basename, resolve } from 'node:path';
import type { Verb } from './verb.ts';
import { parseFlags, intFlag } from './args.ts';
import { RUN_FLAGS, selectProfiles } from './run-flags.ts';
import { usageError } from '../../../history/vocabulary/errors.ts';
import { loadMatrix, parseDuration } from '../config/matrix.ts';
import { loadManifest, manifestIdentity, withRequireAttach } from '../config/manifest.ts';
import { locateMatrix } from '../config/locate.ts';
import { inspectArtifact } from '../validation/artifact.ts';
import { locateValidator, validatorForArch, type ValidatorBinary } from '../validation/validator-binary.ts';
import { validatorsBlock } from '../report/validators.ts';
import { parseValidationMode } from '../validation/modes.ts';
import { runArtifactTargets } from '../validation/run-targets.ts';
import { newRunId } from '../validation/run-id.ts';
import { reporterFor } from '../ui/progress.ts';
import { ciInfo, gitInfo } from '../infra/git.ts';
import { assembleReport, writeReports } from '../report/write.ts';
import { openRecordingHistory } from '../recording/run-history.ts';
import { runCommandMode } from './command-mode.ts';
import { formatShard, parseShard, shardProfiles } from '../validation/shard.ts';

const HELP = `Usage: bpfcompat test --artifact OBJ.bpf.o --matrix MATRIX --out report.json [flags]

Boots every kernel of the matrix in a VM, loads and attaches the object's programs with libbpf inside it,
and reports a verdict per kernel with the evidence.

Flags:
  --artifact PATH          compiled eBPF object (.bpf.o)                                  (required)
  --matrix PATH|NAME       matrix YAML, or a shipped matrix name (debian, dev-one)        (required)
  --out PATH               JSON report path (written atomically)                          (required)
  --markdown PATH          Markdown report path
  --junit PATH             JUnit XML path (one testcase per kernel)
  --manifest PATH          manifest YAML (required attaches, map fixups, variants, functional tests)
  --validation-mode MODE   load_only | load_attach | behavior (default: attach per manifest, tests if present)
  --require-attach         every attach must succeed: a program that loads but does not attach fails (exit 2);
                           without it such a target passes with an explained attach warning
  --profile ID             only this profile of the matrix (repeatable)
  --shard I/N              only slice I of N of the kernels (CI job matrices; merge the histories after)
  --jobs N                 targets run in parallel (default: number of cores)
  --timeout DURATION       per-target budget, e.g. 120s (default 120s; a profile's timeout wins)
  --workdir DIR            evidence directory, runs/<run-id>/ inside (default .bpfcompat)
  --artifact-name NAME     artifact family name in history (default: file name without .bpf.o)
  --artifact-version V     version label in history (default: git describe, else the run id)
  --artifact-variant V     variant label (e.g. ringbuf, perfbuf)
  --history PATH           SQLite history to append to (default $XDG_DATA_HOME/bpfcompat/history.sqlite)
  --no-history             do not read or write the history
  --fresh                  boot every kernel even when a stored verdict for identical inputs exists
  --offline                use only cached kernel indexes and packages
  --json                   print the report JSON on stdout
  --quiet                  no progress on stderr

Command mode (instead of --artifact; see docs/command-mode.md and 'bpfcompat test-command --help'):
  --command COMMAND        shell command run as root in each guest under bash -lc; its exit code is the verdict
  --command-binary PATH    local executable shipped into each guest as $BPFCOMPAT_BIN
  --command-expect-exit N  exit code counted as a pass (0-255, default 0)
  --guest-tool NAME|PATH   host tool staged into the guest with its libraries (repeatable)

Exit codes: 0 all required targets passed · 2 a required target failed · 1 usage or infrastructure error.
When GITHUB_STEP_SUMMARY is set, a job summary is appended to it.`;

export const testVerb: Verb = {
  name: 'test',
  summary: 'validate a .bpf.o on every kernel of a matrix',
  help: HELP,
  async run(argv) {
    const { values } = parseFlags('test', argv, {
      ...RUN_FLAGS,
      manifest: { type: 'string' },
      'validation-mode': { type: 'string' },
      'require-attach': { type: 'boolean' },
      shard: { type: 'string' },
      command: { type: 'string' },
      'command-binary': { type: 'string' },
      'command-expect-exit': { type: 'string' },
    }, { positionals: 0 });
    if (values.command !== undefined) {
      if (values.manifest || values['validation-mode'] || values['require-attach']) throw usageError('test: --manifest, --validation-mode and --require-attach do not apply in command mode (--command)', 'the command\'s exit code is the verdict');
      return runCommandMode({
        command: values.command, binary: values['command-binary'], expectExit: values['command-expect-exit'],
        flags: { command: '--command', binary: '--command-binary', expectExit: '--command-expect-exit' },
        artifact: values.artifact, guestTools: values['guest-tool'], matrix: values.matrix, profiles: values.profile, shard: values.shard,
        out: values.out, markdown: values.markdown, junit: values.junit, jobs: values.jobs, timeout: values.timeout, workdir: values.workdir,
        artifactName: values['artifact-name'], artifactVersion: values['artifact-version'], artifactVariant: values['artifact-variant'],
        history: values.history, noHistory: values['no-history'], fresh: values.fresh, offline: values.offline, json: values.json, quiet: values.quiet,
      });
    }
    for (const f of ['command-binary', 'command-expect-exit', 'guest-tool'] as const) {
      if (values[f] !== undefined) throw usageError(`test: --${f} requires --command`, "run 'bpfcompat test --help'");
    }
    if (!values.artifact) throw usageError('test: --artifact is required', "run 'bpfcompat test --help'");
    if (!values.matrix) throw usageError('test: --matrix is required', 'pass a matrix YAML or a shipped name such as debian');
    if (!values.out) throw usageError('test: --out is required', 'name the JSON report file, e.g. --out report.json');
    if (values.out === '.' || values.out.endsWith('/')) throw usageError(`--out ${values.out}: must be a file path`);
    const jobs = intFlag('jobs', values.jobs, availableParallelism(), 1, 64);
    let timeoutMs = 120_000;
    if (values.timeout !== undefined) {
      if (!/^\d+(ms|s|m|h)$/.test(values.timeout)) throw usageError(`--timeout must be a duration such as 90s or 5m, got '${values.timeout}'`);
      timeoutMs = parseDuration(values.timeout);
    }
    const mode = parseValidationMode(values['validation-mode']);
    const shard = parseShard(values.shard);

    const matrixPath = locateMatrix(values.matrix);
    const matrix = await loadMatrix(matrixPath);
    matrix.profiles = await expandVersions(matrix.profiles, { onProgress: (m) => process.stderr.write(m + '\n') });
    matrix.profiles = selectProfiles(matrix.profiles, values.profile, matrixPath);
    const loaded = values.manifest ? await loadManifest(values.manifest) : null;
    if (values['require-attach'] && mode === 'load_only') throw usageError('test: --require-attach contradicts --validation-mode load_only (nothing is attached)', 'drop one of them');
    const manifest = values['require-attach'] ? withRequireAttach(loaded) : loaded;
    if (manifest) {
      const known = new Set(matrix.profiles.map((p) => p.id));
      for (const id of manifest.required_profiles) if (!known.has(id)) throw usageError(`${values.manifest}: required_profiles: ${id} is not in the matrix ${matrixPath}`);
    }
    // After the manifest check: required_profiles names profiles of the whole matrix, not of one shard.
    matrix.profiles = shardProfiles(matrix.profiles, shard);
    // The history stores the normalised manifest's text (not the YAML file): the manifest's hash is of exactly it.
    const manifestId = manifest ? manifestIdentity(manifest) : null;
    const manifestSha256 = manifestId?.sha256 ?? null;
    const artifact = await inspectArtifact(values.artifact);
    const validator = await locateValidator();
    // The arm64 targets run the aarch64 validator: the report names it too (missing: those targets say so).
    const validatorArm64 = matrix.profiles.some((p) => p.arch === 'arm64') ? await validatorForArch('arm64', validator).catch(() => null) : null;

    const runId = newRunId();
    const workdir = resolve(values.workdir ?? '.bpfcompat');
    const runDir = resolve(workdir, 'runs', runId);
    const history = values['no-history'] ? null : openRecordingHistory(values.history);
    const git = await gitInfo(process.cwd());
    const startedAt = new Date();
    const reporter = reporterFor(process.stderr, values.quiet === true || values.json === true);
    let result;
    try {
      result = await runArtifactTargets({
        matrix, artifact, manifest, manifestSha256, mode, validator, jobs, timeoutMs, runDir,
        offline: values.offline === true,
        ...(history && !values.fresh ? { reuse: (key: string) => history.reusable(key) } : {}),
        onEvent: (e) => reporter.event(e),
      });
    } finally {
      reporter.close();
    }
    const report = assembleReport({
      runId, startedAt, finishedAt: new Date(), jobs, accel: result.accel, git, ci: ciInfo(),
      artifact: {
        name: values['artifact-name'] ?? basename(artifact.path).replace(/(\.bpf)?\.o$/, ''),
        version: values['artifact-version'] ?? git?.describe ?? runId,
        variant: values['artifact-variant'] ?? null,
        identity: `sha256:${artifact.sha256}`,
        path: artifact.path, basename: artifact.basename, sha256: artifact.sha256, size_bytes: artifact.sizeBytes,
      },
      command: null,
      ...validatorsBlock(matrix.profiles.map((p) => p.arch), { x86_64: validatorRef(validator), ...(validatorArm64 ? { arm64: validatorRef(validatorArm64) } : {}) }, validatorRef(validator)),
      manifest: manifestSha256 ? { path: values.manifest ?? '(--require-attach)', sha256: manifestSha256 } : null,
      mode, matrix: { path: matrixPath, name: matrix.name, profiles: matrix.profiles.map((p) => p.id) },
      targets: result.targets,
      paths: { json: values.out, markdown: values.markdown ?? null, junit: values.junit ?? null },
    });
    await writeReports(report, process.env.GITHUB_STEP_SUMMARY);
    // A shard with no kernel of the matrix (more shards than kernels) has nothing to record: no empty run in history.
    const emptyShard = shard !== null && report.targets.length === 0;
    const historyNote = emptyShard ? `shard ${formatShard(shard)} holds no kernel of ${matrixPath}; nothing recorded` : history ? history.append(report, runDir, manifestId?.content) : null;
    if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else {
      process.stderr.write(`bpfcompat: ${report.summary.status} — ${report.summary.passed} passed${report.summary.warned ? ` (${report.summary.warned} with attach warnings)` : ''}, ${report.summary.failed} failed, ${report.summary.infra_errors} infra errors${report.summary.reused ? `, ${report.summary.reused} reused` : ''}\n`);
      process.stderr.write(`bpfcompat: report ${values.out}${values.markdown ? `, ${values.markdown}` : ''}${values.junit ? `, ${values.junit}` : ''}; evidence in ${runDir}\n`);
    }
    if (historyNote) process.stderr.write(`bpfcompat: ${historyNote}\n`);
    history?.close();
    return report.summary.exit_code;
  },
};

const validatorRef = (v: ValidatorBinary) => ({ basename: v.basename, sha256: v.sha256, size_bytes: v.sizeBytes });
