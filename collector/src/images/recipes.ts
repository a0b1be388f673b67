// What `bpfcompat images build NAME` puts in an image. One recipe per name; pure data.

export interface ImageRecipe {
  name: string;
  suite: string;
  mirror: string;
  /** Debian architecture of the rootfs and kernel. */
  debianArch: 'amd64';
  /** On top of mmdebstrap's minbase variant. */
  packages: string[];
  /** Size of the ext4 root filesystem (sparse; the qcow2 holds only what is used). */
  diskSizeMb: number;
  /** Kernel command line of a direct boot of the image's own kernel. */
  cmdline: string[];
}

export const RECIPES: Record<string, ImageRecipe> = {
  'debian-12': {
    name: 'debian-12',
    suite: 'bookworm',
    mirror: 'http://deb.debian.org/debian',
    debianArch: 'amd64',
    // cloud-init (NoCloud) is how user cloud images take their SSH keys, so the image behaves like one;
    // libbpf1 + bpftool are the distro userspace loaders may want; udev + initramfs-tools make the initrd.
    packages: ['systemd-sysv', 'udev', 'openssh-server', 'cloud-init', 'linux-image-cloud-amd64', 'initramfs-tools', 'e2fsprogs', 'iproute2', 'libbpf1', 'bpftool'],
    diskSizeMb: 2048,
    cmdline: ['root=/dev/vda', 'rw', 'console=ttyS0', 'panic=-1'],
  },
};

export function recipeNames(): string[] {
  return Object.keys(RECIPES).sort();
}

/** Files written into the rootfs after mmdebstrap (path inside the rootfs → content). */
export function rootfsFiles(): Record<string, string> {
  return {
    '/etc/fstab': '/dev/vda / ext4 rw,discard,errors=remount-ro 0 1\n',
    '/etc/hostname': 'bpfcompat\n',
    // The lane's user-mode network hands out 10.0.2.15 by DHCP; names vary (ens3, enp0s3), so match them all.
    '/etc/systemd/network/90-bpfcompat-dhcp.network': '[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n',
    // Only the NoCloud seed is asked (no EC2/GCE metadata probing with its timeouts); the network is ours.
    '/etc/cloud/cloud.cfg.d/90-bpfcompat.cfg': 'datasource_list: [ NoCloud, None ]\nnetwork:\n  config: disabled\n',
    // cloud-init writes the host key the lane pinned; sshd must not start before it (Debian's unit is ssh,
    // which cloud-init.service does not order itself before).
    '/etc/systemd/system/ssh.service.d/10-after-cloud-init.conf': '[Unit]\nAfter=cloud-init.service\n',
    // Each boot gets its own machine id.
    '/etc/machine-id': '',
  };
}
