import type { Verb } from './verb.ts';
import { parseFlags } from './args.ts';
import { RUN_FLAGS, checkLabelFlags } from './run-flags.ts';
import { runCommandMode } from './command-mode.ts';

const HELP = `Usage: bpfcompat test-command --cmd COMMAND [--bin LOADER] --matrix MATRIX --out report.json [flags]

Command mode: runs your own loader (or any command) as root in every kernel's guest under \`bash -lc\`;
the verdict is its exit code. Same as \`bpfcompat test --command …\`. See docs/command-mode.md.

In the guest: BPFCOMPAT_BIN (the shipped --bin, executable; empty if none), BPFCOMPAT_ARTIFACT (the staged
--artifact; empty if none), BPFCOMPAT_REMOTE_ROOT (the per-run scratch root). Dynamically linked binaries
get their shared libraries staged with them.

Flags:
  --cmd COMMAND            shell command run in each guest (one bash -lc operand)            (required)
  --bin PATH               local executable shipped into each guest as $BPFCOMPAT_BIN
  --expect-exit N          exit code that counts as a pass, 0-255 (default 0)
  --artifact PATH          a .bpf.o staged as $BPFCOMPAT_ARTIFACT
  --guest-tool NAME|PATH   a host tool to put into the guest with its libraries, e.g. bpftool, timeout (repeatable)
  --matrix PATH|NAME       matrix YAML, or a shipped matrix name (debian, dev-one, quick)    (required unless --quick)
  --quick                  the shipped matrix 'quick': Debian 5.10, 6.1 and the newest kernel
  --out PATH               JSON report path                                                 (required)
  --markdown PATH          Markdown report path
  --junit PATH             JUnit XML path
  --profile ID             only this profile of the matrix (repeatable)
  --shard I/N              only slice I of N of the kernels (CI job matrices; merge the histories after)
  --jobs N                 guests run in parallel (default: number of cores); --concurrency N is the same
  --keep-vm-on-failure     keep the guest's initramfs (initrd.cpio) of a boot with a target that did not pass
  --artifact-uri URI       where the artifact is published, recorded in the report
  --timeout DURATION       the command's budget per kernel (default 120s; a profile's timeout wins)
  --workdir DIR            evidence directory (default .bpfcompat)
  --artifact-name NAME     family name in history (default: the binary's name, else "command")
  --artifact-version V     version label in history
  --artifact-variant V     variant label
  --history PATH | --no-history | --sign-key KEY | --fresh | --offline | --json | --quiet   as for bpfcompat test

Exit codes: 0 all required targets passed · 2 a required target failed · 1 usage or infrastructure error.`;

export const testCommandVerb: Verb = {
  name: 'test-command',
  summary: 'run your own loader (or a command) on every kernel of a matrix',
  help: HELP,
  async run(argv) {
    const { values: v } = parseFlags('test-command', argv, {
      ...RUN_FLAGS,
      cmd: { type: 'string' },
      bin: { type: 'string' },
      'expect-exit': { type: 'string' },
      shard: { type: 'string' },
    }, { positionals: 0 });
    checkLabelFlags(v);
    return runCommandMode({
      command: v.cmd, binary: v.bin, expectExit: v['expect-exit'],
      flags: { command: '--cmd', binary: '--bin', expectExit: '--expect-exit' },
      artifact: v.artifact, guestTools: v['guest-tool'], matrix: v.matrix, quick: v.quick, profiles: v.profile, shard: v.shard,
      out: v.out, markdown: v.markdown, junit: v.junit, jobs: v.jobs, concurrency: v.concurrency, timeout: v.timeout, workdir: v.workdir,
      keepOnFailure: v['keep-vm-on-failure'], artifactUri: v['artifact-uri'],
      artifactName: v['artifact-name'], artifactVersion: v['artifact-version'], artifactVariant: v['artifact-variant'],
      history: v.history, noHistory: v['no-history'], signKey: v['sign-key'], fresh: v.fresh, offline: v.offline, json: v.json, quiet: v.quiet,
    });
  },
};
