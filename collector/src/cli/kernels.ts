import { existsSync } from 'node:fs';
import { expandVersions } from '../kernels/versions.ts';
import { BpfcompatError, EXIT_COMPAT_FAILURE, usageError } from '../../../history/vocabulary/errors.ts';
import { openHistory } from '../../../history/src/index.ts';
import { loadMatrix, type Profile } from '../config/matrix.ts';
import { repositoryOf, staleness, type RepositoryKernel, type Staleness, type VerifiedKernel } from '../kernels/freshness.ts';
import { historyPath } from '../recording/history-path.ts';
import { cacheRoot } from '../infra/xdg.ts';
import { listCachedKernels, resolveKernel } from '../kernels/resolve.ts';
import type { ResolvedKernel } from '../kernels/types.ts';
import { bootImagePath } from '../kernels/pvh.ts';
import { parseFlags } from './args.ts';
import type { Verb } from './verb.ts';

// `bpfcompat kernels fetch|list`: fills and shows the kernel cache. Only parses flags and prints.

const HELP = `Usage:
  bpfcompat kernels fetch --matrix FILE [--profile ID ...] [--offline] [--json]
      Resolve each profile's kernel (Debian archive, apt or dnf repository, named distribution, .deb, .rpm or
      bzImage) into the cache, verifying InRelease (gpgv) or repomd.xml(.asc), the package index and each package
      by sha256 (and each rpm by its own signature; .rpm URLs by their sha256 pin). Profiles with versions: are
      expanded first.
      x86_64 kernels with a PVH entry also get their boot ELF extracted (docs/architecture.md, Boot), so the first
      run does not pay for it. Prints one line per profile: id, release, image sha256 (short), source. --json
      prints an array.
  bpfcompat kernels list [--json]
      List the kernels in the cache with their size.
  bpfcompat kernels list --available --matrix FILE [--profile ID ...] [--json]
      List every kernel version each profile's repository still carries (apt, dnf, Debian and the named
      distributions), newest first, read from the verified indexes; nothing is downloaded but the indexes.
      The first column is the value kernel.<source>.version pins.
  bpfcompat kernels outdated --matrix FILE [--history PATH] [--profile ID ...] [--json] [--fail-on-stale]
      List the profiles whose repository now has a newer kernel than the newest one with a verdict in the
      history (a profile with none counts as outdated). With --fail-on-stale, exit 2 when any is (the nightly's
      check); otherwise 0.

Flags:
  --matrix FILE   matrix file (e.g. matrices/debian.yaml)
  --profile ID    only this profile (repeatable)
  --offline       use only the cache (also BPFCOMPAT_OFFLINE=1)
  --json          machine-readable output on stdout
  --history PATH  history file (default $XDG_DATA_HOME/bpfcompat/history.sqlite)

Exit codes: 0 ok, 1 usage or infrastructure error (unreachable repository, bad key), 2 outdated with --fail-on-stale.

The cache is $BPFCOMPAT_CACHE_DIR, else $XDG_CACHE_HOME/bpfcompat (~/.cache/bpfcompat).`;

function source(k: ResolvedKernel): string {
  const o = k.origin;
  if (o.kind === 'debian') return `debian ${o.pocket ?? o.suite} ${o.package} ${o.version}`;
  if (o.kind === 'apt') return `${o.preset ?? 'apt'} ${o.suite} ${o.package} ${o.version}`;
  if (o.kind === 'dnf') return `${o.preset ?? 'dnf'} ${o.package} ${o.version}`;
  if (o.kind === 'deb') return `deb ${o.package}`;
  if (o.kind === 'rpm') return `rpm ${o.package}`;
  if (o.kind === 'ssh') return `ssh ${o.host}:${o.port}`;
  return `${o.kind} ${o.image}`;
}

async function matrixProfiles(verb: string, file: string | undefined, wanted: string[]): Promise<Profile[]> {
  if (!file) throw usageError(`${verb}: --matrix FILE is required`, `run 'bpfcompat ${verb} --help'`);
  const matrix = await loadMatrix(file);
  matrix.profiles = await expandVersions(matrix.profiles, { onProgress: (m) => process.stderr.write(m + '\n') });
  for (const id of wanted) {
    if (!matrix.profiles.some((p) => p.id === id)) {
      throw new BpfcompatError('UNKNOWN_PROFILE', `--profile ${id}: not in ${file} (profiles: ${matrix.profiles.map((p) => p.id).join(', ')})`, { hint: 'use one of the listed profile ids' });
    }
  }
  return wanted.length ? matrix.profiles.filter((p) => wanted.includes(p.id)) : matrix.profiles;
}

const repoContext = (p: Profile) => ({ profileId: p.id, arch: p.arch, cacheDir: cacheRoot(), offline: process.env.BPFCOMPAT_OFFLINE === '1', refresh: true, onProgress: (m: string) => process.stderr.write(m + '\n') });

