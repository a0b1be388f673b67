import { randomBytes } from 'node:crypto';

/** Run ids sort by time: YYYYMMDDTHHMMSSZ-<6 hex>, as the reference tool's. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
