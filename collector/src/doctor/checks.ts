import { access, constants, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheRoot } from '../infra/xdg.ts';
import { DEFAULT_VALIDATOR, isStaticElf } from '../validation/validator-binary.ts';
import { arm64Checks } from './arm64-checks.ts';
import type { Check } from './check.ts';


async function version(cmd: string, args: string[]): Promise<string | null> {
  try {
    const r = await execa(cmd, args, { timeout: 10_000, reject: false, all: true });
    if (r.failed && !r.all) return null;
    if (r.exitCode === undefined) return null;
    const lines = (r.all ?? '').split('\n').map((l) => l.trim());
    return lines.find((l) => /\d+\.\d+/.test(l) && !l.includes('unexpected operator')) ?? lines[0] ?? '';
  } catch {
    return null;
  }
}

async function toolCheck(name: string, cmd: string, args: string[], pkg: string): Promise<Check> {
  const v = await version(cmd, args);
  return v === null ? { name, status: 'missing', detail: `${cmd} not found`, fix: `apt-get install ${pkg}` } : { name, status: 'ok', detail: v, fix: '' };
}

/** A tool only some profiles need: its absence is a warning, not a failure of doctor. */
function optional(c: Check, why: string): Check {
  return c.status === 'missing' ? { ...c, status: 'warn', detail: `${c.detail} (${why})` } : c;
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirSize(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}

/** Everything bpfcompat needs on this host, each with what to do when it is missing. */
export async function runChecks(kvmProbe: () => Promise<{ accel: string; reason: string }>): Promise<Check[]> {
  const [major] = process.versions.node.split('.').map(Number);
  const checks: Check[] = [
    major! >= 22 ? { name: 'node', status: 'ok', detail: process.version, fix: '' } : { name: 'node', status: 'missing', detail: process.version, fix: "run 'make setup' (installs Node 24 into node_modules/.bin)" },
    await toolCheck('qemu', 'qemu-system-x86_64', ['--version'], 'qemu-system-x86'),
    optional(await toolCheck('setpriv (QEMU dies with bpfcompat)', 'setpriv', ['--version'], 'util-linux'), 'without it a killed bpfcompat can leave QEMU running'),
    await toolCheck('busybox (static)', '/bin/busybox', ['--help'], 'busybox-static'),
    await toolCheck('clang (examples)', 'clang', ['--version'], 'clang'),
    await toolCheck('gpgv (index signatures)', 'gpgv', ['--version'], 'gpgv'),
    await toolCheck('dpkg-deb (kernel packages)', 'dpkg-deb', ['--version'], 'dpkg'),
    optional(await toolCheck('bsdtar (kernel .rpm packages)', 'bsdtar', ['--version'], 'libarchive-tools'), 'needed only for kernel.rpm profiles'),
    await toolCheck('xz', 'xz', ['--version'], 'xz-utils'),
    await toolCheck('zstd', 'zstd', ['--version'], 'zstd'),
    await toolCheck('chromium (site tests)', 'chromium', ['--version'], 'chromium'),
  ];
  try {
    await access('/usr/share/keyrings/debian-archive-keyring.gpg', constants.R_OK);
    checks.push({ name: 'Debian archive keyring', status: 'ok', detail: '/usr/share/keyrings/debian-archive-keyring.gpg', fix: '' });
  } catch {
    checks.push({ name: 'Debian archive keyring', status: 'missing', detail: 'not found', fix: 'apt-get install debian-archive-keyring' });
  }
  try {
    await access(DEFAULT_VALIDATOR, constants.X_OK);
    const isStatic = await isStaticElf(DEFAULT_VALIDATOR);
    checks.push(isStatic ? { name: 'validator', status: 'ok', detail: DEFAULT_VALIDATOR, fix: '' } : { name: 'validator', status: 'missing', detail: 'built, but not static', fix: "run 'make validator'" });
  } catch {
    checks.push({ name: 'validator', status: 'missing', detail: `${DEFAULT_VALIDATOR} not built`, fix: "run 'make validator'" });
  }
  let kvm: Check;
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
    const a = await kvmProbe();
    kvm = a.accel === 'kvm'
      ? { name: 'KVM', status: 'ok', detail: `works (${a.reason})`, fix: '' }
      : { name: 'KVM', status: 'warn', detail: `/dev/kvm exists but a real boot failed: ${a.reason}; TCG is used`, fix: 'nothing required: TCG works, only slower; check nested virtualisation to use KVM' };
  } catch {
    kvm = { name: 'KVM', status: 'warn', detail: 'no usable /dev/kvm; TCG is used', fix: 'nothing required; for speed, enable KVM and give this user access to /dev/kvm' };
  }
  checks.push(kvm);
  checks.push(...(await arm64Checks()));
  const cache = cacheRoot();
  const size = await dirSize(cache);
  checks.push({ name: 'cache', status: 'ok', detail: `${cache} (${(size / 1048576).toFixed(1)} MiB)`, fix: '' });
  return checks;
}
