import { join, resolve } from 'node:path';
import { BpfcompatError, EXIT_COMPAT_FAILURE, usageError } from '../../../history/vocabulary/errors.ts';
import { loadManifest, manifestIdentity } from '../config/manifest.ts';
import { loadMatrix } from '../config/matrix.ts';
import { locateMatrix } from '../config/locate.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { cacheRoot } from '../infra/xdg.ts';
import { resolveKernel } from '../kernels/resolve.ts';
import { screenKernelFromCache, screenKernelsFromPaths, type ScreenKernel } from '../screen/btf-source.ts';
import { renderScreenMarkdown } from '../screen/markdown.ts';
import { runScreen } from '../screen/screen.ts';
import { inspectArtifact } from '../validation/artifact.ts';
import { parseArtifactReference } from '../artifacts/reference.ts';
import { pullImage } from '../artifacts/image.ts';
import { singleObjectImage } from '../artifacts/run-image.ts';
import { locateValidator } from '../validation/validator-binary.ts';
import { parseFlags } from './args.ts';
import { selectProfiles } from './run-flags.ts';
import type { Verb } from './verb.ts';

const HELP = `Usage: bpfcompat screen --artifact OBJ.bpf.o (--matrix MATRIX | --btf PATH...) [flags]

Predicts, without booting anything, whether the object loads on each kernel: its CO-RE relocations are computed
by libbpf's own relocation logic against the kernel's BTF, and its kfuncs, ksyms, __kconfig externs, attach
targets (BTF functions, bpf_lsm_<hook>, btf_trace_<tp>, bpf_iter_<name>, System.map), helper ids, map, program
and attach types are looked up there. Each kernel and program gets pass, fail (with the boot path's
classification code and root cause) or unknown (with what BTF cannot decide). Predictions are never verdicts:
they are written as bpfcompat.screen.v1 and never stored in the history. See docs/screen.md.

Flags:
  --artifact PATH|REF    compiled eBPF object (.bpf.o), or an OCI image with one BPF object (docs/oci.md)  (required)
  --registry-insecure H  plain HTTP for registry H[:PORT] (repeatable)
  --matrix PATH|NAME     the matrix's kernels (resolved into the kernel cache; BTF extracted once per image)
  --btf PATH             raw BTF (.btf), a BTFhub archive (.btf.tar.xz), a vmlinux ELF, or a directory in
                         BTFhub's layout <distro>/<release>/<arch>/<uname -r>.btf.tar.xz (repeatable)
  --profile ID           only this profile of the matrix (repeatable)
  --manifest PATH        manifest YAML: required attaches, retyped programs and functional tests change predictions
  --group                group kernels whose facts for this object are identical; one representative per group to boot
  --out PATH             write the screen JSON (bpfcompat.screen.v1)
  --markdown PATH        write the screen as Markdown
  --json                 print the screen JSON on stdout (the default when neither --out nor --markdown is given)
  --fail-on-predicted-fail  exit 2 when a kernel is predicted to fail (a cheap pre-boot gate)
  --offline              use only cached kernel indexes and packages

Exit codes: 0 screened · 2 with --fail-on-predicted-fail, a kernel is predicted to fail · 1 usage or infrastructure error.`;

