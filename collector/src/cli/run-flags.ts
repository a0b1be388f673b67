import type { Profile } from '../config/matrix.ts';
import { availableParallelism } from 'node:os';
import { usageError } from '../../../history/vocabulary/errors.ts';
import { labelProblem } from '../../../history/vocabulary/labels.ts';
import { intFlag } from './args.ts';

// The flags every verb that runs targets shares (test, test --command, test-command): one list, so they cannot drift.
export const RUN_FLAGS = {
  artifact: { type: 'string' },
  matrix: { type: 'string' },
  profile: { type: 'string', multiple: true },
  out: { type: 'string' },
  markdown: { type: 'string' },
  junit: { type: 'string' },
  jobs: { type: 'string' },
  concurrency: { type: 'string' },
  quick: { type: 'boolean' },
  'keep-vm-on-failure': { type: 'boolean' },
  'artifact-uri': { type: 'string' },
  timeout: { type: 'string' },
  workdir: { type: 'string' },
  'artifact-name': { type: 'string' },
  'artifact-version': { type: 'string' },
  'artifact-variant': { type: 'string' },
  history: { type: 'string' },
  'no-history': { type: 'boolean' },
  'sign-key': { type: 'string' },
  fresh: { type: 'boolean' },
  offline: { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  'guest-tool': { type: 'string', multiple: true },
} as const;

/** The matrix's profiles named by --profile (all when none is given); an unknown id is a usage error. */
export function selectProfiles(profiles: Profile[], ids: readonly string[] | undefined, matrixPath: string): Profile[] {
  if (!ids?.length) return profiles;
  const known = new Set(profiles.map((p) => p.id));
  for (const id of ids) if (!known.has(id)) throw usageError(`--profile ${id}: not in ${matrixPath}`, `profiles there: ${[...known].join(', ')}`);
  return profiles.filter((p) => ids.includes(p.id));
}

/** --artifact-name/-version/-variant end up on terminals, in Markdown and on the site: printable text only. */
export function checkLabelFlags(values: { 'artifact-name'?: string | undefined; 'artifact-version'?: string | undefined; 'artifact-variant'?: string | undefined }): void {
  for (const flag of ['artifact-name', 'artifact-version', 'artifact-variant'] as const) {
    const v = values[flag];
    if (v === undefined) continue;
    if (v === '') throw usageError(`--${flag}: must not be empty`);
    const problem = labelProblem(v);
    if (problem) throw usageError(`--${flag}: ${problem}`, 'names, versions and variants are one line of printable text');
  }
}

/** --jobs, or the reference's name for it, --concurrency (both given: they must agree). */
export function jobsFlag(jobs: string | undefined, concurrency: string | undefined, dflt = availableParallelism()): number {
  if (jobs !== undefined && concurrency !== undefined && jobs !== concurrency) throw usageError(`--jobs ${jobs} and --concurrency ${concurrency} disagree`, '--concurrency is another name for --jobs: pass one of them');
  return intFlag(jobs !== undefined ? 'jobs' : 'concurrency', jobs ?? concurrency, dflt, 1, 64);
}

/** The shipped matrix `--quick` stands for: three Debian kernels, oldest, middle and newest of the archive. */
export const QUICK_MATRIX = 'quick';

/** --matrix, or --quick for the shipped quick matrix; exactly one of them. */
export function matrixFlag(matrix: string | undefined, quick: boolean | undefined): string | undefined {
  if (quick && matrix !== undefined) throw usageError(`--quick and --matrix ${matrix} both name a matrix`, '--quick is the shipped matrix "quick": pass one of them');
  return quick ? QUICK_MATRIX : matrix;
}

/** --artifact-uri: where the artifact is published, recorded in the report (metadata only; nothing is fetched from it). */
export function artifactUriFlag(uri: string | undefined): string | null {
  if (uri === undefined) return null;
  if (uri.trim() === '' || /[\s\u0000-\u001f]/.test(uri)) throw usageError(`--artifact-uri '${uri}': must be a URI without spaces or control characters`);
  // fetch follows it (checking the sha256): only http(s), never a local file or another scheme
  if (!/^https?:\/\/[^\s/]+/.test(uri)) throw usageError(`--artifact-uri '${uri}' is not an http(s) URL`, 'name where the tested object can be downloaded, e.g. https://example.org/agent/1.0/agent.bpf.o');
  return uri;
}
