import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import ssh2 from 'ssh2';
import { parseDuration } from '../../config/matrix.ts';
import { BpfcompatError } from '../../../../history/vocabulary/errors.ts';
import type { ResolvedKernel } from '../../kernels/types.ts';
import { detectAccel } from '../../vm/accel.ts';
import { NO_TIMER_CHECK } from '../../vm/qemu-args.ts';
import { guestMachine } from '../../vm/machine.ts';
import type { Accel } from '../../vm/types.ts';
import { LaneError, type LaneFailure } from '../errors.ts';
import { connectSsh, type SshConnection } from '../ssh/connect.ts';
import { probeRemoteKernel, sshLaneSession } from '../ssh/session.ts';
import type { Lane, LaneIdentity, LaneOptions, LaneSession } from '../types.ts';
import { baseImageSha256, locateBaseImage, type BaseImage } from './base-image.ts';
import { freeLocalPort, startImageVm, type ImageVm } from './boot.ts';
import { overlayArgs, type ImageBoot } from './qemu-args.ts';
import { makeSeed } from './seed.ts';

// The disk-image lane: boot a disk image (built by `images build` or the user's cloud image) behind a
// per-run qcow2 overlay, hand it a per-run client key and host key through a NoCloud seed, wait for SSH on
// a forwarded 127.0.0.1 port, then run jobs through the shared SSH session. The base image is never
// written; the overlay, seed and keys go away on every path.

/**
 * One attempt of the SSH handshake; the lane retries until ssh_timeout while the guest boots. Short, because
 * QEMU's user network accepts the TCP connection before the guest listens and the attempt then hangs until
 * this runs out: a long attempt would delay noticing an sshd that has come up.
 */
const ATTEMPT_MS = 10_000;
const PORT_TRIES = 3;
const TAIL_LINES = 15;

/** A LaneError that carries the guest console's tail (the evidence of why SSH never came up). */
export class ImageLaneError extends LaneError {
  constructor(reason: LaneFailure, message: string, consoleTail: string, consoleLogPath: string) {
    super(reason, message, { consoleTail, consoleLogPath });
    this.name = 'ImageLaneError';
  }
}

/** The image's own kernel and initrd when its sidecar names them (plus NO_TIMER_CHECK, as direct boots have it), else its firmware. */
export function bootOf(base: Pick<BaseImage, 'sidecar' | 'sidecarDir'>): ImageBoot {
  if (!base.sidecar || !base.sidecarDir) return { kind: 'firmware' };
  const { cmdline } = base.sidecar;
  return { kind: 'kernel', kernelPath: join(base.sidecarDir, base.sidecar.kernel.file), initrdPath: join(base.sidecarDir, base.sidecar.initrd.file), cmdline: cmdline.includes(NO_TIMER_CHECK) ? cmdline : [...cmdline, NO_TIMER_CHECK] };
}

/** KVM only when detectAccel's probe (with the image's own kernel) proves it; a firmware-booted image has no kernel to probe with. */
async function accelFor(base: BaseImage, identity: Pick<LaneIdentity, 'kernelSha256' | 'arch'>, cacheDir: string | undefined): Promise<{ accel: Accel; reason: string }> {
  const boot = bootOf(base);
  if (boot.kind === 'kernel') {
    const probeKernel: ResolvedKernel = { release: base.sidecar!.kernel.release, arch: identity.arch, imagePath: boot.kernelPath, imageSha256: base.sidecar!.kernel.sha256, modulesDir: null, configPath: null, origin: { kind: 'image', image: base.label, image_sha256: identity.kernelSha256 } };
    return detectAccel(probeKernel, { cacheDir });
  }
  const forced = process.env.BPFCOMPAT_ACCEL;
  return forced === 'kvm' ? { accel: 'kvm', reason: 'forced by BPFCOMPAT_ACCEL=kvm' } : { accel: 'tcg', reason: 'firmware-booted image: no kernel to probe KVM with' };
}

