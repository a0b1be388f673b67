import type { AptKernelSource, DebianKernelSource, DnfKernelSource } from '../../config/matrix.ts';
import type { AptPlanOptions } from '../apt/apt-source.ts';
import { DEBIAN_KEYRING } from '../inrelease.ts';
import type { KeyRef } from './debian-keys.ts';

// Named distributions as presets of the apt and dnf sources: one line in a matrix expands to the repository
// URLs, package names and signing key of that distribution. Pure; the key file is fetched at resolve time
// (debian-keys.ts). Where each value comes from is cited beside it.

// 18.04 (bionic) is in extended security maintenance; archive.ubuntu.com still carries its pockets (4.15 GA, 4.18/5.0/5.3/5.4 HWE)
export const UBUNTU_RELEASES = { '18.04': 'bionic', '20.04': 'focal', '22.04': 'jammy', '24.04': 'noble', '25.04': 'plucky', '25.10': 'questing' } as const;
export type UbuntuRelease = keyof typeof UBUNTU_RELEASES;
/** Ubuntu's kernel metapackages, linux-image-<flavour> (https://ubuntu.com/kernel/variants, source package linux-meta*). */
export const UBUNTU_FLAVOURS = ['generic', 'lowlatency', 'virtual', 'kvm', 'aws', 'azure', 'gcp', 'gke', 'oracle', 'ibm', 'generic-hwe-18.04', 'generic-hwe-20.04', 'generic-hwe-22.04', 'generic-hwe-24.04'] as const;
/** release: the kernel the release shipped; security: plus security fixes; updates: what an updated machine runs. */
export type Pocket = 'release' | 'security' | 'updates';

export interface UbuntuPreset { release: UbuntuRelease; flavour: string; pocket: Pocket; version?: string | undefined }
export interface DebianPocketsPreset { suite: string; pocket: Pocket }
export interface RhelPreset { release: number; version?: string | undefined }
export interface OraclePreset { release: number; kernel: 'uek' | 'rhck'; version?: string | undefined }

export type Expanded =
  | {
      kind: 'apt'; preset: string; src: Omit<AptKernelSource, 'keyring'>; suites: string[];
      /** A key shipped in a Debian package, or a keyring file on this machine (Debian's own, from apt's set-up). */
      key: KeyRef | { file: string };
      options?: AptPlanOptions;
    }
  | { kind: 'dnf'; preset: string; src: Omit<DnfKernelSource, 'keyring' | 'baseurl'>; baseurls: string[]; mirrorlist?: string; key: KeyRef };

/** Suites of one release for a pocket: the release pocket first. */
export function pocketSuites(codename: string, pocket: Pocket): string[] {
  return pocket === 'release' ? [codename] : pocket === 'security' ? [codename, `${codename}-security`] : [codename, `${codename}-updates`, `${codename}-security`];
}

export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
/** Suites with -updates and -security pockets; sid, testing and backports have none that carry kernels. */
const POCKETED = new Set(['bullseye', 'bookworm', 'trixie', 'stable', 'oldstable']);

export function debianPocket(src: Pick<DebianKernelSource, 'suite' | 'pocket'>): Pocket {
  if (!POCKETED.has(src.suite)) return 'release';
  return src.pocket ?? 'updates';
}

/**
 * Debian (kernel.debian): the flavour's metapackage, linux-image-<flavour>, followed to its kernel like any apt
 * source. deb.debian.org/debian-security sits beside deb.debian.org/debian (https://www.debian.org/security/, the
 * sources.list line for security updates); a custom mirror is expected to lay it out the same way. Key: Debian's
 * archive keyring, installed with apt. An updated machine stays on its release's kernel series: bookworm-security
 * also carries linux-6.12 for those who opt in, under its own metapackage names, so following
 * linux-image-cloud-amd64 keeps bookworm on 6.1.
 */
export function debian(p: DebianKernelSource): Expanded {
  const mirror = (p.mirror ?? DEBIAN_MIRROR).replace(/\/+$/, '');
  const suites = pocketSuites(p.suite, debianPocket(p));
  const security = `${p.suite}-security`;
  return {
    kind: 'apt',
    preset: 'debian',
    src: { url: mirror, suite: p.suite, component: 'main', package: `linux-image-${p.flavour}`, ...(p.version ? { version: p.version } : {}) },
    suites,
    key: { file: DEBIAN_KEYRING },
    options: {
      ...(suites.includes(security) ? { suiteUrls: { [security]: mirror.replace(/\/debian$/, '') + '/debian-security' } } : {}),
      ...(p.sha256 ? { pin: { sha256: p.sha256, field: 'kernel.debian.sha256' } } : {}),
      debian: { suite: p.suite, flavour: p.flavour },
      packageField: { field: 'kernel.debian.flavour', hint: 'check kernel.debian.flavour (e.g. cloud-amd64, amd64, rt-amd64, cloud-arm64) and suite' },
      abiFallback: true,
    },
  };
}

// archive.ubuntu.com carries every pocket of the release (security.ubuntu.com mirrors -security only), per
// https://help.ubuntu.com/community/Repositories/Ubuntu. Key: ubuntu-archive-keyring.gpg, the keyring Ubuntu's own
// apt sources name in Signed-By; in Debian trixie the file is in the binary package ubuntu-keyring (the package
// called ubuntu-archive-keyring there holds only its documentation).
export function ubuntu(p: UbuntuPreset): Expanded {
  const codename = UBUNTU_RELEASES[p.release];
  return {
    kind: 'apt',
    preset: 'ubuntu',
    src: { url: 'http://archive.ubuntu.com/ubuntu', suite: codename, component: 'main', package: `linux-image-${p.flavour}`, ...(p.version ? { version: p.version } : {}) },
    suites: pocketSuites(codename, p.pocket),
    key: { package: 'ubuntu-keyring', path: 'usr/share/keyrings/ubuntu-archive-keyring.gpg' },
  };
}

