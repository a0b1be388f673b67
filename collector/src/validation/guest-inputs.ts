import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A boot's initramfs (`initrd.cpio`: base layer + job layer) is large and can be rebuilt, so it is removed once the
 * boot is judged; `--keep-vm-on-failure` keeps it beside the console log for a boot with a target that did not pass,
 * so the guest can be booted again by hand exactly as it ran.
 */
export async function settleGuestInputs(workDir: string, passed: boolean, keepOnFailure: boolean): Promise<void> {
  if (keepOnFailure && !passed) return;
  await rm(join(workDir, 'initrd.cpio'), { force: true });
}
