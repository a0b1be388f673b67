import { existsSync } from 'node:fs';
import { readFile, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolvedKernel } from '../kernels/types.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { canonicalJson, sha256Hex } from '../../../history/vocabulary/hash.ts';
import { cacheRoot } from '../infra/xdg.ts';
import { CpioWriter } from './cpio.ts';
import { ATTACH_MODULES, planModules, readModule, type ModulePlan, type WantedModule } from './modules.ts';
import { ARM64_AGENT_PATH, ARM64_BUILD_HINT, ARM64_VALIDATOR_PATH, channelModules, guestBusybox } from './guest-arch.ts';

// The guest image is two concatenated newc archives (the kernel unpacks one after the other):
// a base layer that depends only on the kernel and the tools, cached by the hash of its inputs, and a
// small per-run job layer. Both stay uncompressed: under TCG, decompressing costs more than the copy.

/** Bump when the layout of the base layer changes, so old cache entries are not reused. */
const BASE_LAYOUT = 1;

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const INIT_TEMPLATE = join(HERE, 'init.sh');
export const RUN_JOB_TEMPLATE = join(HERE, 'run-job.sh');
export const BARE_INIT_TEMPLATE = join(HERE, 'bare-init.sh');
export const DEFAULT_VALIDATOR_PATH = fileURLToPath(new URL('../../../validator/build/bpfcompat-validator', import.meta.url));
export const DEFAULT_AGENT_PATH = fileURLToPath(new URL('../../../validator/build/bpfcompat-agent', import.meta.url));
export const DEFAULT_BUSYBOX_PATH = '/bin/busybox';
export const GUEST_VALIDATOR_PATH = '/bpfcompat/bin/bpfcompat-validator';
export const GUEST_AGENT_PATH = '/bpfcompat/bin/bpfcompat-agent';

export interface BaseLayerOptions {
  kernel: ResolvedKernel;
  /** 'full' runs jobs (init.sh); 'bare' powers off as soon as userspace runs (KVM probe, benchmark floor). */
  init?: 'full' | 'bare';
  /** The static validator; null leaves it out. Default: validator/build/bpfcompat-validator when it exists. */
  validatorPath?: string | null;
  busyboxPath?: string;
  modules?: readonly WantedModule[];
  cacheDir?: string;
}

export interface BaseLayer {
  path: string;
  /** The cache key: sha256 of the canonical list of inputs. */
  key: string;
  cacheHit: boolean;
  hasValidator: boolean;
  modules: ModulePlan;
}

async function requireFile(path: string, what: string, hint: string, code: 'TOOL_MISSING' | 'VALIDATOR_MISSING' = 'TOOL_MISSING'): Promise<Buffer> {
  if (!existsSync(path)) throw new BpfcompatError(code, `${what} not found at ${path}`, { hint });
  return readFile(path);
}

/** Builds (or finds in the cache) the kernel-specific base layer. */
export async function buildBaseLayer(opts: BaseLayerOptions): Promise<BaseLayer> {
  const kind = opts.init ?? 'full';
  const arch = opts.kernel.arch;
  const busybox = await requireFile(
    opts.busyboxPath ?? guestBusybox(arch) ?? DEFAULT_BUSYBOX_PATH,
    `${arch} busybox`,
    arch === 'x86_64' ? 'install Debian package busybox-static (a static busybox is needed inside the guest)' : ARM64_BUILD_HINT,
  );
  const init = await readFile(kind === 'full' ? INIT_TEMPLATE : BARE_INIT_TEMPLATE);
  const runJob = kind === 'full' ? await readFile(RUN_JOB_TEMPLATE) : null;
  // The job runner is part of the guest's plumbing, like init.sh: every full guest has it.
  const agent = kind === 'full'
    ? await requireFile(arch === 'arm64' ? ARM64_AGENT_PATH : DEFAULT_AGENT_PATH, `${arch} guest agent`, arch === 'x86_64' ? 'build it with `make -C validator`' : ARM64_BUILD_HINT)
    : null;

  let validator: Buffer | null = null;
  if (kind === 'full') {
    const builtPath = arch === 'arm64' ? ARM64_VALIDATOR_PATH : DEFAULT_VALIDATOR_PATH;
    const vpath = opts.validatorPath === undefined ? (existsSync(builtPath) ? builtPath : null) : opts.validatorPath;
    if (vpath) validator = await requireFile(vpath, 'validator binary', 'build it with `make -C validator`', 'VALIDATOR_MISSING');
  }

  // The result channel's modules come first (even the bare init needs them to report booting).
  const wanted = [...channelModules(arch), ...(kind === 'full' ? (opts.modules ?? ATTACH_MODULES) : [])];
  const modules: ModulePlan = wanted.length > 0 ? await planModules(opts.kernel, wanted) : { load: [], builtin: [], missing: [] };
  const moduleBytes = await Promise.all(modules.load.map((m) => readModule(m.hostPath)));

  // Every input that changes the bytes of the layer is named here; nothing else is.
  const key = sha256Hex(
    canonicalJson({
      layout: BASE_LAYOUT,
      init_kind: kind,
      init: sha256Hex(init),
      run_job: runJob ? sha256Hex(runJob) : null,
      agent: agent ? sha256Hex(agent) : null,
      busybox: sha256Hex(busybox),
      validator: validator ? sha256Hex(validator) : null,
      modules: modules.load.map((m, i) => ({ guest_path: m.guestPath, sha256: sha256Hex(moduleBytes[i]!) })),
    }),
  );
  const path = join(opts.cacheDir ?? cacheRoot(), 'initramfs', `${key}.cpio`);
  const result = { path, key, hasValidator: validator !== null, modules };
  if (existsSync(path)) return { ...result, cacheHit: true };

  const w = new CpioWriter();
  for (const d of ['dev', 'proc', 'sys', 'tmp', 'run', 'root', 'bin', 'sbin', 'usr/bin', 'usr/sbin', 'bpfcompat/bin', 'bpfcompat/jobs']) w.dir(d);
  // The kernel opens /dev/console for init's stdio before init can mount devtmpfs.
  w.charDevice('dev/console', 5, 1);
  w.file('bin/busybox', busybox, 0o755);
  w.symlink('bin/sh', 'busybox');
  w.file('init', init, 0o755);
  if (runJob) w.file('bpfcompat/bin/run-job', runJob, 0o755);
  if (agent) w.file(GUEST_AGENT_PATH, agent, 0o755);
  if (validator) w.file(GUEST_VALIDATOR_PATH, validator, 0o755);
  modules.load.forEach((m, i) => w.file(m.guestPath, moduleBytes[i]!, 0o644));
  if (kind === 'full' || modules.load.length > 0) w.file('bpfcompat/modules.list', modules.load.map((m) => `${m.guestPath}\n`).join(''));
  await writeFileAtomic(path, w.finish());
  return { ...result, cacheHit: false };
}