export const screenVerb: Verb = {
  name: 'screen',
  summary: 'predict from kernels\' BTF, without booting, where an object loads (pass/fail/unknown)',
  help: HELP,
  async run(argv) {
    const { values } = parseFlags('screen', argv, {
      artifact: { type: 'string' }, matrix: { type: 'string' }, btf: { type: 'string', multiple: true }, profile: { type: 'string', multiple: true },
      manifest: { type: 'string' }, group: { type: 'boolean' }, out: { type: 'string' }, markdown: { type: 'string' }, json: { type: 'boolean' },
      'fail-on-predicted-fail': { type: 'boolean' }, offline: { type: 'boolean' }, 'registry-insecure': { type: 'string', multiple: true },
    }, { positionals: 0 });
    if (!values.artifact) throw usageError('screen: --artifact is required', "run 'bpfcompat screen --help'");
    if (!values.matrix === !values.btf?.length) throw usageError('screen: give exactly one of --matrix or --btf', 'the kernels come from a matrix or from BTF files');
    if (values.profile?.length && !values.matrix) throw usageError('screen: --profile selects profiles of --matrix', 'drop --profile or use --matrix');
    for (const f of ['out', 'markdown'] as const) {
      const v = values[f];
      if (v !== undefined && (v === '.' || v.endsWith('/'))) throw usageError(`--${f} ${v}: must be a file path`);
    }
    // An OCI image with one BPF object (its x86_64 view) is screened as that object, under the image's digest.
    const reference = parseArtifactReference(values.artifact);
    const image = reference.kind === 'file' ? null : await singleObjectImage([await pullImage(reference, 'x86_64', { insecureHosts: values['registry-insecure'] ?? [] })], join(cacheRoot(), 'artifacts', 'oci-objects'), 'screen');
    const artifact = image ? image.artifact : await inspectArtifact(values.artifact);
    const validator = await locateValidator();
    const manifest = values.manifest ? await loadManifest(values.manifest) : image?.declared ?? null;
    const manifestPath = values.manifest ?? (manifest ? '(program types declared by the image)' : null);
    const cacheDir = cacheRoot();
    let kernels: ScreenKernel[];
    let source;
    if (values.matrix) {
      const matrixPath = locateMatrix(values.matrix);
      const matrix = await loadMatrix(matrixPath);
      const profiles = selectProfiles(matrix.profiles, values.profile, matrixPath);
      kernels = [];
      for (const p of profiles) {
        if (!p.kernel) {
          kernels.push({ id: p.id, release: null, imageSha256: null, btfPath: null, btfSha256: null, btfMissing: `profile ${p.id} runs in the ${p.image ? 'image' : 'ssh'} lane: its kernel is not in the catalog`, systemMapPath: null, configPath: null, modulesBtf: [] });
          continue;
        }
        const onProgress = (m: string) => process.stderr.write(`bpfcompat: ${m}\n`);
        const k = await resolveKernel(p, { cacheDir, offline: values.offline === true, onProgress });
        kernels.push(await screenKernelFromCache(p.id, k, cacheDir, { validatorPath: validator.path, onProgress }));
      }
      source = { kind: 'matrix' as const, path: matrixPath, name: matrix.name };
    } else {
      kernels = await screenKernelsFromPaths(values.btf!, cacheDir);
      source = { kind: 'btf' as const, paths: values.btf!.map((p) => resolve(p)) };
    }
    const report = await runScreen({
      artifact: { path: artifact.path, sha256: artifact.sha256 },
      validator: { path: validator.path, sha256: validator.sha256 },
      manifest: manifest && manifestPath ? { path: manifestPath, sha256: manifestIdentity(manifest).sha256, manifest } : null,
      source, kernels, group: values.group === true,
    });
    const json = JSON.stringify(report, null, 2) + '\n';
    if (values.out) await writeFileAtomic(values.out, json);
    if (values.markdown) await writeFileAtomic(values.markdown, renderScreenMarkdown(report));
    if (values.json || (!values.out && !values.markdown)) process.stdout.write(json);
    const s = report.summary;
    process.stderr.write(`bpfcompat: screened ${s.targets} kernels in ${s.duration_ms} ms (predicted, not booted): ${s.pass} pass, ${s.fail} fail, ${s.unknown} unknown${report.groups ? `; ${report.groups.length} groups to boot` : ''}\n`);
    if (report.groups) for (const g of report.groups) process.stderr.write(`bpfcompat: group ${g.fingerprint.slice(0, 12)} (${g.prediction}): boot ${g.representative} for ${g.members.length} kernel${g.members.length === 1 ? '' : 's'}\n`);
    if (!report.targets.length) throw new BpfcompatError('USAGE', 'screen: no kernel to screen', { hint: 'check --profile or the --btf paths' });
    return values['fail-on-predicted-fail'] && s.fail > 0 ? EXIT_COMPAT_FAILURE : 0;
  },
};