const DGK = (path: string): KeyRef => ({ package: 'distribution-gpg-keys', path: `usr/share/distribution-gpg-keys/${path}` });
const core = (version: string | undefined) => ({ package: 'kernel-core', ...(version ? { version } : {}) });

// AlmaLinux: BaseOS at https://repo.almalinux.org/almalinux/<major>/BaseOS/<arch>/os/ (the URL of its
// almalinux-baseos.repo); key RPM-GPG-KEY-AlmaLinux-<major> (its gpgkey= line).
export function almalinux(p: RhelPreset): Expanded {
  return { kind: 'dnf', preset: 'almalinux', src: core(p.version), baseurls: [`https://repo.almalinux.org/almalinux/${p.release}/BaseOS/x86_64/os`], key: DGK(`alma/RPM-GPG-KEY-AlmaLinux-${p.release}`) };
}

// Rocky Linux: https://dl.rockylinux.org/pub/rocky/<major>/BaseOS/<arch>/os/ (Rocky-BaseOS.repo / rocky.repo);
// key RPM-GPG-KEY-rockyofficial for 8, RPM-GPG-KEY-Rocky-<major> from 9 on.
export function rocky(p: RhelPreset): Expanded {
  return { kind: 'dnf', preset: 'rocky', src: core(p.version), baseurls: [`https://dl.rockylinux.org/pub/rocky/${p.release}/BaseOS/x86_64/os`], key: DGK(p.release === 8 ? 'rocky/RPM-GPG-KEY-rockyofficial' : `rocky/RPM-GPG-KEY-Rocky-${p.release}`) };
}

// CentOS Stream: 9 and 10 at https://mirror.stream.centos.org/<major>-stream/BaseOS/<arch>/os/ (centos.repo of
// centos-stream-repos); 8 is end of life and lives at https://vault.centos.org/8-stream/BaseOS/<arch>/os/.
// Keys: RPM-GPG-KEY-CentOS-<major> (the CentOS Official key; 8 and 9 share it).
export function centosStream(p: RhelPreset): Expanded {
  const base = p.release === 8 ? 'https://vault.centos.org/8-stream/BaseOS/x86_64/os' : `https://mirror.stream.centos.org/${p.release}-stream/BaseOS/x86_64/os`;
  return { kind: 'dnf', preset: 'centos-stream', src: core(p.version), baseurls: [base], key: DGK(`centos/RPM-GPG-KEY-CentOS-${p.release}`) };
}

// Oracle Linux (https://yum.oracle.com/oracle-linux-<major>.html): the Unbreakable Enterprise Kernel repository
// (UEK R7 on 8, UEK R8 on 9; kernel-uek-core) or the Red Hat compatible kernel in baseos/latest (kernel-core).
// Key RPM-GPG-KEY-oracle-ol<major>.
export function oracle(p: OraclePreset): Expanded {
  const uek = p.release === 8 ? 'UEKR7' : 'UEKR8';
  const base = p.kernel === 'uek' ? `https://yum.oracle.com/repo/OracleLinux/OL${p.release}/${uek}/x86_64` : `https://yum.oracle.com/repo/OracleLinux/OL${p.release}/baseos/latest/x86_64`;
  return { kind: 'dnf', preset: 'oracle', src: { package: p.kernel === 'uek' ? 'kernel-uek-core' : 'kernel-core', ...(p.version ? { version: p.version } : {}) }, baseurls: [base], key: DGK(`oraclelinux/RPM-GPG-KEY-oracle-ol${p.release}`) };
}

// Amazon Linux publishes a mirror list per release (the mirrorlist= of /etc/yum.repos.d/amazonlinux.repo on
// AL2023 and amzn2-core.repo on AL2); the `kernel` package holds image and modules. Keys
// RPM-GPG-KEY-amazon-linux-2023 / RPM-GPG-KEY-amazon-linux-2.
export function amazon(p: { release: 2 | 2023; version?: string | undefined }): Expanded {
  const mirrorlist = p.release === 2023 ? 'https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list' : 'https://cdn.amazonlinux.com/2/core/latest/x86_64/mirror.list';
  return { kind: 'dnf', preset: 'amazon', src: { package: 'kernel', ...(p.version ? { version: p.version } : {}) }, baseurls: [], mirrorlist, key: DGK(`amazon-linux/RPM-GPG-KEY-amazon-linux-${p.release}`) };
}

// Fedora (https://dl.fedoraproject.org/pub/fedora/linux/): the release repository and its updates, as
// fedora.repo and fedora-updates.repo name them; key RPM-GPG-KEY-fedora-<release>-primary.
export function fedora(p: { release: number; version?: string | undefined }): Expanded {
  return {
    kind: 'dnf',
    preset: 'fedora',
    src: core(p.version),
    baseurls: [`https://dl.fedoraproject.org/pub/fedora/linux/releases/${p.release}/Everything/x86_64/os`, `https://dl.fedoraproject.org/pub/fedora/linux/updates/${p.release}/Everything/x86_64`],
    key: DGK(`fedora/RPM-GPG-KEY-fedora-${p.release}-primary`),
  };
}
