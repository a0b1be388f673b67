import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import type { ResolvedKernel } from '../kernels/types.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { elfSection, isElf64Le } from '../infra/elf.ts';

// Which kernel modules go into the guest, in which order. Debian's .deb ships no modules.dep
// (depmod runs at install time), so dependencies come from modules.dep when present and otherwise
// from each module's own .modinfo "depends=" field.

export { ATTACH_MODULES, type WantedModule } from '../kernels/attach-modules.ts';
import { ATTACH_MODULES, type WantedModule } from '../kernels/attach-modules.ts';

export interface StagedModule {
  name: string;
  /** The file on the host, possibly compressed (.ko.xz / .ko.zst / .ko.gz). */
  hostPath: string;
  /** Where the guest finds it, always an uncompressed .ko, e.g. /lib/modules/<release>/kernel/drivers/net/veth.ko */
  guestPath: string;
}

export interface ModulePlan {
  /** In load order: every module after its dependencies. */
  load: StagedModule[];
  builtin: string[];
  /** Wanted but neither built in nor shipped: the guest boots without them and attach reports the gap. */
  missing: string[];
}

const KO_SUFFIX = /\.ko(\.xz|\.zst|\.gz)?$/;

/** Module name as the kernel spells it: file stem, dashes as underscores. */
export function moduleName(path: string): string {
  return basename(path).replace(KO_SUFFIX, '').replace(/-/g, '_');
}

/** modules.dep lines "kernel/a.ko: kernel/b.ko kernel/c.ko" → module name → dependency names. */
export function parseModulesDep(text: string): Map<string, { rel: string; deps: string[] }> {
  const out = new Map<string, { rel: string; deps: string[] }>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const rel = line.slice(0, colon).trim();
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean).map(moduleName);
    out.set(moduleName(rel), { rel, deps });
  }
  return out;
}

/** Every module the roots need, dependencies before dependents, each once. Throws on a name it cannot find. */
export function dependencyClosure(roots: readonly string[], depsOf: (name: string) => readonly string[] | undefined): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const onPath = new Set<string>();
  const visit = (name: string, from: string | null): void => {
    if (done.has(name) || onPath.has(name)) return; // a cycle cannot be ordered; the kernel rejects it anyway
    const deps = depsOf(name);
    if (deps === undefined) throw new Error(`module ${name}${from ? ` (needed by ${from})` : ''} is not in this kernel's modules`);
    onPath.add(name);
    for (const d of deps) visit(d, name);
    onPath.delete(name);
    done.add(name);
    order.push(name);
  };
  for (const r of roots) visit(r, null);
  return order;
}

/** The "depends=" list from a module's .modinfo section (ELF64 little endian, as on x86_64). */
export function modinfoDepends(ko: Buffer): string[] {
  if (!isElf64Le(ko)) throw new Error('not an ELF64 little-endian object');
  const modinfo = elfSection(ko, '.modinfo');
  for (const entry of modinfo ? modinfo.toString('latin1').split('\0') : []) {
    if (entry.startsWith('depends=')) return entry.slice('depends='.length).split(',').filter(Boolean).map((n) => n.replace(/-/g, '_'));
  }
  return [];
}

/** A module's bytes, decompressed so busybox insmod can load it. */
export async function readModule(hostPath: string): Promise<Buffer> {
  if (hostPath.endsWith('.ko')) return readFile(hostPath);
  if (hostPath.endsWith('.ko.gz')) return gunzipSync(await readFile(hostPath));
  const tool = hostPath.endsWith('.ko.xz') ? 'xz' : hostPath.endsWith('.ko.zst') ? 'zstd' : null;
  if (!tool) throw new Error(`unknown module format: ${hostPath}`);
  try {
    const r = await execa(tool, ['-dc', hostPath], { encoding: 'buffer', stripFinalNewline: false });
    return Buffer.from(r.stdout);
  } catch (err) {
    throw new BpfcompatError('TOOL_MISSING', `cannot decompress kernel module ${hostPath} with ${tool}: ${(err as Error).message.split('\n')[0]}`, {
      hint: `install ${tool === 'xz' ? 'xz-utils' : 'zstd'}`,
      cause: err,
    });
  }
}

/** Kconfig symbols set to y. */
export function builtinSymbols(configText: string): Set<string> {
  const out = new Set<string>();
  for (const m of configText.matchAll(/^(CONFIG_[A-Za-z0-9_]+)=y$/gm)) out.add(m[1]!);
  return out;
}

/** Every module file (.ko, .ko.xz, .ko.zst, .ko.gz) under dir. */
export async function listModuleFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && KO_SUFFIX.test(e.name)).map((e) => join(e.parentPath, e.name));
}

/** Decides which modules of this kernel to stage for `wanted`, with their dependencies, in load order. */
export async function planModules(kernel: ResolvedKernel, wanted: readonly WantedModule[] = ATTACH_MODULES): Promise<ModulePlan> {
  const plan: ModulePlan = { load: [], builtin: [], missing: [] };
  const symbols = kernel.configPath && existsSync(kernel.configPath) ? builtinSymbols(await readFile(kernel.configPath, 'utf8')) : new Set<string>();
  const modulesDir = kernel.modulesDir && existsSync(kernel.modulesDir) ? kernel.modulesDir : null;
  const builtinFile = modulesDir ? join(modulesDir, 'modules.builtin') : null;
  const builtinNames = new Set(builtinFile && existsSync(builtinFile) ? (await readFile(builtinFile, 'utf8')).split('\n').filter(Boolean).map(moduleName) : []);

  const roots: string[] = [];
  for (const w of wanted) {
    if (symbols.has(w.config) || builtinNames.has(w.name)) plan.builtin.push(w.name);
    else roots.push(w.name);
  }
  if (!modulesDir) {
    plan.missing.push(...roots);
    return plan;
  }

  // name → path relative to modulesDir, and a way to learn its dependencies.
  const index = new Map<string, { rel: string; deps: string[] | null }>();
  const depFile = join(modulesDir, 'modules.dep');
  if (existsSync(depFile)) {
    for (const [name, v] of parseModulesDep(await readFile(depFile, 'utf8'))) index.set(name, v);
  } else {
    for (const abs of await listModuleFiles(modulesDir)) index.set(moduleName(abs), { rel: abs.slice(modulesDir.length + 1), deps: null });
  }

  const present = roots.filter((r) => index.has(r));
  plan.missing.push(...roots.filter((r) => !index.has(r)));
  // Without modules.dep, read .modinfo of each module reached (breadth first) before ordering.
  const queue = [...present];
  while (queue.length > 0) {
    const name = queue.shift()!;
    const entry = index.get(name);
    if (!entry || entry.deps !== null) continue;
    const data = await readModule(join(modulesDir, entry.rel));
    entry.deps = modinfoDepends(data);
    queue.push(...entry.deps.filter((d) => !builtinNames.has(d)));
  }
  const order = dependencyClosure(present, (n) => {
    if (builtinNames.has(n)) return [];
    const e = index.get(n);
    return e ? (e.deps ?? []) : undefined;
  });
  for (const name of order) {
    const e = index.get(name);
    if (!e) continue;
    if (builtinNames.has(name)) continue;
    plan.load.push({ name, hostPath: join(modulesDir, e.rel), guestPath: `/lib/modules/${kernel.release}/${e.rel.replace(/\.(xz|zst|gz)$/, '')}` });
  }
  return plan;
}
