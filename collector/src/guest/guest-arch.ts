import { fileURLToPath } from 'node:url';
import type { KernelArch } from '../kernels/types.ts';
import type { WantedModule } from './modules.ts';

// What the guest userland needs per CPU: its busybox, its static validator, and the modules that must be
// loaded before the result channel exists. x86_64 uses the host's busybox-static and the 8250's ttyS1
// (built into every distro kernel); arm64 uses binaries from `make validator-arm64` and virtio-console.

const ARM64_GUEST_DIR = fileURLToPath(new URL('../../../validator/build/arm64/', import.meta.url));

export const ARM64_BUSYBOX_PATH = `${ARM64_GUEST_DIR}busybox`;
export const ARM64_VALIDATOR_PATH = `${ARM64_GUEST_DIR}bpfcompat-validator`;
export const ARM64_AGENT_PATH = `${ARM64_GUEST_DIR}bpfcompat-agent`;
/** Debian's bash:arm64 for command mode, and the libraries that libc6:arm64 does not bring (libtinfo). */
export const ARM64_BASH_PATH = `${ARM64_GUEST_DIR}bash`;
export const ARM64_LIB_DIR = `${ARM64_GUEST_DIR}lib`;
/** Debian's multiarch triplet per guest CPU. */
export const MULTIARCH_TRIPLET = { x86_64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' } as const;
/** ELF e_machine per guest CPU. */
export const ELF_MACHINE = { x86_64: 62, arm64: 183 } as const;

/** virtio-console over virtio-mmio: both are modules in Debian's arm64 kernels (=y kernels need nothing). */
export const ARM64_CHANNEL_MODULES: readonly WantedModule[] = [
  { name: 'virtio_mmio', config: 'CONFIG_VIRTIO_MMIO' },
  { name: 'virtio_console', config: 'CONFIG_VIRTIO_CONSOLE' },
];

/** Modules the result channel needs, loaded before everything else. */
export function channelModules(arch: KernelArch): readonly WantedModule[] {
  return arch === 'arm64' ? ARM64_CHANNEL_MODULES : [];
}

/** The busybox for the guest, or undefined for the default (the host's /bin/busybox, x86_64). */
export function guestBusybox(arch: KernelArch): string | undefined {
  return arch === 'arm64' ? ARM64_BUSYBOX_PATH : undefined;
}

/** How to get the arm64 guest binaries when they are missing. */
export const ARM64_BUILD_HINT = 'run `make validator-arm64` (cross-builds the validator and fetches busybox-static:arm64 and bash:arm64)';
