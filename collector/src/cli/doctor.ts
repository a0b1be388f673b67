import type { Verb } from './verb.ts';
import { parseFlags } from './args.ts';
import { runChecks } from '../doctor/checks.ts';
import { detectAccel } from '../vm/accel.ts';
import { listCachedKernels } from '../kernels/resolve.ts';

/** A real short KVM boot needs a kernel: the first cached one. */
async function probeHostAccel(): Promise<{ accel: string; reason: string }> {
  const [kernel] = await listCachedKernels();
  if (!kernel) return { accel: 'unknown', reason: "no cached kernel to probe with (run 'bpfcompat kernels fetch --matrix dev-one')" };
  return detectAccel(kernel);
}

const HELP = `Usage: bpfcompat doctor [--json]

Checks what bpfcompat needs on this host — Node, QEMU, busybox, the validator, gpgv and the Debian keyring,
whether KVM really works (a short real boot) — and prints the cache location and size, with what to do about
each missing piece. Exit 1 when something required is missing.`;

export const doctorVerb: Verb = {
  name: 'doctor',
  summary: 'check the host: tools, validator, KVM, cache',
  help: HELP,
  async run(argv) {
    const { values } = parseFlags('doctor', argv, { json: { type: 'boolean' } }, { positionals: 0 });
    const checks = await runChecks(() => probeHostAccel());
    if (values.json) process.stdout.write(JSON.stringify(checks, null, 2) + '\n');
    else {
      const width = Math.max(...checks.map((c) => c.name.length));
      for (const c of checks) {
        const mark = c.status === 'ok' ? 'ok  ' : c.status === 'warn' ? 'warn' : 'MISS';
        process.stdout.write(`${mark} ${c.name.padEnd(width)}  ${c.detail}${c.fix ? `\n     ${' '.repeat(width)}  → ${c.fix}` : ''}\n`);
      }
    }
    return checks.some((c) => c.status === 'missing') ? 1 : 0;
  },
};
