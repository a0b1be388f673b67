import { execFile } from 'node:child_process';
import { access, constants, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { sha256File, sha256Hex } from '../../../history/vocabulary/hash.ts';
import { HOST_PROFILE_SCHEMA, HostProbeOutput, HostProfile } from './host-profile.ts';

// `bpfcompat probe`'s core: runs the static host probe (validator/tools/host-probe.c) and adds what is read from
// files (the kernel config, the kernel image's sha256). Read-only: it never loads a user's object.

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DEFAULT_HOST_PROBE = join(REPO_ROOT, 'validator', 'build', 'bpfcompat-host-probe');

/** Config options a BPF decision can depend on (a set option whose name contains one of these). */
const CONFIG_RELEVANT = /BPF|BTF|KPROBE|UPROBE|FTRACE|FUNCTION_TRACER|TRACING|TRACEPOINT|PERF_EVENT|CGROUP|XDP|NET_CLS|NET_SCH|NET_ACT|LSM|SECURITY_LOCKDOWN|LOCK_DOWN|DEBUG_INFO|KALLSYMS|NETFILTER|FPROBE|KPROBES|MODULES$/;

export function locateHostProbe(env: NodeJS.ProcessEnv = process.env): string {
  return env.BPFCOMPAT_HOST_PROBE_BIN || DEFAULT_HOST_PROBE;
}

/** Runs the probe binary; its JSON parsed, or a one-line error naming the binary. */
async function runProbeBinary(path: string): Promise<HostProbeOutput> {
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new BpfcompatError('TOOL_MISSING', `host probe ${path}: not found or not executable`, { hint: "run 'make validator' (or set BPFCOMPAT_HOST_PROBE_BIN)" });
  }
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(path, [], { maxBuffer: 16 << 20, timeout: 120_000 }, (err, out) => (err ? reject(err) : resolve(out)));
  }).catch((err: Error) => {
    throw new BpfcompatError('TOOL_MISSING', `host probe ${path}: failed: ${err.message.split('\n')[0]}`, { hint: 'rebuild it with make validator' });
  });
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new BpfcompatError('INTERNAL', `host probe ${path}: output is not JSON`, { hint: 'rebuild it with make validator' });
  }
  const parsed = HostProbeOutput.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BpfcompatError('INTERNAL', `host probe ${path}: output field ${issue.path.join('.') || '(root)'}: ${issue.message}`, { hint: 'rebuild it with make validator' });
  }
  return parsed.data;
}

/** The set, relevant options of a kernel config text. */
export function relevantConfig(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m && CONFIG_RELEVANT.test(m[1]!)) out[m[1]!] = m[2]!;
  }
  return out;
}

async function readConfig(release: string, root: string): Promise<HostProfile['config']> {
  const candidates: [string, (b: Buffer) => string][] = [
    ['/proc/config.gz', (b) => gunzipSync(b).toString('utf8')],
    [`/boot/config-${release}`, (b) => b.toString('utf8')],
  ];
  for (const [source, decode] of candidates) {
    let text: string;
    try {
      text = decode(await readFile(join(root, source)));
    } catch {
      continue; // absent, unreadable or not gzip: the next source, else unknown
    }
    return { source, sha256: sha256Hex(text), options: relevantConfig(text) };
  }
  return 'unknown';
}

async function readImage(release: string, root: string): Promise<HostProfile['kernel']['image']> {
  const path = join(root, 'boot', `vmlinuz-${release}`);
  try {
    if (!(await stat(path)).isFile()) return 'unknown';
    return { path: join('/boot', `vmlinuz-${release}`), sha256: await sha256File(path) };
  } catch {
    return 'unknown';
  }
}

const LOCKDOWN = new Set(['none', 'integrity', 'confidentiality']);

/** Turns the probe binary's output and the files read beside it into a host profile. */
export function assembleProfile(p: HostProbeOutput, extra: { config: HostProfile['config']; image: HostProfile['kernel']['image']; probeSha256: string; uid: number; now: Date }): HostProfile {
  return HostProfile.parse({
    schema_version: HOST_PROFILE_SCHEMA,
    generated_at: extra.now.toISOString(),
    kernel: { release: p.kernel_release, version: p.kernel_version, arch: p.machine, image: extra.image },
    btf: p.kernel_btf,
    config: extra.config,
    lockdown: LOCKDOWN.has(p.lockdown) ? p.lockdown : 'unknown',
    unprivileged_bpf_disabled: typeof p.unprivileged_bpf_disabled === 'number' && p.unprivileged_bpf_disabled >= 0 ? p.unprivileged_bpf_disabled : 'unknown',
    bpf_access: p.bpf_access,
    map_types: p.map_types,
    program_types: p.program_types,
    helpers: p.helpers,
    probe: { tool: 'bpfcompat-host-probe', sha256: extra.probeSha256, libbpf_version: p.libbpf_version, uid: extra.uid },
  });
}

/** Probes the host this process runs on. `root` lets tests point the file reads elsewhere; the probe binary always asks the running kernel. */
export async function probeHost(opts: { probeBin?: string; root?: string; now?: Date } = {}): Promise<HostProfile> {
  const bin = opts.probeBin ?? locateHostProbe();
  const out = await runProbeBinary(bin);
  const root = opts.root ?? '/';
  const [config, image, probeSha256] = await Promise.all([readConfig(out.kernel_release, root), readImage(out.kernel_release, root), sha256File(bin)]);
  return assembleProfile(out, { config, image, probeSha256, uid: process.getuid?.() ?? -1, now: opts.now ?? new Date() });
}
