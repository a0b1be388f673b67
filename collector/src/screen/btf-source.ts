import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { sha256File } from '../../../history/vocabulary/hash.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { bzImagePayload, decompressPayload, pvhElfPath } from '../kernels/pvh.ts';
import { elfBtfSection, rawImageBtf } from './btf-blob.ts';
import { kernelModuleIndex, type KernelModuleIndex } from './module-index.ts';
import { ATTACH_MODULES, planModules } from '../guest/modules.ts';
import { channelModules } from '../guest/guest-arch.ts';
import { locateValidator } from '../validation/validator-binary.ts';
import type { ResolvedKernel } from '../kernels/types.ts';

export { elfBtfSection, rawImageBtf } from './btf-blob.ts';

// Where a kernel's BTF comes from, for the screen: the .BTF section of the kernel image (the PVH ELF the cache
// already extracts on x86_64, the decompressed Image on arm64), or raw BTF files in BTFhub's layout
// (<distro>/<release>/<arch>/<uname -r>.btf[.tar.xz]). Extractions are cached by the sha256 of what they came from.

/** One kernel as the screen sees it: where its BTF is, or why it has none. */
export interface ScreenKernel {
  id: string;
  release: string | null;
  imageSha256: string | null;
  btfPath: string | null;
  btfSha256: string | null;
  /** why btfPath is null (no BTF in the image, archive without a .btf) */
  btfMissing: string | null;
  systemMapPath: string | null;
  configPath: string | null;
  /** the split BTF of the modules this object needs (chosen per object from moduleIndex, at most 64) */
  modulesBtf: string[];
  /** the kernel's module index (matrix kernels); null when it has none, and moduleIndexMissing says why */
  moduleIndex?: KernelModuleIndex | null;
  moduleIndexMissing?: string | null;
  /** the modules the boot loads into its guest (attach and result-channel modules, their dependencies); null: unknown */
  bootModules?: string[] | null;
}

const pending = new Map<string, Promise<{ path: string | null; reason: string | null }>>();

/** vmlinux BTF of a cached kernel, extracted once per image sha256 into <cache>/screen/btf/. */
export function kernelBtf(kernel: ResolvedKernel, cacheDir: string): Promise<{ path: string | null; reason: string | null }> {
  const dir = join(cacheDir, 'screen', 'btf');
  const btfPath = join(dir, `${kernel.imageSha256}.btf`);
  const nonePath = join(dir, `${kernel.imageSha256}.none`);
  if (existsSync(btfPath)) return Promise.resolve({ path: btfPath, reason: null });
  let p = pending.get(btfPath);
  if (p) return p;
  p = (async () => {
    if (existsSync(nonePath)) return { path: null, reason: (await readFile(nonePath, 'utf8')).trim() };
    let btf: Buffer | null = null;
    let reason = 'the kernel image holds no .BTF section (built without CONFIG_DEBUG_INFO_BTF)';
    if (kernel.arch === 'x86_64') {
      // the PVH ELF the boot cache keeps; a kernel without a PVH note is decompressed here (its BTF is cached)
      const elf = await pvhElfPath(kernel, cacheDir);
      const image = elf ?? kernel.imagePath;
      const bytes = await readFile(image).catch((e: NodeJS.ErrnoException) => { throw new BpfcompatError('KERNEL_RESOLVE', `${image}: ${e.code ?? e.message}`, { hint: 're-resolve the kernel (bpfcompat kernels fetch)' }); });
      const payload = elf ? null : bzImagePayload(bytes);
      btf = elfBtfSection(payload ? ((await decompressPayload(payload).catch(() => null)) ?? bytes) : bytes);
      if (!btf && !elf && !payload) reason = 'the image is neither a bzImage with a known payload nor an ELF with .BTF';
    } else {
      let bytes = await readFile(kernel.imagePath);
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
      btf = elfBtfSection(bytes) ?? rawImageBtf(bytes);
    }
    if (!btf) {
      await writeFileAtomic(nonePath, `${reason}\n`);
      return { path: null, reason };
    }
    await writeFileAtomic(btfPath, btf);
    return { path: btfPath, reason: null };
  })().finally(() => pending.delete(btfPath));
  pending.set(btfPath, p);
  return p;
}

/**
 * Debian's linux-image packages ship a one-line stand-in ("ffffffffffffffff B The real System.map is in the
 * linux-image-<version>-dbg package"): read as a symbol table it would make every kprobe target "missing". Only a
 * file that starts like a real table (an address, a type, a name, and more than that one line) is one.
 */
export function realSystemMap(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('latin1');
    const lines = head.split('\n').filter((l) => l !== '');
    return !/The real System\.map is in/.test(head) && lines.length > 1 && lines.every((l, i) => i === lines.length - 1 || /^[0-9a-f]+ [A-Za-z] \S+/.test(l));
  } finally {
    closeSync(fd);
  }
}

