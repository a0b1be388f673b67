import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { descriptors, MAX_BLOB_BYTES, parseJson, verified, type Descriptor, type ImageSource, type RootManifest } from './model.ts';

// An OCI image layout (a directory, or the files of an oci-archive): oci-layout, index.json, blobs/sha256/<hex>.

/** Reads a file of the layout by its relative path, or null when it is absent. */
export type LayoutReader = (path: string) => Promise<Buffer | null>;

export function directoryReader(dir: string): LayoutReader {
  return async (path) => {
    const full = join(dir, path);
    try {
      const st = await stat(full);
      if (!st.isFile()) return null;
      if (st.size > MAX_BLOB_BYTES) throw new BpfcompatError('FILE_TOO_LARGE', `${full}: larger than ${MAX_BLOB_BYTES / 1048576} MiB`);
      return await readFile(full);
    } catch (err) {
      if (err instanceof BpfcompatError) throw err;
      return null;
    }
  };
}

export function layoutSource(label: string, read: LayoutReader, select: { tag: string | null; digest: string | null }): ImageSource {
  return {
    label,
    async root(): Promise<RootManifest> {
      const marker = await read('oci-layout');
      if (!marker) throw new BpfcompatError('OCI_INVALID', `--artifact ${label}: not an OCI image layout (no oci-layout file)`, { hint: 'write one with skopeo copy … oci:DIR:TAG' });
      const indexBytes = await read('index.json');
      if (!indexBytes) throw new BpfcompatError('OCI_NOT_FOUND', `--artifact ${label}: the layout has no index.json`, { hint: 'the layout is incomplete' });
      const list = descriptors(parseJson(indexBytes, `${label}: index.json`).manifests, `${label}: index.json`);
      const name = (d: Descriptor) => d.annotations?.['org.opencontainers.image.ref.name'];
      let chosen: Descriptor | undefined;
      if (select.digest) chosen = list.find((d) => d.digest === select.digest);
      else if (select.tag) chosen = list.find((d) => name(d) === select.tag);
      else chosen = list.length === 1 ? list[0] : undefined;
      if (!chosen) {
        const tags = list.map(name).filter(Boolean);
        const wanted = select.digest ?? (select.tag ? `tag '${select.tag}'` : 'a single image');
        throw new BpfcompatError('OCI_NOT_FOUND', `--artifact ${label}: the layout has no manifest for ${wanted}`, { hint: tags.length ? `its tags: ${tags.join(', ')}` : `it holds ${list.length} manifests; name one by tag or @digest` });
      }
      return { bytes: await this.fetch(chosen, `${label}: manifest ${chosen.digest}`), digest: chosen.digest, mediaType: chosen.mediaType };
    },
    async fetch(d, what) {
      const hex = /^sha256:([0-9a-f]{64})$/.exec(d.digest)?.[1];
      if (!hex) throw new BpfcompatError('OCI_INVALID', `${what}: unsupported digest '${d.digest}'`);
      const bytes = await read(`blobs/sha256/${hex}`);
      if (!bytes) throw new BpfcompatError('OCI_NOT_FOUND', `${what}: blob ${d.digest} is missing from the layout`, { hint: 'the layout is incomplete; copy the image again' });
      return verified(bytes, d, what);
    },
  };
}
