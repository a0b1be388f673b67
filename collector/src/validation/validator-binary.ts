import { access, constants, open, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { sha256File } from '../../../history/vocabulary/hash.ts';

export interface ValidatorBinary {
  path: string;
  basename: string;
  sha256: string;
  sizeBytes: number;
}

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DEFAULT_VALIDATOR = join(REPO_ROOT, 'validator', 'build', 'bpfcompat-validator');

/** True when the ELF has no PT_INTERP program header, i.e. it runs without a dynamic loader in the guest. */
export async function isStaticElf(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const h = Buffer.alloc(64);
    await fh.read(h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return false;
    const phoff = Number(h.readBigUInt64LE(32));
    const phentsize = h.readUInt16LE(54);
    const phnum = h.readUInt16LE(56);
    const ph = Buffer.alloc(phentsize * phnum);
    await fh.read(ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false;
    return true;
  } finally {
    await fh.close();
  }
}

/** Finds the validator ($BPFCOMPAT_VALIDATOR_BIN, else the built one), checks it is static and matches an optional pin. */
export async function locateValidator(env: NodeJS.ProcessEnv = process.env): Promise<ValidatorBinary> {
  const path = env.BPFCOMPAT_VALIDATOR_BIN || DEFAULT_VALIDATOR;
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new BpfcompatError('VALIDATOR_MISSING', `validator ${path}: not found or not executable`, { hint: "run 'make validator' (or set BPFCOMPAT_VALIDATOR_BIN)" });
  }
  if (!(await isStaticElf(path))) {
    throw new BpfcompatError('VALIDATOR_MISSING', `validator ${path}: not a statically linked x86_64 ELF`, { hint: "the guest has no libc; build it with 'make validator'" });
  }
  const sha256 = await sha256File(path);
  const pin = env.BPFCOMPAT_VALIDATOR_SHA256;
  if (pin && pin !== sha256) {
    throw new BpfcompatError('INTEGRITY', `validator ${path}: sha256 ${sha256} does not match BPFCOMPAT_VALIDATOR_SHA256 ${pin}`, { hint: 'rebuild the validator or update the pin' });
  }
  return { path, basename: basename(path), sha256, sizeBytes: (await stat(path)).size };
}

/** ELF e_machine of each guest CPU. */
const ELF_MACHINE = { x86_64: 62, arm64: 183 } as const;

export const DEFAULT_VALIDATOR_ARM64 = join(REPO_ROOT, 'validator', 'build', 'arm64', 'bpfcompat-validator');

/** The ELF's e_machine (62 x86_64, 183 aarch64), or null when the file is not ELF. */
export async function elfMachine(path: string): Promise<number | null> {
  const fh = await open(path, 'r');
  try {
    const h = Buffer.alloc(20);
    await fh.read(h, 0, 20, 0);
    return h.readUInt32BE(0) === 0x7f454c46 ? h.readUInt16LE(18) : null;
  } finally {
    await fh.close();
  }
}

/**
 * The validator for a guest CPU. x86_64 is the one the run located; arm64 is $BPFCOMPAT_VALIDATOR_BIN_ARM64
 * or the cross-built validator/build/arm64/bpfcompat-validator. Its own sha256 goes into result keys, so an
 * arm64 verdict never reuses an x86_64 one.
 */
export async function validatorForArch(arch: 'x86_64' | 'arm64', x86: ValidatorBinary, env: NodeJS.ProcessEnv = process.env): Promise<ValidatorBinary> {
  if (arch === 'x86_64') return x86;
  const path = env.BPFCOMPAT_VALIDATOR_BIN_ARM64 || DEFAULT_VALIDATOR_ARM64;
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new BpfcompatError('VALIDATOR_MISSING', `arm64 validator ${path}: not found or not executable`, { hint: "run 'make validator-arm64' (or set BPFCOMPAT_VALIDATOR_BIN_ARM64)" });
  }
  if ((await elfMachine(path)) !== ELF_MACHINE.arm64 || !(await isStaticElf(path))) {
    throw new BpfcompatError('VALIDATOR_MISSING', `arm64 validator ${path}: not a statically linked aarch64 ELF`, { hint: "build it with 'make validator-arm64'" });
  }
  return { path, basename: basename(path), sha256: await sha256File(path), sizeBytes: (await stat(path)).size };
}
