import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { label, loadYamlFile } from './load.ts';
import { ImageSource } from './image-source.ts';
import { SshSource } from './ssh-source.ts';

// A matrix carries its kernels itself (no profile files resolved from the working directory).

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (a sha256)');
const duration = z.string().regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 90s, 5m or 1h');

export const DebianKernelSource = z.strictObject({
  suite: z.enum(['bullseye', 'bookworm', 'bookworm-backports', 'trixie', 'trixie-backports', 'forky', 'sid', 'unstable', 'testing', 'stable', 'oldstable']),
  flavour: z.string().regex(/^[a-z0-9][a-z0-9-]*$/).default('cloud-amd64'),
  /** Exact Debian package version, e.g. 6.1.158-1; newest when absent. */
  version: z.string().regex(/^[A-Za-z0-9.+~:-]{1,128}$/).optional(),
  /** Pin of the kernel .deb's sha256 (fail closed on mismatch). */
  sha256: sha256.optional(),
  mirror: z.url().optional(),
  /** Which pockets count: release (the point release), security (+ <suite>-security) or updates (+ -updates and
   *  -security: what an updated machine runs, the default for suites that have them). */
  pocket: z.enum(['release', 'security', 'updates']).optional(),
});

export const DebKernelSource = z.strictObject({
  /** URL (https/http) or local path of a kernel .deb (linux-image-* or linux-binary-*). */
  package: z.string().min(1),
  sha256: sha256.optional(),
  /** Extra .debs with the modules when the image package does not carry them (sid's linux-modules-*). */
  modules: z.array(z.strictObject({ package: z.string().min(1), sha256: sha256.optional() })).default([]),
});

export const FileKernelSource = z.strictObject({
  image: z.string().min(1),
  modules_dir: z.string().min(1).optional(),
  config: z.string().min(1).optional(),
  release: z.string().min(1).optional(),
});

export const RpmKernelSource = z.strictObject({
  /** URL (https/http) or local path of a kernel .rpm (kernel-core-*, or a kernel-* that carries vmlinuz). */
  package: z.string().min(1),
  sha256: sha256.optional(),
  /** Extra .rpms with the modules when the image package does not carry them (Fedora's kernel-modules-*). */
  modules: z.array(z.strictObject({ package: z.string().min(1), sha256: sha256.optional() })).default([]),
});

const debVersion = z.string().regex(/^[A-Za-z0-9.+~:-]{1,128}$/, 'must be a package version such as 6.8.0-151.161');

/** Any signed apt repository (docs/matrix.md#apt). */
export const AptKernelSource = z.strictObject({
  /** Repository root, the part before dists/ (http://archive.ubuntu.com/ubuntu). */
  url: z.url(),
  suite: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/, 'must be a suite or codename such as noble-updates'),
  component: z.string().regex(/^[a-z0-9][a-z0-9-]*$/).default('main'),
  /** The package to install: a metapackage (linux-image-generic) is followed through Depends to the kernel. */
  package: z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, 'must be a Debian package name'),
  /** Exact version of `package`; the newest when absent. */
  version: debVersion.optional(),
  /** The OpenPGP key InRelease must be signed by: a binary .gpg or armored .asc file, relative to the matrix. */
  keyring: z.string().min(1),
});

/** Any dnf/yum repository (docs/matrix.md#dnf). */
export const DnfKernelSource = z.strictObject({
  /** The directory that holds repodata/ (https://repo.almalinux.org/almalinux/9/BaseOS/x86_64/os). */
  baseurl: z.url(),
  /** The package with the image: kernel-core (Fedora, RHEL 8+), kernel (Amazon Linux 2), kernel-uek-core. */
  package: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9+._-]*$/, 'must be an rpm package name').default('kernel-core'),
  /** version or version-release (5.14.0 or 5.14.0-503.el9); the newest when absent. */
  version: z.string().regex(/^[A-Za-z0-9.+~^_-]{1,128}$/).optional(),
  /** The OpenPGP key the packages (and repomd.xml.asc, when published) are signed by, relative to the matrix. */
  keyring: z.string().min(1),
});

