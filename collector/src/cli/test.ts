import { existsSync } from 'node:fs';
import { expandVersions } from '../kernels/versions.ts';
import { basename, resolve } from 'node:path';
import type { Verb } from './verb.ts';
import { parseFlags } from './args.ts';
import { RUN_FLAGS, artifactUriFlag, checkLabelFlags, jobsFlag, matrixFlag, selectProfiles } from './run-flags.ts';
import { EXIT_TOOL_ERROR, usageError } from '../../../history/vocabulary/errors.ts';
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
import { recordingHistoryFor } from '../recording/run-history.ts';
import { runCommandMode } from './command-mode.ts';
import { formatShard, parseShard, shardProfiles } from '../validation/shard.ts';
import { screenBeforeBoot } from './test-screen.ts';
import { parseArtifactReference } from '../artifacts/reference.ts';
import { imageArtifactInfo, imageName, pullImages } from '../artifacts/pull.ts';
import { imageManifest, runImageTargets } from '../artifacts/run-image.ts';
import { stageGuestTools } from '../guest/tools.ts';

const HELP = `Usage: bpfcompat test --artifact OBJ.bpf.o --matrix MATRIX|--quick --out report.json [flags]

Boots every kernel of the matrix in a VM, loads and attaches the object's programs with libbpf inside it,
and reports a verdict per kernel with the evidence.

Flags:
  --artifact PATH|REF      compiled eBPF object (.bpf.o), or an OCI image (bpfman bytecode image or Inspektor
                           Gadget image): oci:DIR[:TAG|@DIGEST], oci-archive:FILE.tar[:TAG],
                           docker-archive:FILE.tar, or HOST[:PORT]/REPO[:TAG|@sha256:…] (docs/oci.md) (required)
  --registry-insecure HOST plain HTTP for this registry HOST[:PORT] only (repeatable; default HTTPS)
  --matrix PATH|NAME       matrix YAML, or a shipped matrix name (debian, dev-one, quick) (required unless --quick)
  --quick                  the shipped matrix 'quick': Debian 5.10, 6.1 and the newest kernel, all required
  --out PATH               JSON report path (written atomically)                          (required)
  --markdown PATH          Markdown report path
  --junit PATH             JUnit XML path (one testcase per kernel)
  --manifest PATH          manifest YAML (required attaches, map fixups, variants, functional tests)
  --validation-mode MODE   load_only | load_attach | behavior (default: attach per manifest, tests if present)
  --require-attach         every attach must succeed: a program that loads but does not attach fails (exit 2);
                           without it such a target passes with an explained attach warning
  --screen                 screen every kernel's BTF first (see bpfcompat screen), boot every kernel anyway, and
                           print where the prediction and the boot disagree (predictions are never stored)
  --profile ID             only this profile of the matrix (repeatable)
  --shard I/N              only slice I of N of the kernels (CI job matrices; merge the histories after)
  --jobs N                 targets run in parallel (default: number of cores); --concurrency N is the same
  --timeout DURATION       per-target budget, e.g. 120s (default 120s; a profile's timeout wins)
  --workdir DIR            evidence directory, runs/<run-id>/ inside (default .bpfcompat)
  --keep-vm-on-failure     keep the guest's initramfs (initrd.cpio, beside console.log) of a target that did not
                           pass; otherwise it is removed once the target is judged
  --artifact-name NAME     artifact family name in history (default: file name without .bpf.o)
  --artifact-version V     version label in history (default: git describe, else the run id)
  --artifact-variant V     variant label (e.g. ringbuf, perfbuf)
  --artifact-uri URI       where the artifact is published (recorded and signed with the run; bpfcompat fetch
                           follows an http(s) one, checking the sha256)
  --history PATH           SQLite history to append to (default $XDG_DATA_HOME/bpfcompat/history.sqlite)
  --no-history             do not read or write the history
  --sign-key PRIVATE.key   sign the run in the history as it is appended (Ed25519; see bpfcompat keys)
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
      screen: { type: 'boolean' },
      'registry-insecure': { type: 'string', multiple: true },
      shard: { type: 'string' },
      command: { type: 'string' },
      'command-binary': { type: 'string' },
      'command-expect-exit': { type: 'string' },
    }, { positionals: 0 });
    checkLabelFlags(values);
    const artifactUri = artifactUriFlag(values['artifact-uri']);
    if (values.command !== undefined) {
      if (values.screen) throw usageError('test: --screen does not apply in command mode (--command)', 'a loader command has no object to screen');
      if (values.manifest || values['validation-mode'] || values['require-attach']) throw usageError('test: --manifest, --validation-mode and --require-attach do not apply in command mode (--command)', 'the command\'s exit code is the verdict');
      return runCommandMode({
        command: values.command, binary: values['command-binary'], expectExit: values['command-expect-exit'],
        flags: { command: '--command', binary: '--command-binary', expectExit: '--command-expect-exit' },
        artifact: values.artifact, guestTools: values['guest-tool'], matrix: values.matrix, quick: values.quick, profiles: values.profile, shard: values.shard,
        out: values.out, markdown: values.markdown, junit: values.junit, jobs: values.jobs, concurrency: values.concurrency, timeout: values.timeout, workdir: values.workdir,
        keepOnFailure: values['keep-vm-on-failure'], artifactUri: values['artifact-uri'],
        artifactName: values['artifact-name'], artifactVersion: values['artifact-version'], artifactVariant: values['artifact-variant'],
        history: values.history, noHistory: values['no-history'], signKey: values['sign-key'], fresh: values.fresh, offline: values.offline, json: values.json, quiet: values.quiet,
      });
    }
    for (const f of ['command-binary', 'command-expect-exit', 'guest-tool'] as const) {
      if (values[f] !== undefined) throw usageError(`test: --${f} requires --command`, "run 'bpfcompat test --help'");
    }
    if (!values.artifact) throw usageError('test: --artifact is required', "run 'bpfcompat test --help'");
    const matrixArg = matrixFlag(values.matrix, values.quick);
    if (!matrixArg) throw usageError('test: --matrix is required', 'pass a matrix YAML or a shipped name such as debian, or --quick');
    if (!values.out) throw usageError('test: --out is required', 'name the JSON report file, e.g. --out report.json');
    if (values.out === '.' || values.out.endsWith('/')) throw usageError(`--out ${values.out}: must be a file path`);
    const jobs = jobsFlag(values.jobs, values.concurrency);
    let timeoutMs = 120_000;
    if (values.timeout !== undefined) {
      if (!/^\d+(ms|s|m|h)$/.test(values.timeout)) throw usageError(`--timeout must be a duration such as 90s or 5m, got '${values.timeout}'`);
      timeoutMs = parseDuration(values.timeout);
    }
    const mode = parseValidationMode(values['validation-mode']);
    const shard = parseShard(values.shard);

    const matrixPath = locateMatrix(matrixArg);
    const matrix = await loadMatrix(matrixPath);
    matrix.profiles = await expandVersions(matrix.profiles, { onProgress: (m) => process.stderr.write(m + '\n') });
    matrix.profiles = selectProfiles(matrix.profiles, values.profile, matrixPath);
    const loaded = values.manifest ? await loadManifest(values.manifest) : null;
    if (values['require-attach'] && mode === 'load_only') throw usageError('test: --require-attach contradicts --validation-mode load_only (nothing is attached)', 'drop one of them');
    const reference = parseArtifactReference(values.artifact);
    if (values['registry-insecure'] && reference.kind !== 'registry') throw usageError('test: --registry-insecure applies only to a registry reference (HOST[:PORT]/REPO[:TAG])', `--artifact ${values.artifact} is not one`);
    // An OCI image: its objects for each guest CPU of the matrix (pulled and verified before anything boots).
    if (values.screen && reference.kind !== 'file') throw usageError('test: --screen takes a .bpf.o, not an OCI image', 'screen the image\'s objects one by one with bpfcompat screen, or drop --screen');
    const images = reference.kind === 'file' ? null : await pullImages(reference, matrix.profiles.map((p) => p.arch), values['registry-insecure'] ?? []);
    const imageManifestResult = imageManifest(loaded, Object.values(images ?? {}));
    const manifest = values['require-attach'] ? withRequireAttach(imageManifestResult.manifest) : imageManifestResult.manifest;
    if (manifest) {
      const known = new Set(matrix.profiles.map((p) => p.id));
      for (const id of manifest.required_profiles) if (!known.has(id)) throw usageError(`${values.manifest}: required_profiles: ${id} is not in the matrix ${matrixPath}`);
    }
    // After the manifest check: required_profiles names profiles of the whole matrix, not of one shard.
    matrix.profiles = shardProfiles(matrix.profiles, shard);
    // The history stores the normalised manifest's text (not the YAML file): the manifest's hash is of exactly it.
    const manifestId = manifest ? manifestIdentity(manifest) : null;
    const manifestSha256 = manifestId?.sha256 ?? null;
    const image = images ? Object.values(images)[0]! : null;
    const artifact = image ? imageArtifactInfo(image, imageName(reference)) : await inspectArtifact(values.artifact);
    const validator = await locateValidator();
    // The arm64 targets run the aarch64 validator: the report names it too (missing: those targets say so).
    const validatorArm64 = matrix.profiles.some((p) => p.arch === 'arm64') ? await validatorForArch('arm64', validator).catch(() => null) : null;

    const runId = newRunId();
    const workdir = resolve(values.workdir ?? '.bpfcompat');
    const runDir = resolve(workdir, 'runs', runId);
    const history = recordingHistoryFor({ history: values.history, noHistory: values['no-history'], signKey: values['sign-key'] });
    const git = await gitInfo(process.cwd());
    const startedAt = new Date();
    const screened = values.screen ? await screenBeforeBoot({ matrix, matrixPath, artifact, validator, manifest, manifestPath: values.manifest ?? '(--require-attach)', offline: values.offline === true }) : null;
    const reporter = reporterFor(process.stderr, values.quiet === true || values.json === true);
    let result;
    try {
      result = images ? await runImageTargets({
        images, profiles: matrix.profiles, manifest, manifestSha256, mode, validator, validatorArm64, timeoutMs,
        objectsDir: resolve(workdir, 'oci-objects'),
        run: {
          jobs, runDir, offline: values.offline === true, keepOnFailure: values['keep-vm-on-failure'] === true, sharedBootFiles: await stageGuestTools(['ip', 'tc']).catch(() => []),
          ...(history && !values.fresh ? { reuse: (key: string) => history.reusable(key) } : {}),
          onEvent: (e) => reporter.event(e),
        },
      }) : await runArtifactTargets({
        matrix, artifact, manifest, manifestSha256, mode, validator, jobs, timeoutMs, runDir,
        offline: values.offline === true,
        ...(history && !values.fresh ? { reuse: (key: string) => history.reusable(key) } : {}),
        keepOnFailure: values['keep-vm-on-failure'] === true,
        onEvent: (e) => reporter.event(e),
      });
    } finally {
      reporter.close();
    }
    const report = assembleReport({
      runId, startedAt, finishedAt: new Date(), jobs, accel: result.accel, git, ci: ciInfo(),
      artifact: {
        name: values['artifact-name'] ?? (image ? imageName(reference) : basename(artifact.path).replace(/(\.bpf)?\.o$/, '')),
        version: values['artifact-version'] ?? git?.describe ?? runId,
        variant: values['artifact-variant'] ?? null,
        identity: `sha256:${artifact.sha256}`,
        path: artifact.path, basename: artifact.basename, sha256: artifact.sha256, size_bytes: artifact.sizeBytes,
        ...(artifactUri ? { uri: artifactUri } : {}),
      },
      command: null,
      ...validatorsBlock(matrix.profiles.map((p) => p.arch), { x86_64: validatorRef(validator), ...(validatorArm64 ? { arm64: validatorRef(validatorArm64) } : {}) }, validatorRef(validator)),
      manifest: manifestSha256 ? { path: values.manifest ?? (imageManifestResult.fromImage ? '(program types declared by the image)' : '(--require-attach)'), sha256: manifestSha256 } : null,
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
      process.stderr.write(`bpfcompat: report ${values.out}${values.markdown ? `, ${values.markdown}` : ''}${values.junit ? `, ${values.junit}` : ''}${existsSync(runDir) ? `; evidence in ${runDir}` : '; nothing booted (no evidence directory)'}\n`);
    }
    if (historyNote) process.stderr.write(`bpfcompat: ${historyNote}\n`);
    if (screened) screened.printDisagreements(report.targets);
    history?.close();
    // A history that was asked for and not updated is an infrastructure error, though the report stands.
    return history && history.failures > 0 ? EXIT_TOOL_ERROR : report.summary.exit_code;
  },
};

const validatorRef = (v: ValidatorBinary) => ({ basename: v.basename, sha256: v.sha256, size_bytes: v.sizeBytes });
