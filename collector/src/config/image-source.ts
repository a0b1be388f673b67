import { z } from 'zod';

// profile.image: a disk image booted with a copy-on-write overlay and reached over SSH (the disk-image lane).

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (a sha256)');
const duration = z.string().regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 90s, 5m or 1h');

export const ImageSource = z
  .strictObject({
    /** A qcow2/raw disk image (e.g. a distro cloud image with cloud-init); relative to the current directory. */
    path: z.string().min(1).optional(),
    /** An image built by `bpfcompat images build NAME` (e.g. debian-12), looked up in the image cache. */
    name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/).optional(),
    sha256: sha256.optional(),
    format: z.enum(['qcow2', 'raw']).optional(),
    /** Time allowed from power-on to SSH ready. */
    ssh_timeout: duration.default('180s'),
  })
  .refine((i) => (i.path === undefined) !== (i.name === undefined), { message: 'must have exactly one of path or name' });
export type ImageSource = z.infer<typeof ImageSource>;
