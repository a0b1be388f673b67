import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { loadYamlFile } from './load.ts';
import { Matrix } from './matrix.ts';

// `bpfcompat matrix import`: the reference tool's matrix (a list of profile ids) plus its vm/profiles/<id>.yaml
// files become one bpfcompat matrix where that can be done faithfully: install_kernel with its kernel_packages
// on Debian and RHEL families → a kernel source (deb or rpm, booted directly); a cloud image with a local path →
// the disk-image lane. Everything else is named with the reason, never guessed.

const RefMatrix = z.strictObject({
  name: z.string().min(1),
  profiles: z.array(z.strictObject({ id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/), required: z.boolean().optional(), timeout: z.string().optional() })).min(1),
});

// Profiles are read as the reference reads them: unknown keys tolerated.
const RefProfile = z.looseObject({
  id: z.string(),
  distro: z.string(),
  version: z.string().optional(),
  kernel_family: z.string().optional(),
  arch: z.string().default('x86_64'),
  runner: z.string().default('vm'),
  image: z.looseObject({ source_url: z.string().optional(), local_path: z.string().optional(), sha256: z.string().optional() }).optional(),
  install_kernel: z.string().optional(),
  kernel_packages: z.array(z.string()).optional(),
  boot: z.looseObject({ memory_mb: z.number().optional(), cpus: z.number().optional() }).optional(),
});
type RefProfile = z.infer<typeof RefProfile>;

const DEBIAN_FAMILY = new Set(['debian', 'ubuntu']);
const RHEL_FAMILY = new Set(['rhel', 'almalinux', 'rocky', 'centos', 'centos-stream', 'oracle', 'ol', 'fedora', 'amzn', 'amazonlinux']);

export interface ImportResult {
  matrix: Matrix;
  converted: string[];
  /** profile id → why it was not converted */
  skipped: Array<{ id: string; reason: string }>;
  notes: string[];
}

type Converted = { profile: Record<string, unknown>; notes: string[] } | { reason: string };

function convertProfile(p: RefProfile, entry: { required?: boolean | undefined; timeout?: string | undefined }): Converted {
  const notes: string[] = [];
  if (p.runner !== 'vm') return { reason: `runner ${p.runner} has no bpfcompat lane (bpfcompat boots kernels directly, disk images or SSH hosts)` };
  const arch = { x86_64: 'x86_64', amd64: 'x86_64', aarch64: 'arm64', arm64: 'arm64' }[p.arch];
  if (!arch) return { reason: `arch ${p.arch} is not x86_64 or aarch64` };
  const out: Record<string, unknown> = { id: p.id, description: `${p.distro} ${p.version ?? ''} ${p.kernel_family ? `(Linux ${p.kernel_family})` : ''}`.replace(/\s+/g, ' ').trim() };
  if (entry.required === false) out.required = false;
  if (entry.timeout !== undefined) {
    if (/^\d+(ms|s|m|h)$/.test(entry.timeout)) out.timeout = entry.timeout;
    else notes.push(`${p.id}: timeout '${entry.timeout}' dropped (not a duration bpfcompat reads)`);
  }
  if (arch !== 'x86_64') out.arch = arch;
  if (p.boot?.memory_mb) out.memory_mb = Math.max(256, Math.min(4096, p.boot.memory_mb));
  if (p.boot?.cpus) out.cpus = Math.max(1, Math.min(4, p.boot.cpus));
  const distro = p.distro.toLowerCase();
  if (p.install_kernel) {
    const pkgs = p.kernel_packages ?? [];
    if (pkgs.length === 0) return { reason: `install_kernel ${p.install_kernel} without kernel_packages: bpfcompat boots a kernel from its packages; list their URLs` };
    if (DEBIAN_FAMILY.has(distro)) {
      const debs = pkgs.filter((u) => u.endsWith('.deb'));
      const image = debs.find((u) => /\/linux-image-(unsigned-)?[^/]+\.deb$/.test(u));
      if (!image || debs.length !== pkgs.length) return { reason: `kernel_packages has no linux-image .deb (or has other files): ${pkgs.join(', ')}` };
      const modules = debs.filter((u) => u !== image && /\/linux-modules-[^/]+\.deb$/.test(u));
      out.kernel = { deb: { package: image, ...(modules.length ? { modules: modules.map((m) => ({ package: m })) } : {}) } };
      notes.push(`${p.id}: the .deb URLs carry no sha256 pin; add sha256 for each once fetched (bpfcompat kernels fetch prints them)`);
      return { profile: out, notes };
    }
    if (RHEL_FAMILY.has(distro)) {
      const rpms = pkgs.filter((u) => u.endsWith('.rpm'));
      const core = rpms.find((u) => /\/kernel(-uek)?-core-[^/]+\.rpm$/.test(u)) ?? rpms.find((u) => /\/kernel(-uek)?-\d[^/]*\.rpm$/.test(u));
      if (!core || rpms.length !== pkgs.length) return { reason: `kernel_packages has no kernel-core .rpm (or has other files): ${pkgs.join(', ')}` };
      const modules = rpms.filter((u) => u !== core && /\/kernel(-uek)?-modules(-core)?-[^/]+\.rpm$/.test(u));
      out.kernel = { rpm: { package: core, ...(modules.length ? { modules: modules.map((m) => ({ package: m })) } : {}) } };
      notes.push(`${p.id}: the .rpm URLs carry no sha256 pin; add sha256 for each`);
      return { profile: out, notes };
    }
    return { reason: `install_kernel on distro ${p.distro}: only Debian- and RHEL-family packages are read` };
  }
  if (p.image?.local_path) {
    out.image = { path: p.image.local_path, ...(p.image.sha256 && /^[0-9a-f]{64}$/.test(p.image.sha256) ? { sha256: p.image.sha256 } : {}) };
    if (!existsSync(p.image.local_path)) notes.push(`${p.id}: image ${p.image.local_path} does not exist yet${p.image.source_url ? ` (download ${p.image.source_url})` : ''}`);
    return { profile: out, notes };
  }
  if (p.image?.source_url) return { reason: `image only by source_url ${p.image.source_url}: bpfcompat boots a local image; download it and set image.local_path` };
  return { reason: 'neither install_kernel with kernel_packages nor an image' };
}

export async function importReferenceMatrix(profilesDir: string, matrixFile: string): Promise<ImportResult> {
  const ref = await loadYamlFile(matrixFile, RefMatrix, "a reference matrix has name and profiles: [{id, required, timeout}]");
  const profiles: Record<string, unknown>[] = [];
  const skipped: ImportResult['skipped'] = [];
  const notes: string[] = [];
  for (const entry of ref.profiles) {
    const file = join(profilesDir, `${entry.id}.yaml`);
    if (!existsSync(file)) {
      skipped.push({ id: entry.id, reason: `no profile file ${file}` });
      continue;
    }
    const p = await loadYamlFile(file, RefProfile, 'a reference profile needs id, distro, arch and boot');
    const c = convertProfile(p, entry);
    if ('reason' in c) skipped.push({ id: entry.id, reason: c.reason });
    else {
      profiles.push(c.profile);
      notes.push(...c.notes);
    }
  }
  const matrix = profiles.length > 0 ? Matrix.parse({ name: ref.name, description: `imported from ${matrixFile}`, profiles }) : null;
  return { matrix: matrix as Matrix, converted: profiles.map((p) => p.id as string), skipped, notes };
}
