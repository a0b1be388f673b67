import { basename } from 'node:path';
import type { KernelArch } from '../kernels/types.ts';
import type { ArtifactInfo } from '../validation/artifact.ts';
import { pullImage, type OciImage } from './image.ts';
import type { ArtifactReference } from './reference.ts';

/** The image for every guest CPU of the matrix; the run's identity is the digest the reference names, which they share. */
export async function pullImages(ref: ArtifactReference, arches: KernelArch[], insecureHosts: readonly string[]): Promise<Partial<Record<KernelArch, OciImage>>> {
  const out: Partial<Record<KernelArch, OciImage>> = {};
  for (const arch of new Set(arches)) out[arch] = await pullImage(ref, arch, { insecureHosts });
  return out;
}

/** The report's artifact block for an image: its identity is the digest, its path the reference. */
export function imageArtifactInfo(image: OciImage, name: string): ArtifactInfo {
  return { path: image.reference, basename: name, sha256: image.digest.slice('sha256:'.length), sizeBytes: image.objects.reduce((s, o) => s + o.bytes.length, 0) };
}

/** The family name history groups an image's versions under: the repository's last component, the layout or archive's name. */
export function imageName(ref: ArtifactReference): string {
  switch (ref.kind) {
    case 'registry': return ref.repository.split('/').pop()!;
    case 'oci-layout': return basename(ref.dir.replace(/\/+$/, ''));
    case 'oci-archive':
    case 'docker-archive': return basename(ref.file).replace(/\.tar$/, '');
    case 'file': return basename(ref.path);
  }
}
