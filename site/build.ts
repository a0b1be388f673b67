import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { BpfcompatError } from '../history/vocabulary/errors.ts';
import { normaliseBase } from './src/lib/paths.ts';
import { forgetSiteData } from './src/lib/load.ts';
import { openDatabase } from '../history/src/database.ts';
import type { SigningKey } from '../history/vocabulary/signing.ts';
import { publishArtifacts, signSite } from './publish.ts';

// The programmatic site build behind `bpfcompat site build`: checks the inputs, runs Astro's build
// with the environment astro.config.mjs reads, and counts what was written. Prints nothing itself.

export interface SiteBuildOptions {
  history: string;
  out: string;
  base?: string;
  /** Astro's log level; the CLI keeps it at 'warn' so only problems reach the terminal. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** directories or files holding the tested objects: those the history names are published under /artifacts/<sha256>.bpf.o */
  withArtifacts?: readonly string[];
  /** signs api/v1/signatures.json (sha256 of every API file and object) */
  signKey?: SigningKey;
}

export interface SiteBuildResult {
  outDir: string;
  base: string;
  pages: number;
  files: number;
  bytes: number;
  durationMs: number;
  /** objects published, and sha256s of the history's objects not found among withArtifacts */
  artifacts: { published: number; missing: string[] } | null;
  /** the signing key's id and the files the signed manifest lists */
  signed: { keyId: string; files: number } | null;
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A base path is a URL path: letters, digits and -._~/ only, no '..', no scheme or host. */
export function checkBase(base: string): string {
  if (!/^[A-Za-z0-9._~\/-]*$/.test(base) || base.split('/').some((s) => s === '..' || s === '.')) {
    throw new BpfcompatError('USAGE', `--base '${base}' is not a URL path`, { hint: "use the path the site is served under, e.g. --base /REPO/ for https://OWNER.github.io/REPO/" });
  }
  return normaliseBase(base);
}

async function checkHistory(path: string): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new BpfcompatError('FILE_NOT_FOUND', `--history ${path}: no such file`, { hint: 'pass the history SQLite file written by bpfcompat test (--history PATH)' });
  }
  if (!st.isFile()) throw new BpfcompatError('HISTORY', `--history ${path}: not a file`, { hint: 'pass the history SQLite file, not a directory' });
  // Refuse a corrupt, foreign or newer-schema file before Astro creates the output directory.
  openDatabase(path, { readonly: true }).close();
}

async function countOutput(dir: string): Promise<{ pages: number; files: number; bytes: number }> {
  let pages = 0;
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    files++;
    if (entry.name.endsWith('.html')) pages++;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return { pages, files, bytes };
}

/**
 * Astro bundles the page code, so a BpfcompatError thrown while rendering (a corrupt history, say) is
 * an instance of the bundled copy of the class, possibly wrapped as a cause: rebuild it from its fields.
 */
function asBpfcompatError(err: unknown): BpfcompatError | null {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof BpfcompatError) return e;
    const x = e as { name?: unknown; code?: unknown; message?: unknown; hint?: unknown; exitCode?: unknown };
    if (x.name === 'BpfcompatError' && typeof x.code === 'string' && typeof x.message === 'string') {
      return new BpfcompatError(x.code as BpfcompatError['code'], x.message, { ...(typeof x.hint === 'string' ? { hint: x.hint } : {}), ...(typeof x.exitCode === 'number' ? { exitCode: x.exitCode } : {}), cause: err });
    }
  }
  return null;
}

export async function buildSite(opts: SiteBuildOptions): Promise<SiteBuildResult> {
  const history = resolve(opts.history);
  const outDir = resolve(opts.out);
  const base = checkBase(opts.base ?? '/');
  await checkHistory(history);
  const saved = { h: process.env.BPFCOMPAT_SITE_HISTORY, o: process.env.BPFCOMPAT_SITE_OUT, b: process.env.BPFCOMPAT_SITE_BASE, t: process.env.ASTRO_TELEMETRY_DISABLED };
  process.env.BPFCOMPAT_SITE_HISTORY = history;
  process.env.BPFCOMPAT_SITE_OUT = outDir;
  process.env.BPFCOMPAT_SITE_BASE = base;
  process.env.ASTRO_TELEMETRY_DISABLED = '1';
  forgetSiteData();
  const started = performance.now();
  // Astro stages prerendered chunks in <cwd>/.astro/.prerender (outDir outside cwd) and imports them from
  // there, so the staging directory must sit inside the repository (node_modules resolution). Building
  // from a fresh directory under site/.astro keeps concurrent builds (parallel test files, CI jobs) apart.
  const cwd = process.cwd();
  const staging = join(REPO_ROOT, 'site', '.astro', `build-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(staging, { recursive: true });
  process.chdir(staging);
  try {
    const { build } = await import('astro');
    await build({ root: REPO_ROOT, logLevel: opts.logLevel ?? 'warn' });
  } catch (err) {
    throw asBpfcompatError(err) ?? new BpfcompatError('INTERNAL', `site build failed: ${(err as Error).message.split('\n')[0]}`, { hint: 'set BPFCOMPAT_DEBUG=1 for the stack trace', cause: err });
  } finally {
    process.chdir(cwd);
    await rm(staging, { recursive: true, force: true });
    forgetSiteData();
    for (const [k, v] of [['BPFCOMPAT_SITE_HISTORY', saved.h], ['BPFCOMPAT_SITE_OUT', saved.o], ['BPFCOMPAT_SITE_BASE', saved.b], ['ASTRO_TELEMETRY_DISABLED', saved.t]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const artifacts = opts.withArtifacts ? await publishArtifacts(history, outDir, opts.withArtifacts) : null;
  const signed = opts.signKey ? await signSite(outDir, opts.signKey) : null;
  const durationMs = Math.round(performance.now() - started);
  return { outDir, base, durationMs, artifacts, signed, ...(await countOutput(outDir)) };
}
