// What the kernel catalog hands to the guest builder and the reports.

/** The guest CPU a kernel is built for (x86_64 boots natively or under TCG; arm64 under emulation on x86). */
export type KernelArch = 'x86_64' | 'arm64';

/** Debian's name for the architecture (binary-<arch>/Packages, linux-image-*-cloud-<arch>). */
export const DEBIAN_ARCH: Record<KernelArch, string> = { x86_64: 'amd64', arm64: 'arm64' };

export type KernelOrigin =
  | { kind: 'debian'; suite: string; /** The pocket's suite when the kernel came from -updates or -security. */ pocket?: string; flavour: string; package: string; version: string; url: string; deb_sha256: string; extra_packages: Array<{ package: string; version: string; url: string; deb_sha256: string }> }
  /** An apt repository; `requested` is the package the profile named (a metapackage is followed to `package`). */
  | { kind: 'apt'; preset?: string; repository: string; suite: string; requested: string; package: string; version: string; url: string; deb_sha256: string; keyring_sha256: string; extra_packages: Array<{ package: string; version: string; url: string; deb_sha256: string }> }
  | { kind: 'dnf'; preset?: string; repository: string; requested: string; package: string; version: string; url: string; rpm_sha256: string; keyring_sha256: string; repomd_signed: boolean; extra_packages: Array<{ package: string; version: string; url: string; rpm_sha256: string }> }
  | { kind: 'deb'; package: string; deb_sha256: string; extra_packages: Array<{ package: string; deb_sha256: string }> }
  | { kind: 'rpm'; package: string; rpm_sha256: string; extra_packages: Array<{ package: string; rpm_sha256: string }> }
  | { kind: 'file'; image: string }
  /** Lanes that do not boot a kernel of the catalog: the kernel is what the machine runs (uname -r). */
  | { kind: 'image'; image: string; image_sha256: string }
  | { kind: 'ssh'; host: string; port: number };

/** A kernel extracted into the content-addressed cache, ready to boot. */
export interface ResolvedKernel {
  /** uname -r of the kernel, e.g. 6.1.0-41-cloud-amd64 */
  release: string;
  arch: KernelArch;
  /** Absolute path of the bootable image (vmlinuz / bzImage). */
  imagePath: string;
  /** sha256 of the image bytes: the kernel's identity in history. */
  imageSha256: string;
  /** Directory that holds kernel/, modules.dep … for this release (lib/modules/<release>), or null. */
  modulesDir: string | null;
  /** The kernel's config file (config-<release>), or null when unknown. */
  configPath: string | null;
  origin: KernelOrigin;
}

/** What every kernel source resolves with. */
export interface ResolveContext {
  profileId: string;
  /** The profile's CPU; x86_64 when absent. */
  arch?: KernelArch;
  cacheDir: string;
  /** Use only what is cached. */
  offline: boolean;
  signal?: AbortSignal;
  /** Plain progress lines. */
  onProgress?: (msg: string) => void;
}
