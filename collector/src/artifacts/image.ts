import { readFile, stat } from 'node:fs/promises';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import type { KernelArch } from '../kernels/types.ts';
import { descriptors, MAX_BLOB_BYTES, MEDIA, parseJson, verified, type Descriptor, type ImageSource } from './model.ts';
import { directoryReader, layoutSource } from './layout.ts';
import { registrySource } from './registry.ts';
import { readTar } from './tar.ts';
import { objectsOfLayer, uniqueNames, type BpfObject } from './objects.ts';
import { bpfmanProgramTypes, type DeclaredTypes } from './program-types.ts';
import { formatReference, type ArtifactReference } from './reference.ts';

// An OCI reference → the BPF objects of the image for one guest CPU. The index is resolved to the CPU's platform,
// every blob is verified against its digest before it is read, and the image's identity is the digest the
// reference resolved to (the index's when there is one, so every CPU of a run shares it).

export interface OciImage {
  reference: string;
  /** sha256:… of what the reference names: the index, else the manifest (docker-archive: the image config, its ID) */
  digest: string;
  /** sha256:… of the platform manifest the objects came from */
  manifestDigest: string;
  arch: KernelArch;
  kind: 'gadget' | 'bpfman' | 'image';
  objects: BpfObject[];
  declared: DeclaredTypes;
}

const GOARCH: Record<KernelArch, string> = { x86_64: 'amd64', arm64: 'arm64' };
const isIndex = (mt: string | null | undefined, doc: Record<string, unknown>) => mt === MEDIA.ociIndex || mt === MEDIA.dockerList || (Array.isArray(doc.manifests) && !doc.layers);

export interface OpenOptions {
  insecureHosts: readonly string[];
  env?: NodeJS.ProcessEnv;
}

async function readArchive(file: string, label: string): Promise<Map<string, Buffer>> {
  let st;
  try {
    st = await stat(file);
  } catch {
    throw new BpfcompatError('FILE_NOT_FOUND', `--artifact ${label}: no such file ${file}`, { hint: 'write the archive with skopeo copy … oci-archive:FILE.tar or docker save' });
  }
  if (st.size > MAX_BLOB_BYTES) throw new BpfcompatError('FILE_TOO_LARGE', `--artifact ${label}: larger than ${MAX_BLOB_BYTES / 1048576} MiB`);
  const entries = readTar(await readFile(file), `--artifact ${label}`);
  if (entries.length === 0) throw new BpfcompatError('OCI_INVALID', `--artifact ${label}: not a tar archive (or an empty one)`, { hint: 'pass an archive written by skopeo copy or docker save' });
  return new Map(entries.map((e) => [e.name, e.data]));
}

/** The image named by a reference, for one guest CPU. */
export async function pullImage(ref: ArtifactReference, arch: KernelArch, opts: OpenOptions): Promise<OciImage> {
  const label = formatReference(ref);
  switch (ref.kind) {
    case 'file': throw new Error('pullImage: a file is not an image');
    case 'oci-layout': {
      const st = await stat(ref.dir).catch(() => null);
      if (!st?.isDirectory()) throw new BpfcompatError('FILE_NOT_FOUND', `--artifact ${label}: no such directory ${ref.dir}`, { hint: 'write the layout with skopeo copy … oci:DIR:TAG' });
      return fromSource(layoutSource(label, directoryReader(ref.dir), ref), arch);
    }
    case 'oci-archive': {
      const files = await readArchive(ref.file, label);
      return fromSource(layoutSource(label, async (p) => files.get(p) ?? null, { tag: ref.tag, digest: null }), arch);
    }
    case 'docker-archive': return fromDockerArchive(await readArchive(ref.file, label), label, arch);
    case 'registry': return fromSource(registrySource(label, ref.host, ref.repository, ref, { insecureHosts: opts.insecureHosts, ...(opts.env ? { env: opts.env } : {}) }), arch);
  }
}

