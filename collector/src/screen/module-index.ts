import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { listModuleFiles, moduleName, parseModulesDep, readModule } from '../guest/modules.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import type { ResolvedKernel } from '../kernels/types.ts';
import { elfBtfSection } from './btf-blob.ts';

// A kernel's modules, indexed once per image sha256 for the screen: each module's .BTF (split BTF on top of vmlinux)
// taken out of its .ko into <cache>/screen/modules/<imageSha256>/<module>.btf, and index.json naming, for every
// function, variable and type a module adds to vmlinux, the modules that hold it. A screen reads the index and hands
// the validator only the modules an object's names are in, instead of parsing a thousand per run.

/** Bumped when what the index holds or how it is built changes: an index of another layout is rebuilt. */
export const MODULE_INDEX_LAYOUT = 1;

const Names = z.record(z.string(), z.array(z.string()));

export const ModuleIndex = z.object({
  layout: z.literal(MODULE_INDEX_LAYOUT),
  release: z.string(),
  /** module name → its split BTF (a file in the index's directory), or why it has none */
  modules: z.record(z.string(), z.union([z.object({ btf: z.string() }), z.object({ missing: z.string() })])),
  /** names vmlinux lacks → the modules that add them (BTF FUNC, VAR, and struct/union/enum/typedef/fwd) */
  funcs: Names,
  vars: Names,
  types: Names,
});
export type ModuleIndex = z.infer<typeof ModuleIndex>;

/** One line of `bpfcompat-validator screen-modules`. */
const ModuleNames = z.object({
  path: z.string(),
  status: z.enum(['ok', 'unparsable']),
  error: z.string().optional(),
  funcs: z.array(z.string()).optional(),
  vars: z.array(z.string()).optional(),
  types: z.array(z.string()).optional(),
});

export interface KernelModuleIndex {
  /** <cache>/screen/modules/<imageSha256>/ */
  dir: string;
  index: ModuleIndex;
}

export const moduleIndexDir = (cacheDir: string, imageSha256: string): string => join(cacheDir, 'screen', 'modules', imageSha256);

/** A module's split BTF file in the index directory. */
export const moduleBtfPath = (dir: string, module: string): string => join(dir, `${module}.btf`);

/** Runs fn over items, at most `limit` at a time, results in item order. */
async function eachLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The kernel's module files by name: modules.dep's when present, else every .ko under the directory. */
async function moduleFiles(modulesDir: string): Promise<Map<string, string>> {
  const depFile = join(modulesDir, 'modules.dep');
  const files = new Map<string, string>();
  if (existsSync(depFile)) for (const [name, v] of parseModulesDep(await readFile(depFile, 'utf8'))) files.set(name, join(modulesDir, v.rel));
  else for (const abs of await listModuleFiles(modulesDir)) files.set(moduleName(abs), abs);
  return files;
}

/** One module's .BTF written to the index directory, or why it cannot be (no .BTF section, unreadable file). */
async function extractModuleBtf(name: string, hostPath: string, dir: string): Promise<{ btf: string } | { missing: string }> {
  let ko: Buffer;
  try {
    ko = await readModule(hostPath);
  } catch (e) {
    return { missing: `${hostPath}: ${(e as Error).message.split('\n')[0]}` };
  }
  const btf = elfBtfSection(ko);
  if (!btf) return { missing: `${hostPath}: no .BTF section (not an ELF64 little-endian module, or built without BTF)` };
  await writeFileAtomic(moduleBtfPath(dir, name), btf);
  return { btf: `${name}.btf` };
}

/** name → modules, each list sorted, from the validator's per-module names. */
function invert(lines: Array<{ module: string; names: string[] }>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { module, names } of lines) for (const n of names) (out[n] ??= []).push(module);
  for (const n of Object.keys(out)) out[n]!.sort();
  return out;
}