// Named distributions (kernels/presets/distributions.ts expands them to apt or dnf sources).
const releaseOf = (allowed: readonly number[]) =>
  z.coerce.number().int().refine((v) => allowed.includes(v), { message: `must be one of ${allowed.join(', ')}` });
export const UBUNTU_RELEASE_NAMES = ['18.04', '20.04', '22.04', '24.04', '25.04', '25.10'] as const;
const pocket = z.enum(['release', 'security', 'updates']).default('updates');
export const UbuntuKernelSource = z.strictObject({
  // YAML reads 24.04 as a number: take it back to the two-decimal text Ubuntu names its releases by.
  release: z.union([z.string(), z.number()]).transform((v) => (typeof v === 'number' ? v.toFixed(2) : v)).pipe(z.enum(UBUNTU_RELEASE_NAMES, { message: `must be one of ${UBUNTU_RELEASE_NAMES.join(', ')}` })),
  flavour: z.enum(['generic', 'lowlatency', 'virtual', 'kvm', 'aws', 'azure', 'gcp', 'gke', 'oracle', 'ibm', 'generic-hwe-18.04', 'generic-hwe-20.04', 'generic-hwe-22.04', 'generic-hwe-24.04']).default('generic'),
  pocket,
  version: debVersion.optional(),
});
const rpmVersion = z.string().regex(/^[A-Za-z0-9.+~^_-]{1,128}$/).optional();
export const RhelKernelSource = z.strictObject({ release: releaseOf([8, 9, 10]), version: rpmVersion });
export const OracleKernelSource = z.strictObject({ release: releaseOf([8, 9]), kernel: z.enum(['uek', 'rhck']).default('uek'), version: rpmVersion });
export const AmazonKernelSource = z.strictObject({ release: releaseOf([2, 2023]), version: rpmVersion });
export const FedoraKernelSource = z.strictObject({ release: z.coerce.number().int().min(38, 'must be 38 or later (older releases are archived)'), version: rpmVersion });
export const PRESET_KEYS = ['ubuntu', 'almalinux', 'rocky', 'centos-stream', 'oracle', 'amazon', 'fedora'] as const;

// One object with optional keys (not a union) so that an error inside one names its exact key path.
export const KernelSource = z
  .strictObject({
    debian: DebianKernelSource.optional(),
    apt: AptKernelSource.optional(),
    dnf: DnfKernelSource.optional(),
    ubuntu: UbuntuKernelSource.optional(),
    almalinux: RhelKernelSource.optional(),
    rocky: RhelKernelSource.optional(),
    'centos-stream': RhelKernelSource.optional(),
    oracle: OracleKernelSource.optional(),
    amazon: AmazonKernelSource.optional(),
    fedora: FedoraKernelSource.optional(),
    deb: DebKernelSource.optional(),
    rpm: RpmKernelSource.optional(),
    file: FileKernelSource.optional(),
  })
  .refine((k) => Object.values(k).filter((x) => x !== undefined).length === 1, { message: `must have exactly one of debian, apt, dnf, deb, rpm, file, ${PRESET_KEYS.join(', ')}` });

export const Profile = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  required: z.boolean().default(true),
  description: z.string().optional(),
  /** arm64 boots Debian's arm64 kernels with qemu-system-aarch64 (emulated on x86 hosts). */
  arch: z.enum(['x86_64', 'arm64']).default('x86_64'),
  /** The lane: exactly one of kernel (direct boot), image (disk image over SSH) or ssh (an existing machine). */
  kernel: KernelSource.optional(),
  /** One profile per version the repository carries: all, or the newest N (latest:N). */
  versions: z.string().regex(/^(all|latest:[1-9]\d{0,2})$/, 'must be all or latest:N (N from 1 to 999)').optional(),
  image: ImageSource.optional(),
  ssh: SshSource.optional(),
  timeout: duration.optional(),
  memory_mb: z.number().int().min(256).max(16384).default(1024),
  cpus: z.number().int().min(1).max(8).default(1),
  /** The guest's -cpu model (a QEMU CPU model with optional feature switches); default: a real server class under
   *  TCG (vm/machine.ts), "host" under KVM. Part of every result key. */
  cpu: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._=,+-]{0,511}$/, 'must be a QEMU CPU model such as EPYC-Rome-v1 or Skylake-Server,pku=off').optional(),
});