export function imageLane(opts: LaneOptions): Lane {
  const src = opts.profile.image;
  if (!src) throw new BpfcompatError('INTERNAL', `profile ${opts.profile.id} has no image`);
  if (opts.profile.arch !== 'x86_64') throw new BpfcompatError('CONFIG_INVALID', `profile ${opts.profile.id}: the image lane boots x86_64 images only (arch: ${opts.profile.arch})`, { hint: 'drop arch: arm64 from this profile, or use the direct-boot arm64 lane' });
  let based: Promise<BaseImage> | null = null;
  let identified: Promise<LaneIdentity & { accel: Accel }> | null = null;
  const base = (): Promise<BaseImage> => (based ??= locateBaseImage(src, opts.cacheDir));
  // The accelerator is decided here, not at boot: the machine it implies is part of the result key.
  const identify = (): Promise<LaneIdentity & { accel: Accel }> =>
    (identified ??= (async () => {
      const b = await base();
      const id = { kernelSha256: await baseImageSha256(b, src, opts.cacheDir), arch: b.sidecar?.arch ?? 'x86_64' } as const;
      const { accel } = await accelFor(b, id, opts.cacheDir);
      return { ...id, accel, machine: guestMachine(id.arch, accel, opts.profile.memory_mb, opts.profile.cpus, opts.profile.cpu) };
    })());

  return {
    identify,
    async open(): Promise<LaneSession> {
      const b = await base();
      const identity = await identify();
      const { accel } = identity;
      const runDir = await mkdtemp(join(opts.workDir, '.image-run-'));
      const consoleLogPath = join(opts.workDir, 'image-console.log');
      let vm: ImageVm | null = null;
      let conn: SshConnection | null = null;
      const cleanup = async (): Promise<void> => {
        await conn?.close().catch(() => {});
        await vm?.stop(2000).catch(() => {});
        await rm(runDir, { recursive: true, force: true });
      };
      const fail = (reason: LaneFailure, message: string): ImageLaneError => {
        const tail = vm ? vm.tap.tail().split('\n').slice(-TAIL_LINES).join('\n') : '';
        return new ImageLaneError(reason, message, tail, consoleLogPath);
      };
      try {
        const overlayPath = join(runDir, 'overlay.qcow2');
        const seedPath = join(runDir, 'seed.iso');
        try {
          await execa('qemu-img', overlayArgs(b.diskPath, b.format, overlayPath), { stdin: 'ignore' });
        } catch (err) {
          throw fail('image_failed', `qemu-img could not create an overlay over ${b.label}: ${((err as { stderr?: string }).stderr ?? String(err)).trim().split('\n')[0]}`);
        }
        const client = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'bpfcompat-client' });
        const host = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'bpfcompat-host' });
        await makeSeed(join(runDir, 'seed'), seedPath, { clientPublic: client.public, hostPrivate: host.private, hostPublic: host.public }, `bpfcompat-${randomBytes(8).toString('hex')}`);

        const budgetMs = parseDuration(src.ssh_timeout);
        const t0 = performance.now();
        let port = 0;
        for (let i = 0; ; i++) {
          port = await freeLocalPort();
          opts.onEvent?.({ type: 'booting', accel });
          vm = startImageVm({ name: `bpfcompat-image-${randomBytes(6).toString('hex')}`, accel, cpu: identity.machine!.cpu, memoryMb: opts.profile.memory_mb, cpus: opts.profile.cpus, boot: bootOf(b), overlayPath, seedPath, sshPort: port }, consoleLogPath, (line) => opts.onEvent?.({ type: 'console', line }));
          // QEMU exits at once when another process took the port between our check and its bind.
          const early = await Promise.race([vm.exited, new Promise<null>((r) => setTimeout(() => r(null), 500))]);
          if (early === null) break;
          if (!/host forwarding/i.test(early.stderr) || i + 1 >= PORT_TRIES) throw fail('image_failed', `QEMU exited at start (${early.code ?? early.signal}): ${early.stderr.trim().split('\n').slice(-2).join(' | ')}`);
          await vm.stop();
        }
        const running = vm;
        const quit = new AbortController();
        void running.exited.then(() => quit.abort());
        opts.signal?.addEventListener('abort', () => quit.abort(), { once: true });
        try {
          conn = await connectSsh(
            { host: '127.0.0.1', port, user: 'root', privateKey: client.private, hostKey: host.public },
            { readyTimeoutMs: Math.min(ATTEMPT_MS, budgetMs), retryUntilMs: Date.now() + budgetMs - (performance.now() - t0), signal: quit.signal },
          );
        } catch (err) {
          const secs = Math.round(budgetMs / 1000);
          if (running.done) {
            const exit = await running.exited;
            const why = running.tap.panic ? `the kernel panicked (${running.tap.panic})` : `the guest powered off or rebooted (QEMU exit ${exit.code ?? exit.signal})`;
            throw fail('image_failed', `image ${b.label}: ${why} before SSH came up`);
          }
          if (opts.signal?.aborted) throw fail('image_failed', `image ${b.label}: cancelled while waiting for SSH`);
          const e = err as LaneError;
          // A wrong host key or a refused key means the guest's sshd runs but did not take the seed: say so.
          if (e.reason === 'ssh_host_key_mismatch' || e.reason === 'ssh_auth_failed') throw fail(e.reason, `image ${b.label}: ${e.message} (did cloud-init read the NoCloud seed? see the console log)`);
          const last = running.tap.tail().replace(/\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x09\x0b-\x1f\x7f]/g, '').split('\n').map((l) => l.trim()).filter((l) => l !== '').slice(-2).join(' | ');
          throw fail('image_boot_timeout', `image ${b.label}: SSH did not come up within image.ssh_timeout ${src.ssh_timeout} (${secs} s): ${e.message}; console: ${last || '(empty)'}`);
        }
        const bootMs = Math.round(performance.now() - t0);
        let probed;
        try {
          probed = await probeRemoteKernel(conn);
        } catch (err) {
          throw fail(err instanceof LaneError ? err.reason : 'ssh_setup_failed', `image ${b.label}: ${(err as Error).message}`);
        }
        const kernel: ResolvedKernel = {
          release: probed.release,
          arch: probed.arch,
          imagePath: b.diskPath,
          imageSha256: identity.kernelSha256,
          modulesDir: null,
          configPath: null,
          origin: { kind: 'image', image: b.label, image_sha256: identity.kernelSha256 },
        };
        return sshLaneSession(conn, { kernel, accel, bootMs, consoleLogPath, scratchParent: '/tmp', sudo: false, onClose: cleanup });
      } catch (err) {
        await cleanup();
        throw err;
      }
    },
  };
}
