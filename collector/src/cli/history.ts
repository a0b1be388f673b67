import { existsSync } from 'node:fs';
import { mergeHistories, openHistory, openHistoryForReading, type History } from '../../../history/src/index.ts';
import { BpfcompatError, usageError } from '../../../history/vocabulary/errors.ts';
import { loadSigningKey, loadTrustedKey } from '../../../history/vocabulary/signing.ts';
import { historyPath } from '../recording/history-path.ts';
import { printableLabel } from '../../../history/vocabulary/labels.ts';
import { intFlag, parseFlags } from './args.ts';
import type { Verb } from './verb.ts';

// `bpfcompat history list|show|merge|verify`. Only parses flags, calls history/ and prints.

const HELP = `Usage:
  bpfcompat history list [--history P] [--artifact-name N] [--limit 50] [--json]
      Runs, newest first: name@version status=… required=P/F run=ID started=…
  bpfcompat history show RUN_ID [--history P] [--json]
      One run and its targets (profile, status, class, kernel, reused).
  bpfcompat history merge A.sqlite B.sqlite … --into H.sqlite [--json]
      Merge shard histories (idempotent, order-independent). H.sqlite is created when absent.
  bpfcompat history sign --key PRIVATE.key [--history P] [--json]
      Verify the history, then sign every run this key has not signed (Ed25519 over the run's verdicts and the
      result keys and target hashes they come from). Refuses, signing nothing, when verify finds a mismatch.
  bpfcompat history verify [--history P] [--trusted-key PUBLIC.pub]… [--require-signed] [--json]
      Re-hash every content-addressed row (logs, targets, manifests, result keys) and check every run signature
      against the run as stored. Exit 1 on any mismatch: a verdict changed after signing, a signature by a key
      not given with --trusted-key (when any is), or (--require-signed) a run without a good signature. Each
      problem names its run.

--history P defaults to $XDG_DATA_HOME/bpfcompat/history.sqlite (~/.local/share/bpfcompat/history.sqlite).`;

/** Opens an existing history; a missing file is an error here (only test and merge create one). */
function openExisting(flag: string | undefined, mode: 'read' | 'write' = 'read'): History {
  const path = historyPath(flag);
  if (!existsSync(path)) throw new BpfcompatError('HISTORY', `${path}: no history there`, { hint: 'run bpfcompat test first, or pass --history PATH' });
  // Read verbs open read-only (an older schema is upgraded in place first when the file can be written); sign writes.
  return mode === 'write' ? openHistory(path) : openHistoryForReading(path);
}

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');
// Rows merged from other histories, or written before names were checked, may hold control characters: never raw.
const p = printableLabel;

function list(argv: string[]): number {
  const { values } = parseFlags('history list', argv, { history: { type: 'string' }, 'artifact-name': { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } });
  const limit = intFlag('limit', values.limit, 50, 1, 1_000_000);
  const h = openExisting(values.history);
  try {
    const runs = h.listRuns({ limit, ...(values['artifact-name'] === undefined ? {} : { artifactName: values['artifact-name'] }) });
    if (values.json) out(JSON.stringify(runs, null, 2));
    else for (const r of runs) out(`${p(r.artifact_name)}@${p(r.artifact_version)}${r.artifact_variant ? `+${p(r.artifact_variant)}` : ''} status=${r.summary_status} required=${r.required_passed}/${r.required_failed} reused=${r.reused}/${r.total} run=${r.id} started=${r.started_at}`);
    return 0;
  } finally {
    h.close();
  }
}

function show(argv: string[]): number {
  const { values, positionals } = parseFlags('history show', argv, { history: { type: 'string' }, json: { type: 'boolean' } }, { positionals: 1 });
  const id = positionals[0];
  if (id === undefined) throw usageError('history show: RUN_ID is required', "list run ids with 'bpfcompat history list'");
  const h = openExisting(values.history);
  try {
    const run = h.resolveRun(id);
    if (values.json) {
      out(JSON.stringify(run, null, 2));
      return 0;
    }
    out(`run ${run.id}  ${p(run.artifact_name)}@${p(run.artifact_version)}  ${run.summary_status} (exit ${run.exit_code})  started ${run.started_at}  ${run.duration_ms} ms`);
    out(`artifact ${run.artifact_identity}  matrix ${p(run.matrix_name)}  mode ${run.validation_mode}  accel ${run.accel}${run.git ? `  git ${p(run.git.describe)}` : ''}`);
    for (const m of run.members) {
      out(`  ${m.profile_id}  ${m.status}${m.required ? '' : ' (optional)'}  ${m.classification_code ?? '-'}  ${m.kernel_release}${m.reused ? `  reused from ${m.reused_from_run}` : ''}`);
    }
    return 0;
  } finally {
    h.close();
  }
}

