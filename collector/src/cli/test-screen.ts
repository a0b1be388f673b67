import type { Matrix } from '../config/matrix.ts';
import { manifestIdentity, type Manifest } from '../config/manifest.ts';
import { cacheRoot } from '../infra/xdg.ts';
import { resolveKernel } from '../kernels/resolve.ts';
import { screenKernelFromCache, type ScreenKernel } from '../screen/btf-source.ts';
import { screenDisagreements } from '../screen/disagreements.ts';
import { runScreen } from '../screen/screen.ts';
import type { ArtifactInfo } from '../validation/artifact.ts';
import type { ValidatorBinary } from '../validation/validator-binary.ts';
import type { TargetReport } from '../../../history/vocabulary/report-schema.ts';

// test --screen: the screen's predictions before the boots, and after them the kernels where the two disagree.
// The predictions go to stderr only: they are not part of the report and never reach the history.

export async function screenBeforeBoot(o: { matrix: Matrix; matrixPath: string; artifact: ArtifactInfo; validator: ValidatorBinary; manifest: Manifest | null; manifestPath: string; offline: boolean }) {
  const cacheDir = cacheRoot();
  const kernels: ScreenKernel[] = [];
  for (const p of o.matrix.profiles) {
    if (!p.kernel) continue;
    kernels.push(await screenKernelFromCache(p.id, await resolveKernel(p, { cacheDir, offline: o.offline }), cacheDir, { validatorPath: o.validator.path }));
  }
  const screen = await runScreen({
    artifact: { path: o.artifact.path, sha256: o.artifact.sha256 }, validator: { path: o.validator.path, sha256: o.validator.sha256 },
    manifest: o.manifest ? { path: o.manifestPath, sha256: manifestIdentity(o.manifest).sha256, manifest: o.manifest } : null,
    source: { kind: 'matrix', path: o.matrixPath, name: o.matrix.name }, kernels, group: false,
  });
  const s = screen.summary;
  process.stderr.write(`bpfcompat: screen (predicted, not booted): ${s.pass} pass, ${s.fail} fail, ${s.unknown} unknown in ${s.duration_ms} ms; booting every kernel to verify\n`);
  return {
    screen,
    printDisagreements(targets: TargetReport[]): void {
      const d = screenDisagreements(screen, targets);
      if (!d.length) process.stderr.write(`bpfcompat: screen and boot agree on every kernel the screen decided (${s.pass + s.fail} of ${s.targets})\n`);
      for (const x of d) process.stderr.write(`bpfcompat: screen disagrees: ${x.line}\n`);
    },
  };
}
