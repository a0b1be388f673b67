import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Verb } from './verb.ts';
import { intFlag, parseFlags } from './args.ts';
import { EXIT_TOOL_ERROR, usageError } from '../../../history/vocabulary/errors.ts';
import { loadSuite } from '../config/suite.ts';
import { prepareSuite } from '../suite/prepare.ts';
import { renderSuiteMarkdown, suiteSummary, type SuiteCaseResult } from '../suite/summary.ts';
import { runCases } from '../validation/run-cases.ts';
import { caseReport, defaultArtifactName } from '../validation/case-report.ts';
import { locateValidator, type ValidatorBinary } from '../validation/validator-binary.ts';
import { newRunId } from '../validation/run-id.ts';
import { reporterFor } from '../ui/progress.ts';
import { ciInfo, gitInfo } from '../infra/git.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { writeReports } from '../report/write.ts';
import { recordingHistoryFor } from '../recording/run-history.ts';
import { stageGuestTools } from '../guest/tools.ts';
import { parseTimeoutFlag } from './command-mode.ts';
import type { GuestFile } from '../vm/types.ts';
import { parseShard, shardCases } from '../validation/shard.ts';

const HELP = `Usage: bpfcompat suite --suite FILE [--out summary.json] [--markdown summary.md] [flags]

Runs every case of a suite (objects, manifests, behavior tests, command cases) on its matrix with ONE BOOT PER
KERNEL: all cases for a kernel run in turn in the same guest, isolated from each other; a case that hangs or
crashes the guest is retried alone in a fresh boot. Writes a report per case (same schema as bpfcompat test),
a summary JSON (bpfcompat_suite.v0.1) and Markdown with the collection matrix. See docs/suites.md.

Flags:
  --suite FILE             suite YAML (paths in it are relative to it)                     (required)
  --out PATH               suite summary JSON
  --markdown PATH          suite summary Markdown (cases table and collection matrix)
  --json                   print the summary JSON on stdout instead of text
  --jobs N                 guests run in parallel (default: suite concurrency, else number of cores)
  --keep-vm-on-failure     keep the guest's initramfs (initrd.cpio) of a boot with a target that did not pass
  --registry-insecure HOST plain HTTP for this registry HOST[:PORT] (OCI case artifacts; repeatable)
  --timeout DURATION       per-case budget on each kernel; overrides the suite's timeouts
  --workdir DIR            evidence directory (default: the suite's defaults.workdir, else .bpfcompat)
  --shard I/N              only slice I of N of the (case × kernel) targets (CI job matrices; merge the histories after)
  --stop-on-failure        start no further guest boot after the first required failure; what did not run is
                           listed as not run in the summary and its Markdown
  --require-attach         every attach of every artifact case must succeed (a case's require_attach wins)
  --history PATH | --no-history | --fresh | --offline | --quiet   as for bpfcompat test
  --sign-key PRIVATE.key   sign each case's run in the history as it is appended (Ed25519; see bpfcompat keys)

Exit codes: 0 every case passed · 2 a case failed on a required kernel · 1 usage error or any infrastructure error.`;