function merge(argv: string[]): number {
  const { values, positionals } = parseFlags('history merge', argv, { into: { type: 'string' }, json: { type: 'boolean' } }, { positionals: 'any' });
  if (!values.into) throw usageError('history merge: --into H.sqlite is required', "run 'bpfcompat history merge --help'");
  if (positionals.length === 0) throw usageError('history merge: name at least one source history', "run 'bpfcompat history merge --help'");
  for (const p of positionals) if (!existsSync(p)) throw new BpfcompatError('FILE_NOT_FOUND', `history merge: ${p}: no such file`);
  const res = mergeHistories(positionals, values.into);
  if (values.json) out(JSON.stringify(res, null, 2));
  else out(`merged ${res.sources} histories into ${res.into}: ${Object.entries(res.added).map(([t, n]) => `${t}+${n}`).join(' ')}`);
  return 0;
}

function verify(argv: string[]): number {
  const { values } = parseFlags('history verify', argv, {
    history: { type: 'string' }, json: { type: 'boolean' }, 'trusted-key': { type: 'string', multiple: true }, 'require-signed': { type: 'boolean' },
  });
  const trusted = (values['trusted-key'] ?? []).map((p) => loadTrustedKey(p));
  const h = openExisting(values.history);
  try {
    const rep = h.verify({ trusted, requireSigned: values['require-signed'] ?? false });
    if (values.json) out(JSON.stringify({ path: h.path, ...rep, digest: h.contentDigest() }, null, 2));
    else {
      for (const m of rep.mismatches) out(`MISMATCH ${m.table} ${m.key}: ${m.problem}`);
      out(`${rep.ok ? 'ok' : 'FAILED'}: ${Object.entries(rep.checked).map(([t, n]) => `${t}=${n}`).join(' ')} mismatches=${rep.mismatches.length}`);
    }
    return rep.ok ? 0 : 1;
  } finally {
    h.close();
  }
}

function sign(argv: string[]): number {
  const { values } = parseFlags('history sign', argv, { history: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' } });
  if (!values.key) throw usageError('history sign: --key PRIVATE.key is required', "create one with 'bpfcompat keys generate --out DIR'");
  const key = loadSigningKey(values.key, '--key');
  const h = openExisting(values.history, 'write');
  try {
    // Never sign what no longer hashes to itself: a signature would vouch for the damage.
    const rep = h.verify();
    if (!rep.ok) {
      const m = rep.mismatches[0]!;
      throw new BpfcompatError('HISTORY', `history sign: ${h.path} fails verify (${rep.mismatches.length} mismatches, first: ${m.table} ${m.key}: ${m.problem}); nothing signed`, {
        hint: "run 'bpfcompat history verify' to see them",
      });
    }
    const res = h.sign(key);
    if (values.json) out(JSON.stringify({ path: h.path, key_id: res.keyId, signed: res.signed, already_signed: res.already }, null, 2));
    else out(`signed ${res.signed.length} runs with key ${res.keyId} (${res.already} already signed by it) in ${h.path}`);
    return 0;
  } finally {
    h.close();
  }
}

const SUB: Record<string, (argv: string[]) => number> = { list, show, merge, sign, verify };

export const historyVerb: Verb = {
  name: 'history',
  summary: 'list, show, merge, sign and verify the run history (SQLite)',
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    const fn = sub === undefined ? undefined : SUB[sub];
    if (!fn) throw usageError(`history: unknown sub-command '${sub ?? ''}' (list, show, merge, sign, verify)`, "run 'bpfcompat history --help'");
    return fn(rest);
  },
};
