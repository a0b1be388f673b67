import { BpfcompatError, usageError } from '../../../history/vocabulary/errors.ts';
import { loadMatrix } from '../config/matrix.ts';
import { listCachedKernels, resolveKernel } from '../kernels/resolve.ts';
import type { ResolvedKernel } from '../kernels/types.ts';
import { bootImagePath } from '../kernels/pvh.ts';
import { parseFlags } from './args.ts';
import type { Verb } from './verb.ts';

// `bpfcompat kernels fetch|list`: fills and shows the kernel cache. Only parses flags and prints.

const HELP = `Usage:
  bpfcompat kernels fetch --matrix FILE [--profile ID ...] [--offline] [--json]
      Resolve each profile's kernel (Debian archive, .deb, .rpm or bzImage) into the cache, verifying
      InRelease (gpgv), the Packages index and each .deb by sha256 (.rpm URLs by their sha256 pin).
      x86_64 kernels with a PVH entry also get their boot ELF extracted (docs/architecture.md, Boot), so the first
      run does not pay for it. Prints one line per profile: id, release, image sha256 (short), source. --json
      prints an array.
  bpfcompat kernels list [--json]
      List the kernels in the cache with their size.

Flags:
  --matrix FILE   matrix file (e.g. matrices/debian.yaml)
  --profile ID    only this profile (repeatable)
  --offline       use only the cache (also BPFCOMPAT_OFFLINE=1)
  --json          machine-readable output on stdout

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

async function fetchKernels(argv: string[]): Promise<number> {
  const { values } = parseFlags('kernels fetch', argv, {
    matrix: { type: 'string' },
    profile: { type: 'string', multiple: true },
    offline: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (!values.matrix) throw usageError('kernels fetch: --matrix FILE is required', "run 'bpfcompat kernels fetch --help'");
  const matrix = await loadMatrix(values.matrix);
  const wanted = values.profile ?? [];
  for (const id of wanted) {
    if (!matrix.profiles.some((p) => p.id === id)) {
      throw new BpfcompatError('UNKNOWN_PROFILE', `--profile ${id}: not in ${values.matrix} (profiles: ${matrix.profiles.map((p) => p.id).join(', ')})`, { hint: 'use one of the listed profile ids' });
    }
  }
  const profiles = wanted.length ? matrix.profiles.filter((p) => wanted.includes(p.id)) : matrix.profiles;
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
  const { values } = parseFlags('kernels list', argv, { json: { type: 'boolean' } });
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
  summary: 'fetch kernels of a matrix into the cache, or list the cache',
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'fetch') return fetchKernels(rest);
    if (sub === 'list') return listKernels(rest);
    throw usageError(`kernels: unknown sub-command '${sub ?? ''}' (fetch or list)`, "run 'bpfcompat kernels --help'");
  },
};
