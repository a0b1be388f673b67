import { copyFile, mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { BpfcompatError, usageError } from '../../../history/vocabulary/errors.ts';
import { sha256File } from '../../../history/vocabulary/hash.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { RECIPES, recipeNames, rootfsFiles, type ImageRecipe } from './recipes.ts';
import { SIDECAR_FILE, type ImageSidecar } from './sidecar.ts';
import { imagesRoot } from './store.ts';

// `bpfcompat images build NAME`: mmdebstrap (signed indexes through apt's keyring) → rootfs directory →
// `mke2fs -d` ext4 → qcow2, plus the image's own vmlinuz/initrd beside it and image.json with sha256s.
// No partition table or bootloader: the lane boots the extracted kernel with root=/dev/vda, which is the
// measured simplest route. Everything happens in a temporary directory renamed into place at the end.

export interface BuildImageOptions {
  /** Final directory of the image; default <cache>/images/<name>. */
  outDir?: string;
  cacheDir?: string;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface BuiltImage {
  dir: string;
  sidecar: ImageSidecar;
  /** Wall time of the steps, for the figures in docs/lanes.md. */
  stepsMs: Record<'mmdebstrap' | 'mkfs' | 'qcow2' | 'hash', number>;
}

async function tool(cmd: string, args: string[], pkg: string, signal?: AbortSignal): Promise<void> {
  try {
    await execa(cmd, args, { ...(signal ? { cancelSignal: signal } : {}), stdin: 'ignore' });
  } catch (err) {
    const e = err as { code?: string; stderr?: string; shortMessage?: string };
    if (e.code === 'ENOENT') throw new BpfcompatError('TOOL_MISSING', `${cmd} is not installed`, { hint: `install Debian package ${pkg}` });
    const tail = (e.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    throw new BpfcompatError('INTERNAL', `${cmd} failed: ${tail || e.shortMessage || String(err)}`, { hint: 'see the message; re-run with a working network to deb.debian.org', cause: err });
  }
}

export function mmdebstrapArgs(r: ImageRecipe, target: string): string[] {
  return [
    '--mode=root', '--variant=minbase', `--architectures=${r.debianArch}`, '--components=main',
    // This project's archive copy has an expired Valid-Until; signatures are still checked.
    '--aptopt=Acquire::Check-Valid-Until "false"',
    '--dpkgopt=path-exclude=/usr/share/doc/*', '--dpkgopt=path-exclude=/usr/share/man/*', '--dpkgopt=path-exclude=/usr/share/locale/*',
    `--include=${r.packages.join(',')}`,
    r.suite, target, r.mirror,
  ];
}

async function onlyFile(dir: string, prefix: string): Promise<string> {
  const hits = (await readdir(dir)).filter((f) => f.startsWith(prefix)).sort();
  if (hits.length !== 1) throw new BpfcompatError('INTERNAL', `expected one ${prefix}* in ${dir}, found ${hits.length}`);
  return hits[0]!;
}

export async function buildImage(name: string, opts: BuildImageOptions = {}): Promise<BuiltImage> {
  const recipe = RECIPES[name];
  if (!recipe) throw usageError(`images build: unknown image '${name}' (known: ${recipeNames().join(', ')})`);
  if (process.getuid?.() !== 0) throw new BpfcompatError('USAGE', 'images build needs root (mmdebstrap --mode=root and a root-owned filesystem)', { hint: 'run it as root, e.g. sudo bpfcompat images build debian-12' });
  const progress = opts.onProgress ?? (() => {});
  const finalDir = opts.outDir ?? join(imagesRoot(opts.cacheDir), name);
  const parent = join(finalDir, '..');
  await mkdir(parent, { recursive: true });
  // Beside the final directory, so the last rename stays on one file system.
  const tmp = join(parent, `.build-${name}-${randomBytes(6).toString('hex')}`);
  const rootfs = join(tmp, 'rootfs');
  const t0 = performance.now();
  const stepsMs = { mmdebstrap: 0, mkfs: 0, qcow2: 0, hash: 0 };
  try {
    await mkdir(tmp);
    progress(`mmdebstrap ${recipe.suite} from ${recipe.mirror} (${recipe.packages.length} packages on minbase)`);
    let t = performance.now();
    await tool('mmdebstrap', mmdebstrapArgs(recipe, rootfs), 'mmdebstrap', opts.signal);
    stepsMs.mmdebstrap = Math.round(performance.now() - t);

    for (const [p, content] of Object.entries(rootfsFiles())) {
      await mkdir(join(rootfs, p, '..'), { recursive: true });
      await writeFile(join(rootfs, p), content);
    }
    // What `systemctl enable systemd-networkd` does, without needing systemctl on the host.
    const units = '/lib/systemd/system';
    for (const [wants, unit] of [['multi-user.target.wants', 'systemd-networkd.service'], ['sockets.target.wants', 'systemd-networkd.socket'], ['network-online.target.wants', 'systemd-networkd-wait-online.service']] as const) {
      await mkdir(join(rootfs, 'etc/systemd/system', wants), { recursive: true });
      await rm(join(rootfs, 'etc/systemd/system', wants, unit), { force: true });
      await symlink(`${units}/${unit}`, join(rootfs, 'etc/systemd/system', wants, unit));
    }
    await rm(join(rootfs, 'etc/systemd/system/dbus-org.freedesktop.network1.service'), { force: true });
    await symlink(`${units}/systemd-networkd.service`, join(rootfs, 'etc/systemd/system/dbus-org.freedesktop.network1.service'));
    // Host keys made by openssh-server's postinst would be shared by every copy of the image; each boot
    // gets the per-run key the lane pins (cloud-init ssh_keys).
    for (const f of await readdir(join(rootfs, 'etc/ssh'))) if (f.startsWith('ssh_host_')) await rm(join(rootfs, 'etc/ssh', f));

    const kernelFile = await onlyFile(join(rootfs, 'boot'), 'vmlinuz-');
    const initrdFile = await onlyFile(join(rootfs, 'boot'), 'initrd.img-');
    await copyFile(join(rootfs, 'boot', kernelFile), join(tmp, 'vmlinuz'));
    await copyFile(join(rootfs, 'boot', initrdFile), join(tmp, 'initrd.img'));

    progress(`mke2fs -d: ${recipe.diskSizeMb} MB ext4`);
    t = performance.now();
    await tool('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'bpfcompat-root', '-d', rootfs, join(tmp, 'disk.raw'), `${recipe.diskSizeMb}M`], 'e2fsprogs', opts.signal);
    stepsMs.mkfs = Math.round(performance.now() - t);
    await rm(rootfs, { recursive: true, force: true });
    progress('qemu-img convert → qcow2');
    t = performance.now();
    await tool('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', join(tmp, 'disk.raw'), join(tmp, 'disk.qcow2')], 'qemu-utils', opts.signal);
    stepsMs.qcow2 = Math.round(performance.now() - t);
    await rm(join(tmp, 'disk.raw'), { force: true });

    t = performance.now();
    const [disk, kernel, initrd] = await Promise.all(['disk.qcow2', 'vmlinuz', 'initrd.img'].map((f) => sha256File(join(tmp, f))));
    stepsMs.hash = Math.round(performance.now() - t);
    const sidecar: ImageSidecar = {
      schema: 1,
      name,
      disk: { file: 'disk.qcow2', format: 'qcow2', sha256: disk! },
      kernel: { file: 'vmlinuz', sha256: kernel!, release: kernelFile.slice('vmlinuz-'.length) },
      initrd: { file: 'initrd.img', sha256: initrd! },
      cmdline: recipe.cmdline,
      arch: 'x86_64',
      suite: recipe.suite,
      packages: recipe.packages,
      built_at: new Date().toISOString(),
      build_ms: Math.round(performance.now() - t0),
    };
    await writeFileAtomic(join(tmp, SIDECAR_FILE), `${JSON.stringify(sidecar, null, 2)}\n`);
    // Swap in: the old image (if any) moves aside first, so a reader never sees a half image.
    const old = join(parent, `.old-${name}-${randomBytes(6).toString('hex')}`);
    let moved = false;
    try {
      await rename(finalDir, old);
      moved = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await rename(tmp, finalDir);
    if (moved) await rm(old, { recursive: true, force: true });
    progress(`built ${finalDir} in ${(sidecar.build_ms / 1000).toFixed(1)} s (disk sha256 ${disk!.slice(0, 12)})`);
    return { dir: finalDir, sidecar, stepsMs };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
