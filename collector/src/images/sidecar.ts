import { readFile } from 'node:fs/promises';
import { z } from 'zod';

// image.json: written next to a disk built by `bpfcompat images build`. It names the disk and the kernel and
// initrd extracted from it (booted with -kernel/-initrd, root=/dev/vda), each with its sha256, so the lane
// boots the image's own kernel without a bootloader. A disk without this file boots by firmware (SeaBIOS).

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const fileName = z.string().regex(/^[A-Za-z0-9._-]+$/);

export const ImageSidecar = z.strictObject({
  schema: z.literal(1),
  name: z.string(),
  /** The disk's sha256 is the image's identity (the result key's kernel part). */
  disk: z.strictObject({ file: fileName, format: z.enum(['qcow2', 'raw']), sha256 }),
  kernel: z.strictObject({ file: fileName, sha256, release: z.string() }),
  initrd: z.strictObject({ file: fileName, sha256 }),
  cmdline: z.array(z.string()),
  arch: z.enum(['x86_64', 'arm64']),
  suite: z.string(),
  packages: z.array(z.string()),
  built_at: z.string(),
  build_ms: z.number().int(),
});
export type ImageSidecar = z.infer<typeof ImageSidecar>;

export const SIDECAR_FILE = 'image.json';

/** The sidecar at path, or null when there is none; a present but broken sidecar is an error. */
export async function readSidecar(path: string): Promise<ImageSidecar | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = ImageSidecar.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path} is not a valid image.json: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}