async function fromSource(source: ImageSource, arch: KernelArch): Promise<OciImage> {
  const root = await source.root();
  let doc = parseJson(root.bytes, `--artifact ${source.label}: manifest`);
  let manifestDigest = root.digest;
  if (isIndex(root.mediaType ?? (doc.mediaType as string | undefined), doc)) {
    const list = descriptors(doc.manifests, `--artifact ${source.label}: index`);
    const want = GOARCH[arch];
    const match = list.find((d) => d.platform?.architecture === want && (d.platform.os ?? 'linux') === 'linux');
    if (!match) {
      const has = [...new Set(list.map((d) => d.platform?.architecture ?? 'unknown'))].join(', ');
      throw new BpfcompatError('OCI_PLATFORM', `--artifact ${source.label}: the index has no linux/${want} manifest for the ${arch} guests (it has: ${has || 'none'})`, { hint: `push a ${want} image into the index, or leave the ${arch} profiles out (--profile)` });
    }
    doc = parseJson(await source.fetch(match, `--artifact ${source.label}: ${want} manifest`), `--artifact ${source.label}: ${want} manifest`);
    manifestDigest = match.digest;
  }
  const config = doc.config as Descriptor | undefined;
  const layers = descriptors(doc.layers, `--artifact ${source.label}: manifest`);
  let labels: Record<string, string> | undefined;
  const gadget = config?.mediaType === MEDIA.gadgetConfig || layers.some((l) => l.mediaType === MEDIA.gadgetProgram);
  if (config && typeof config.digest === 'string' && !gadget && /json/.test(config.mediaType ?? '')) {
    const cfg = parseJson(await source.fetch(config, `--artifact ${source.label}: image config`), `--artifact ${source.label}: image config`);
    labels = (cfg.config as { Labels?: Record<string, string> } | undefined)?.Labels ?? undefined;
  } else if (config && typeof config.digest === 'string') {
    // The gadget's metadata (or another artifact config): verified like every blob, though nothing in it is used.
    await source.fetch(config, `--artifact ${source.label}: ${gadget ? 'gadget metadata' : 'config'}`);
  }
  const objects: BpfObject[] = [];
  for (const [i, layer] of layers.entries()) {
    const what = `--artifact ${source.label}: layer ${i} (${layer.mediaType})`;
    objects.push(...objectsOfLayer(layer, await source.fetch(layer, what), what));
  }
  return finish(source.label, root.digest, manifestDigest, arch, gadget ? 'gadget' : labels && Object.keys(labels).some((k) => k.startsWith('io.ebpf.')) ? 'bpfman' : 'image', objects, layers.map((l) => l.mediaType), bpfmanProgramTypes(labels));
}

function finish(label: string, digest: string, manifestDigest: string, arch: KernelArch, kind: OciImage['kind'], objects: BpfObject[], layerTypes: string[], declared: DeclaredTypes): OciImage {
  if (objects.length === 0) {
    throw new BpfcompatError('OCI_NO_BPF', `--artifact ${label}: the image holds no BPF object (${layerTypes.length} layer(s): ${layerTypes.join(', ') || 'none'})`, { hint: 'an eBPF image has a layer with a .bpf.o (bpfman) or a gadget ebpf layer' });
  }
  return { reference: label, digest, manifestDigest, arch, kind, objects: uniqueNames(objects), declared };
}

/** `docker save` / skopeo docker-archive: manifest.json, the config named by its sha256, layers checked against rootfs.diff_ids. */
function fromDockerArchive(files: Map<string, Buffer>, label: string, arch: KernelArch): OciImage {
  const manifestBytes = files.get('manifest.json');
  if (!manifestBytes) throw new BpfcompatError('OCI_NOT_FOUND', `--artifact ${label}: no manifest.json in the archive`, { hint: 'pass an archive written by docker save or skopeo copy … docker-archive:FILE' });
  let entries: Array<{ Config?: string; Layers?: string[] }>;
  try {
    entries = JSON.parse(manifestBytes.toString('utf8'));
  } catch {
    throw new BpfcompatError('OCI_INVALID', `--artifact ${label}: manifest.json is not JSON`);
  }
  if (!Array.isArray(entries) || entries.length !== 1) throw new BpfcompatError('OCI_INVALID', `--artifact ${label}: manifest.json lists ${Array.isArray(entries) ? entries.length : 0} images, expected one`);
  const { Config, Layers = [] } = entries[0]!;
  const configHex = /([0-9a-f]{64})(\.json)?$/.exec(Config ?? '')?.[1];
  const configBytes = Config ? files.get(Config) : undefined;
  if (!configHex || !configBytes) throw new BpfcompatError('OCI_NOT_FOUND', `--artifact ${label}: the image config ${Config ?? '(none)'} is missing or not named by its sha256`);
  const configDigest = `sha256:${configHex}`;
  const cfg = parseJson(verified(configBytes, { digest: configDigest }, `--artifact ${label}: image config`), `--artifact ${label}: image config`);
  const platform = cfg.architecture as string | undefined;
  if (platform && platform !== GOARCH[arch]) throw new BpfcompatError('OCI_PLATFORM', `--artifact ${label}: the archive holds a linux/${platform} image, not the linux/${GOARCH[arch]} the ${arch} guests need`, { hint: 'docker archives hold one platform; save the right one, or leave those profiles out' });
  const diffIds = ((cfg.rootfs as { diff_ids?: string[] } | undefined)?.diff_ids) ?? [];
  if (diffIds.length !== Layers.length) throw new BpfcompatError('INTEGRITY', `--artifact ${label}: ${Layers.length} layers but the config lists ${diffIds.length} diff_ids`);
  const objects: BpfObject[] = [];
  for (const [i, path] of Layers.entries()) {
    const bytes = files.get(path);
    const what = `--artifact ${label}: layer ${path}`;
    if (!bytes) throw new BpfcompatError('OCI_NOT_FOUND', `${what}: missing from the archive`);
    verified(bytes, { digest: diffIds[i]! }, what);
    objects.push(...objectsOfLayer({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', digest: diffIds[i]!, size: bytes.length }, bytes, what));
  }
  const labels = (cfg.config as { Labels?: Record<string, string> } | undefined)?.Labels ?? undefined;
  return finish(label, configDigest, configDigest, arch, labels && Object.keys(labels).some((k) => k.startsWith('io.ebpf.')) ? 'bpfman' : 'image', objects, Layers.map(() => 'tar'), bpfmanProgramTypes(labels));
}