/** The modules the boot's guest loads on this kernel (planModules, as the initramfs builder asks), null if unknown. */
async function bootModules(kernel: ResolvedKernel): Promise<string[] | null> {
  try {
    return (await planModules(kernel, [...channelModules(kernel.arch), ...ATTACH_MODULES])).load.map((m) => m.name);
  } catch {
    return null;
  }
}

/**
 * A matrix kernel for the screen: its BTF, config, System.map when the package's copy was kept (a real one), and its
 * module index (built once per image; validatorPath runs `screen-modules`) with the modules the boot loads.
 */
export async function screenKernelFromCache(id: string, kernel: ResolvedKernel, cacheDir: string, opts: { validatorPath?: string; onProgress?: (m: string) => void } = {}): Promise<ScreenKernel> {
  const btf = await kernelBtf(kernel, cacheDir);
  const maps = [kernel.modulesDir && join(kernel.modulesDir, 'System.map'), join(dirname(kernel.imagePath), 'System.map')].filter((p): p is string => !!p);
  let moduleIndex: KernelModuleIndex | null = null;
  let moduleIndexMissing: string | null = null;
  if (!btf.path) moduleIndexMissing = 'the kernel has no BTF';
  else if (!kernel.modulesDir || !existsSync(kernel.modulesDir)) moduleIndexMissing = 'the kernel ships no modules directory';
  else {
    try {
      moduleIndex = await kernelModuleIndex(kernel, btf.path, cacheDir, opts.validatorPath ?? (await locateValidator()).path, opts.onProgress);
    } catch (e) {
      if (!(e instanceof BpfcompatError)) throw e;
      moduleIndexMissing = e.message;
    }
  }
  return {
    id, release: kernel.release, imageSha256: kernel.imageSha256,
    btfPath: btf.path, btfSha256: btf.path ? await sha256File(btf.path) : null, btfMissing: btf.reason,
    systemMapPath: maps.find((m) => existsSync(m) && realSystemMap(m)) ?? null,
    configPath: kernel.configPath, modulesBtf: [],
    moduleIndex, moduleIndexMissing, bootModules: moduleIndex ? await bootModules(kernel) : null,
  };
}

async function walk(dir: string, out: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if ((e.isFile() || e.isSymbolicLink()) && /\.btf(\.tar\.xz)?$/.test(e.name)) out.push(p);
  }
}

/** The raw BTF of a BTFhub archive (<uname -r>.btf.tar.xz holds <uname -r>.btf), cached by the archive's sha256. */
async function unpackHubArchive(path: string, cacheDir: string): Promise<string | null> {
  const sha = await sha256File(path);
  const out = join(cacheDir, 'screen', 'btfhub', `${sha}.btf`);
  if (existsSync(out)) return out;
  const res = await execa('tar', ['-xJOf', path], { encoding: 'buffer', reject: false, stdin: 'ignore', maxBuffer: 512 * 1024 * 1024 });
  if (res.exitCode !== 0 || !res.stdout.length) return null;
  await writeFileAtomic(out, res.stdout);
  return out;
}

/**
 * --btf PATH…: files (.btf raw BTF, .btf.tar.xz BTFhub archives, or an ELF with .BTF) and directories in BTFhub's
 * layout. A kernel's id is its path under the directory given, without the extension (ubuntu/20.04/x86_64/5.4.0-…).
 */
export async function screenKernelsFromPaths(paths: string[], cacheDir: string): Promise<ScreenKernel[]> {
  const kernels: ScreenKernel[] = [];
  // one hash per file, however many names (links) point at it
  const hashes = new Map<string, Promise<string>>();
  const hashOf = async (p: string) => {
    const real = await realpath(p);
    let h = hashes.get(real);
    if (!h) hashes.set(real, (h = sha256File(real)));
    return h;
  };
  for (const given of paths) {
    const st = await stat(given).catch(() => null);
    if (!st) throw new BpfcompatError('USAGE', `--btf ${given}: no such file or directory`, { hint: 'give raw BTF files (.btf, .btf.tar.xz) or a directory in BTFhub\'s layout' });
    const files: string[] = [];
    if (st.isDirectory()) {
      await walk(given, files);
      if (!files.length) throw new BpfcompatError('USAGE', `--btf ${given}: no .btf or .btf.tar.xz file under this directory`, { hint: 'BTFhub layout: <distro>/<release>/<arch>/<uname -r>.btf.tar.xz' });
      files.sort();
    } else files.push(given);
    for (const f of files) {
      const id = (st.isDirectory() ? relative(given, f) : f).replace(/\.btf(\.tar\.xz)?$/, '');
      const release = id.split('/').pop() ?? null;
      let btfPath: string | null = f;
      let missing: string | null = null;
      if (f.endsWith('.tar.xz')) {
        btfPath = await unpackHubArchive(f, cacheDir);
        if (!btfPath) missing = `${f}: not a readable .tar.xz holding a .btf`;
      }
      kernels.push({ id, release, imageSha256: null, btfPath, btfSha256: btfPath ? await hashOf(btfPath) : null, btfMissing: missing, systemMapPath: null, configPath: null, modulesBtf: [] });
    }
  }
  return kernels;
}