async function buildIndex(kernel: ResolvedKernel, vmlinuxBtf: string, dir: string, validatorPath: string, onProgress?: (m: string) => void): Promise<ModuleIndex> {
  const files = await moduleFiles(kernel.modulesDir!);
  const names = [...files.keys()].sort();
  onProgress?.(`indexing the BTF of ${names.length} modules of ${kernel.release} (once per kernel)`);
  const extracted = await eachLimited(names, 4, (n) => extractModuleBtf(n, files.get(n)!, dir));
  const modules: ModuleIndex['modules'] = {};
  names.forEach((n, i) => (modules[n] = extracted[i]!));
  const withBtf = names.filter((n) => 'btf' in modules[n]!);
  const tmp = await mkdtemp(join(tmpdir(), 'bpfcompat-modules-'));
  try {
    const list = join(tmp, 'modules.list');
    await writeFile(list, withBtf.map((n) => `${moduleBtfPath(dir, n)}\n`).join(''));
    const res = await execa(validatorPath, ['screen-modules', '--base', vmlinuxBtf, '--list', list], { reject: false, stdin: 'ignore', maxBuffer: 1024 * 1024 * 1024 });
    if (res.exitCode !== 0) {
      const line = String(res.stderr).split('\n').find((l) => l.trim()) ?? res.shortMessage ?? 'no output';
      throw new BpfcompatError('INTERNAL', `${dir}: indexing module BTF failed: ${line.replace(/^bpfcompat-validator screen-modules: /, '')}`, { hint: 'rebuild the validator (make -C validator)' });
    }
    const byPath = new Map(withBtf.map((n) => [moduleBtfPath(dir, n), n]));
    const parsed: Array<{ module: string; funcs: string[]; vars: string[]; types: string[] }> = [];
    for (const l of String(res.stdout).split('\n').filter((x) => x.trim())) {
      const m = ModuleNames.safeParse(JSON.parse(l));
      if (!m.success) throw new BpfcompatError('INTERNAL', `validator screen-modules output does not match the contract: ${l.slice(0, 120)}`, { hint: 'rebuild the validator (make -C validator)' });
      const module = byPath.get(m.data.path);
      if (!module) continue;
      if (m.data.status !== 'ok') modules[module] = { missing: `${m.data.path}: its BTF does not parse on top of vmlinux (${m.data.error ?? 'unknown error'})` };
      else parsed.push({ module, funcs: m.data.funcs ?? [], vars: m.data.vars ?? [], types: m.data.types ?? [] });
    }
    return {
      layout: MODULE_INDEX_LAYOUT, release: kernel.release, modules,
      funcs: invert(parsed.map((p) => ({ module: p.module, names: p.funcs }))),
      vars: invert(parsed.map((p) => ({ module: p.module, names: p.vars }))),
      types: invert(parsed.map((p) => ({ module: p.module, names: p.types }))),
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

const pending = new Map<string, Promise<KernelModuleIndex>>();
const loaded = new Map<string, KernelModuleIndex>();

async function readIndex(path: string): Promise<ModuleIndex | null> {
  const parsed = ModuleIndex.safeParse(JSON.parse(await readFile(path, 'utf8').catch(() => 'null')));
  return parsed.success ? parsed.data : null;
}

/**
 * The module index of a cached kernel, built on first use (a few seconds for a thousand modules) and then read from
 * <cache>/screen/modules/<imageSha256>/index.json. index.json is written last and atomically: a directory without it
 * is an interrupted build and is built again; two screens building at once write the same bytes.
 */
export function kernelModuleIndex(kernel: ResolvedKernel, vmlinuxBtf: string, cacheDir: string, validatorPath: string, onProgress?: (m: string) => void): Promise<KernelModuleIndex> {
  const dir = moduleIndexDir(cacheDir, kernel.imageSha256);
  const indexPath = join(dir, 'index.json');
  const hit = loaded.get(indexPath);
  if (hit) return Promise.resolve(hit);
  let p = pending.get(indexPath);
  if (p) return p;
  p = (async () => {
    let index = await readIndex(indexPath);
    if (!index) {
      if (!kernel.modulesDir || !existsSync(kernel.modulesDir)) throw new BpfcompatError('KERNEL_RESOLVE', `kernel ${kernel.release}: no modules directory to index`, { hint: 're-resolve the kernel (bpfcompat kernels fetch)' });
      index = await buildIndex(kernel, vmlinuxBtf, dir, validatorPath, onProgress);
      await writeFileAtomic(indexPath, JSON.stringify(index));
    }
    const k = { dir, index };
    loaded.set(indexPath, k);
    return k;
  })().finally(() => pending.delete(indexPath));
  pending.set(indexPath, p);
  return p;
}