export interface InitrdJob {
  id: string;
  kind: 'validator' | 'command';
  argv?: string[];
  command?: string;
  env?: Record<string, string>;
  files: Array<{ guestPath: string; hostPath?: string; data?: Uint8Array | string; mode?: number }>;
  timeoutMs: number;
}

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function jobError(message: string): BpfcompatError {
  return new BpfcompatError('INTERNAL', `guest job: ${message}`, { hint: 'this is a bug in the caller of the guest runner' });
}

/** The per-run layer: the job list, each job's kind/args/command/env/timeout files and its payload. */
export async function buildJobLayer(jobs: readonly InitrdJob[]): Promise<Buffer> {
  const w = new CpioWriter();
  const ids = new Set<string>();
  const staged = new Map<string, string>();
  for (const job of jobs) {
    if (!JOB_ID.test(job.id)) throw jobError(`id "${job.id}" must match ${JOB_ID.source}`);
    if (ids.has(job.id)) throw jobError(`id "${job.id}" is used twice`);
    ids.add(job.id);
    const dir = `bpfcompat/jobs/${job.id}`;
    w.dir(`${dir}/out`);
    w.file(`${dir}/kind`, job.kind);
    w.file(`${dir}/timeout`, `${Math.max(1, Math.ceil(job.timeoutMs / 1000))}\n`);
    const nul = (items: string[]) => items.map((s) => `${s}\0`).join('');
    if (job.kind === 'validator') {
      if ((job.argv ?? []).some((a) => a.includes('\0'))) throw jobError(`argument of job ${job.id} contains a NUL byte`);
      w.file(`${dir}/args`, nul(job.argv ?? []));
    } else {
      if (job.command === undefined || job.command === '') throw jobError(`command job ${job.id} has no command`);
      w.file(`${dir}/command`, job.command);
      const env = Object.entries(job.env ?? {});
      for (const [k, v] of env) {
        if (!ENV_KEY.test(k) || v.includes('\0')) throw jobError(`environment entry ${k} of job ${job.id} is not a valid name or holds a NUL byte`);
      }
      w.file(`${dir}/env`, nul(env.map(([k, v]) => `${k}=${v}`)));
    }
    for (const f of job.files) {
      if (!f.guestPath.startsWith('/')) throw jobError(`file ${f.guestPath} of job ${job.id} must be an absolute guest path`);
      const data = f.data ?? (f.hostPath ? await readFile(f.hostPath) : null);
      if (data === null) throw jobError(`file ${f.guestPath} of job ${job.id} has neither hostPath nor data`);
      // Jobs of one boot share tools (bash, libc …): each path is written once; two contents for one path is a bug.
      const digest = sha256Hex(data);
      const seen = staged.get(f.guestPath);
      if (seen !== undefined) {
        if (seen !== digest) throw jobError(`file ${f.guestPath} of job ${job.id} differs from the one another job staged there`);
        continue;
      }
      staged.set(f.guestPath, digest);
      w.file(f.guestPath, data, f.mode ?? 0o644);
    }
  }
  w.file('bpfcompat/jobs.list', [...ids].map((id) => `${id}\n`).join(''));
  return w.finish();
}

/** Writes base + job layer as one initrd file for QEMU's -initrd. */
export async function writeInitrd(path: string, base: BaseLayer, jobLayer: Buffer | null): Promise<number> {
  await mkdir(join(path, '..'), { recursive: true });
  const baseBytes = await readFile(base.path);
  const fh = await open(path, 'w');
  try {
    await fh.write(baseBytes);
    if (jobLayer) await fh.write(jobLayer);
  } finally {
    await fh.close();
  }
  return baseBytes.length + (jobLayer?.length ?? 0);
}