async function listAvailable(values: { matrix?: string | undefined; profile?: string[] | undefined; json?: boolean | undefined }): Promise<number> {
  const profiles = await matrixProfiles('kernels list --available', values.matrix, values.profile ?? []);
  const out: Array<{ profile_id: string; versions: RepositoryKernel[] | null }> = [];
  for (const p of profiles) {
    const repo = await repositoryOf(p, repoContext(p));
    out.push({ profile_id: p.id, versions: repo ? repo.available : null });
    if (values.json) continue;
    if (!repo) {
      process.stdout.write(`${p.id}  (not from a repository)\n`);
      continue;
    }
    if (repo.available.length === 0) process.stdout.write(`${p.id}  (no versions)\n`);
    for (const v of repo.available) {
      const mark = repo.newest && v.version === repo.newest.version && v.where === repo.newest.where ? '  (resolves to)' : '';
      process.stdout.write(`${p.id}  ${v.version}  ${v.imagePackage} ${v.imageVersion}  ${v.where}${mark}\n`);
    }
  }
  if (values.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  return 0;
}

async function outdated(argv: string[]): Promise<number> {
  const { values } = parseFlags('kernels outdated', argv, {
    matrix: { type: 'string' },
    history: { type: 'string' },
    profile: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    'fail-on-stale': { type: 'boolean' },
  });
  const profiles = await matrixProfiles('kernels outdated', values.matrix, values.profile ?? []);
  const path = historyPath(values.history);
  if (!existsSync(path)) throw new BpfcompatError('HISTORY', `kernels outdated: no history at ${path}`, { hint: 'pass --history PATH (the file `bpfcompat test` records into)' });
  const history = openHistory(path, { readonly: true });
  let verified: VerifiedKernel[];
  try {
    const sources = new Map(history.listKernels().map((k) => [k.sha256, k.source]));
    verified = history.latestVerdicts()
      .filter((v) => v.status === 'pass' || v.status === 'fail')
      .map((v) => ({ profile_id: v.profile_id, source: sources.get(v.kernel_sha256) ?? {} }));
  } finally {
    history.close();
  }
  const rows: Staleness[] = [];
  for (const p of profiles) {
    const repo = await repositoryOf(p, repoContext(p));
    if (!repo) continue;
    const row = staleness(p.id, repo, verified);
    rows.push(row);
    if (values.json) continue;
    const have = row.verified ? `${row.verified.package} ${row.verified.version}` : 'never verified';
    const now = row.available ? `${row.available.package} ${row.available.version} (${row.available.where})` : 'none in the repository';
    process.stdout.write(`${p.id}  ${row.stale ? 'outdated' : 'current'}  verified: ${have}  repository: ${now}\n`);
  }
  if (values.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  const stale = rows.filter((r) => r.stale).length;
  process.stderr.write(`${stale} of ${rows.length} profile(s) outdated\n`);
  return values['fail-on-stale'] && stale > 0 ? EXIT_COMPAT_FAILURE : 0;
}

async function fetchKernels(argv: string[]): Promise<number> {
  const { values } = parseFlags('kernels fetch', argv, {
    matrix: { type: 'string' },
    profile: { type: 'string', multiple: true },
    offline: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const profiles = await matrixProfiles('kernels fetch', values.matrix, values.profile ?? []);
  const ac = new AbortController();
  const onSigint = (): void => ac.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  const out: Array<{ profile_id: string } & ResolvedKernel> = [];
  try {
    for (const p of profiles) {
      const k = await resolveKernel(p, {
        ...(values.offline ? { offline: true } : {}),
        signal: ac.signal,
        onProgress: (m) => process.stderr.write(m + '\n'),
      });
      await bootImagePath(k);
      out.push({ profile_id: p.id, ...k });
      if (!values.json) process.stdout.write(`${p.id}  ${k.release}  ${k.imageSha256.slice(0, 12)}  ${source(k)}\n`);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (values.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  return 0;
}

async function listKernels(argv: string[]): Promise<number> {
  const { values } = parseFlags('kernels list', argv, { json: { type: 'boolean' }, available: { type: 'boolean' }, matrix: { type: 'string' }, profile: { type: 'string', multiple: true } });
  if (values.available) return listAvailable(values);
  if (values.matrix || values.profile) throw usageError('kernels list: --matrix and --profile go with --available', "run 'bpfcompat kernels --help'");
  const kernels = await listCachedKernels();
  if (values.json) {
    process.stdout.write(JSON.stringify(kernels, null, 2) + '\n');
    return 0;
  }
  if (kernels.length === 0) process.stdout.write('no kernels in the cache (run `bpfcompat kernels fetch --matrix matrices/debian.yaml`)\n');
  for (const k of kernels) process.stdout.write(`${k.release}  ${k.imageSha256.slice(0, 12)}  ${(k.sizeBytes / 1e6).toFixed(0)} MB  ${source(k)}\n`);
  return 0;
}

export const kernelsVerb: Verb = {
  name: 'kernels',
  summary: 'fetch kernels of a matrix into the cache, list the cache or what repositories carry, find outdated profiles',
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'fetch') return fetchKernels(rest);
    if (sub === 'list') return listKernels(rest);
    if (sub === 'outdated') return outdated(rest);
    throw usageError(`kernels: unknown sub-command '${sub ?? ''}' (fetch, list or outdated)`, "run 'bpfcompat kernels --help'");
  },
};