export const suiteVerb: Verb = {
  name: 'suite',
  summary: 'run a suite of objects and commands, one boot per kernel',
  help: HELP,
  async run(argv) {
    const { values: v } = parseFlags('suite', argv, {
      suite: { type: 'string' },
      out: { type: 'string' },
      markdown: { type: 'string' },
      json: { type: 'boolean' },
      jobs: { type: 'string' },
      concurrency: { type: 'string' },
      timeout: { type: 'string' },
      workdir: { type: 'string' },
      history: { type: 'string' },
      'no-history': { type: 'boolean' },
      'sign-key': { type: 'string' },
      fresh: { type: 'boolean' },
      offline: { type: 'boolean' },
      quiet: { type: 'boolean' },
      shard: { type: 'string' },
      'stop-on-failure': { type: 'boolean' },
      'require-attach': { type: 'boolean' },
      'keep-vm-on-failure': { type: 'boolean' },
      'registry-insecure': { type: 'string', multiple: true },
    }, { positionals: 0 });
    if (!v.suite) throw usageError('suite: --suite is required', 'pass the suite YAML, e.g. --suite suite.yaml');
    const suiteFile = resolve(v.suite);
    const suite = await loadSuite(suiteFile);
    const jobs = intFlag(v.jobs !== undefined ? 'jobs' : 'concurrency', v.jobs ?? v.concurrency, suite.defaults.concurrency ?? availableParallelism(), 1, 64);
    const timeoutMs = v.timeout !== undefined ? parseTimeoutFlag(v.timeout) : undefined;
    const located: { validator: Promise<ValidatorBinary> | null } = { validator: null };
    const shard = parseShard(v.shard);
    const prepared = await prepareSuite(suite, suiteFile, { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(v['require-attach'] ? { requireAttach: true } : {}), validator: () => (located.validator ??= locateValidator()), insecureHosts: v['registry-insecure'] ?? [], objectsDir: resolve(v.workdir ?? (suite.defaults.workdir ? resolve(suiteFile, '..', suite.defaults.workdir) : '.bpfcompat'), 'oci-objects') });
    const validatorBin = located.validator ? await located.validator : null;
    const cases = shardCases(prepared, shard, (c) => c.name, (c) => c.unit.profiles, (c, kept) => ({ ...c, unit: { ...c.unit, profiles: kept }, matrix: { ...c.matrix, profiles: kept } }));
    // iproute2's ip/tc reset XDP and tc state between cases; busybox's ip cannot. Optional: only when the host has them.
    let resetTools: GuestFile[] = [];
    try {
      resetTools = await stageGuestTools(['ip', 'tc']);
    } catch {
      resetTools = [];
    }

    const runId = newRunId();
    const workdir = resolve(v.workdir ?? (suite.defaults.workdir ? resolve(suiteFile, '..', suite.defaults.workdir) : '.bpfcompat'));
    const runDir = resolve(workdir, 'runs', runId);
    const history = recordingHistoryFor({ history: v.history, noHistory: v['no-history'], signKey: v['sign-key'] });
    const git = await gitInfo(process.cwd());
    const startedAt = new Date();
    const reporter = reporterFor(process.stderr, v.quiet === true || v.json === true);
    let result;
    try {
      result = await runCases({
        cases: cases.map((c) => c.unit), jobs, runDir, offline: v.offline === true,
        validatorPath: validatorBin?.path ?? null, sharedBootFiles: resetTools,
        validatorPaths: Object.fromEntries(cases.flatMap((c) => (c.kind.type === 'artifact' ? Object.entries(c.kind.validators ?? {}).map(([a, v]) => [a, v.path]) : []))),
        ...(history && !v.fresh ? { reuse: (key: string) => history.reusable(key) } : {}),
        onEvent: (e) => reporter.event(e),
        stopOnFailure: v['stop-on-failure'] === true,
        keepOnFailure: v['keep-vm-on-failure'] === true || suite.defaults.keep_vm_on_failure === true || suite.cases.some((c) => c.keep_vm_on_failure === true),
      });
    } finally {
      reporter.close();
    }
    const finishedAt = new Date();
    const results: SuiteCaseResult[] = [];
    const notes: string[] = [];
    for (const [i, c] of cases.entries()) {
      const report = caseReport({
        runId: i === 0 ? runId : newRunId(), startedAt, finishedAt, jobs, accel: result.accel, git, ci: ciInfo(),
        name: c.artifactName ?? defaultArtifactName(c.kind), version: c.artifactVersion ?? git?.describe ?? runId, variant: c.artifactVariant, uri: c.artifactUri, path: c.artifactReference,
        kind: c.kind, matrix: { path: c.matrixPath, name: c.matrix.name, profiles: c.matrix.profiles.map((p) => p.id) }, arches: c.matrix.profiles.map((p) => p.arch),
        targets: result.targets[i]!, paths: { json: c.out, markdown: c.markdown, junit: null },
      });
      if (c.manifestText && c.kind.type === 'artifact' && c.kind.manifest && c.kind.manifest.path.endsWith('.behavior-manifest.yaml')) await writeFileAtomic(c.kind.manifest.path, c.manifestText);
      await writeReports(report, undefined);
      // A case stopped before any of its kernels ran (--stop-on-failure) has nothing to record.
      if (history && report.targets.length > 0) notes.push(`${c.name}: ${history.append(report, runDir, c.manifestContent ?? undefined)}`);
      results.push({
        name: c.name, artifact: report.artifact.path, manifest: report.manifest?.path ?? null, matrix: c.matrixPath,
        report, reportJsonPath: c.out, reportMarkdownPath: c.markdown, notRun: result.notRun[i] ?? [],
      });
    }
    history?.close();
    const summary = suiteSummary(suite.name, startedAt, finishedAt, results, result.boots, result.retries);
    if (v.out) await writeFileAtomic(v.out, JSON.stringify(summary, null, 2) + '\n');
    if (v.markdown) await writeFileAtomic(v.markdown, renderSuiteMarkdown(summary, v.markdown));
    if (v.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else {
      for (const c of summary.cases) process.stderr.write(`bpfcompat: ${c.status.padEnd(5)} ${c.name} (${c.required_passed}/${c.total_profiles} required passed) ${c.report_json_path}\n`);
      process.stderr.write(`bpfcompat: suite ${summary.name}: ${summary.status} — ${summary.cases.length} cases in ${summary.boots} guest boots${summary.retries ? `, ${summary.retries} retried alone` : ''}${summary.not_run ? `; stopped after the first required failure, ${summary.not_run} target(s) not run` : ''}${existsSync(runDir) ? `; evidence in ${runDir}` : '; nothing booted (no evidence directory)'}\n`);
      for (const n of notes) process.stderr.write(`bpfcompat: ${n}\n`);
    }
    // A history that was asked for and not updated is an infrastructure error, though the reports stand.
    return history && history.failures > 0 ? EXIT_TOOL_ERROR : summary.exit_code;
  },
};