/** Profiles one matrix may hold (docs/limits.md): the largest shipped matrix has 5; a generated one of thousands is a mistake. */
export const MAX_PROFILES = 1000;

export const Matrix = z
  .strictObject({
    name: label(),
    description: z.string().optional(),
    profiles: z.array(Profile).min(1, 'a matrix needs at least one profile').max(MAX_PROFILES, `more than ${MAX_PROFILES} profiles: split the matrix (docs/limits.md)`),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.profiles.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['profiles', i, 'id'], message: `duplicate profile id ${p.id}` });
      seen.add(p.id);
      const lanes = (['kernel', 'image', 'ssh'] as const).filter((k) => p[k] !== undefined);
      if (lanes.length !== 1) ctx.addIssue({ code: 'custom', path: ['profiles', i], message: lanes.length === 0 ? 'needs one of kernel, image or ssh' : `has ${lanes.join(' and ')}: give exactly one of kernel, image or ssh` });
      if (p.versions !== undefined) {
        const src = p.kernel ? Object.entries(p.kernel).find(([, v]) => v !== undefined) : undefined;
        if (!src || ['deb', 'rpm', 'file'].includes(src[0])) {
          ctx.addIssue({ code: 'custom', path: ['profiles', i, 'versions'], message: 'needs a kernel from a repository (debian, apt, dnf or a named distribution)' });
        } else if ((src[1] as { version?: string }).version !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['profiles', i, 'versions'], message: `cannot go with kernel.${src[0]}.version (which pins one version)` });
        }
      }
      // A Debian flavour names its CPU (cloud-amd64, cloud-arm64): one that contradicts arch would boot the wrong kernel.
      const flavour = p.kernel?.debian?.flavour;
      const other = p.arch === 'arm64' ? 'amd64' : 'arm64';
      if (flavour !== undefined && (flavour === other || flavour.endsWith(`-${other}`))) {
        const want = flavour.replace(new RegExp(`${other}$`), p.arch === 'arm64' ? 'arm64' : 'amd64');
        ctx.addIssue({ code: 'custom', path: ['profiles', i, 'kernel', 'debian', 'flavour'], message: `flavour ${flavour} is for ${other}, but the profile's arch is ${p.arch} (use ${want})` });
      }
    });
  });

export type Matrix = z.infer<typeof Matrix>;
export type Profile = z.infer<typeof Profile>;
export type KernelSource = z.infer<typeof KernelSource>;
export type DebianKernelSource = z.infer<typeof DebianKernelSource>;
export type RpmKernelSource = z.infer<typeof RpmKernelSource>;
export type AptKernelSource = z.infer<typeof AptKernelSource>;
export type DnfKernelSource = z.infer<typeof DnfKernelSource>;
/** Which lane a profile runs in. */
export type Lane = 'direct' | 'image' | 'ssh';
export function laneOf(p: Profile): Lane {
  return p.ssh ? 'ssh' : p.image ? 'image' : 'direct';
}

/** Loads a matrix; key files it names are taken relative to the matrix file. */
export async function loadMatrix(file: string): Promise<Matrix> {
  const m = await loadYamlFile(file, Matrix, 'see docs/matrix.md for the matrix format');
  const dir = dirname(resolve(file));
  for (const p of m.profiles) {
    if (p.kernel?.apt) p.kernel.apt.keyring = resolve(dir, p.kernel.apt.keyring);
    if (p.kernel?.dnf) p.kernel.dnf.keyring = resolve(dir, p.kernel.dnf.keyring);
  }
  return m;
}

export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`bad duration ${text}`);
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[m[2] as 'ms' | 's' | 'm' | 'h'];
}
