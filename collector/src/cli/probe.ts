import { writeFileAtomic } from '../infra/fs.ts';
import { probeHost } from '../runtime/probe-host.ts';
import type { HostProfile } from '../runtime/host-profile.ts';
import { parseFlags } from './args.ts';
import type { Verb } from './verb.ts';

// `bpfcompat probe`: describes the host it runs on (read-only). Only parses flags, calls runtime/ and prints.

const HELP = `Usage: bpfcompat probe [--out FILE] [--json]

Describes the host this runs on, read-only, as a host profile (bpfcompat.host-profile.v1, JSON Schema in
docs/schema/host-profile.schema.json): kernel release, arch and image sha256 (/boot/vmlinuz-<release> when
readable), BTF presence, the kernel config's BPF-relevant options (/proc/config.gz or /boot/config-<release>),
the map types, program types and helpers (per program type) the kernel accepts (libbpf feature probes: empty
maps and two-instruction programs, closed at once), lockdown mode and unprivileged_bpf_disabled.

It never loads your objects. Run as root for the feature probes; without permission for bpf() the profile says
"unknown" for what it could not probe. Feed the profile to 'bpfcompat select --host FILE'.

  --out FILE   write the profile there (atomically)
  --json       print the profile on stdout (default: a summary)

Exit codes: 0 profile written · 1 usage error or the probe binary is missing (run 'make validator').`;

function summary(p: HostProfile): string {
  const count = (m: Record<string, string> | 'unknown') => (m === 'unknown' ? 'unknown' : `${Object.values(m).filter((s) => s === 'supported').length}/${Object.keys(m).length} supported`);
  const helpers = p.helpers === 'unknown' ? 'unknown' : Object.entries(p.helpers).map(([t, h]) => `${t} ${Object.values(h).filter((s) => s === 'supported').length}`).join(', ');
  return [
    `kernel ${p.kernel.release} (${p.kernel.arch})  image ${p.kernel.image === 'unknown' ? 'unknown' : p.kernel.image.sha256}`,
    `btf ${p.btf.available ? 'present' : 'absent'}  config ${p.config === 'unknown' ? 'unknown' : `${p.config.source} (${Object.keys(p.config.options).length} BPF-relevant options)`}`,
    `lockdown ${p.lockdown}  unprivileged_bpf_disabled ${p.unprivileged_bpf_disabled}  bpf() ${p.bpf_access}`,
    `map types ${count(p.map_types)}  program types ${count(p.program_types)}`,
    `helpers supported per program type: ${helpers}`,
  ].join('\n');
}

export const probeVerb: Verb = {
  name: 'probe',
  summary: "describe this host's kernel for BPF (read-only host profile)",
  help: HELP,
  async run(argv) {
    const { values } = parseFlags('probe', argv, { out: { type: 'string' }, json: { type: 'boolean' } });
    const profile = await probeHost();
    const text = JSON.stringify(profile, null, 2) + '\n';
    if (values.out) await writeFileAtomic(values.out, text);
    if (values.json) process.stdout.write(text);
    else process.stdout.write(summary(profile) + (values.out ? `\nprofile written to ${values.out}\n` : '\n'));
    return 0;
  },
};
