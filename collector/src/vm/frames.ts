import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { sha256Hex } from '../../../history/vocabulary/hash.ts';

// The result channel's framing. The guest (guest/init.sh and the agent, validator/agent/) writes these lines
// to its result port:
//   @@BPFC booted
//   @@BPFC job-start <id>
//   @@BPFC file <id> <byte length> <sha256> <name>     then the body as base64 lines, then
//   @@BPFC end <id>
//   @@BPFC zfile <id> <byte length> <sha256> <name>    the same with the body raw-deflated before base64
//   @@BPFC job-end <id> <exit code>
//   @@BPFC done
// A file is accepted only when its decoded (inflated) length and sha256 match its header, so a garbled or
// cut transfer is reported as such instead of being read as evidence.

export const FRAME_PREFIX = '@@BPFC ';

export type Frame =
  | { type: 'booted' }
  | { type: 'job-start'; id: string }
  | { type: 'file'; id: string; name: string; data: Buffer }
  | { type: 'job-end'; id: string; exitCode: number }
  | { type: 'done' }
  | { type: 'corrupt'; message: string };

interface OpenFile {
  deflated: boolean;
  id: string;
  name: string;
  length: number;
  sha256: string;
  body: string[];
}

const BASE64_LINE = /^[A-Za-z0-9+/=]*$/;

/** Incremental decoder: push raw bytes as they arrive, get whole frames back. */
export class FrameDecoder {
  #pending = '';
  #open: OpenFile | null = null;
  #corrupt = false;

  push(chunk: Buffer | string): Frame[] {
    if (this.#corrupt) return [];
    this.#pending += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const out: Frame[] = [];
    let nl: number;
    while ((nl = this.#pending.indexOf('\n')) >= 0) {
      const line = this.#pending.slice(0, nl).replace(/\r+$/, '');
      this.#pending = this.#pending.slice(nl + 1);
      const frame = this.#line(line);
      if (frame) {
        out.push(frame);
        if (frame.type === 'corrupt') {
          this.#corrupt = true;
          break;
        }
      }
    }
    return out;
  }

  /** True when the stream stopped inside a file frame (or mid-line): the transfer was cut. */
  get truncated(): boolean {
    return this.#open !== null || this.#pending.replace(/\r/g, '').length > 0;
  }

  #line(line: string): Frame | null {
    const open = this.#open;
    if (open) {
      if (!line.startsWith(FRAME_PREFIX)) {
        if (!BASE64_LINE.test(line)) return corrupt(`file ${open.name} of job ${open.id}: body line is not base64`);
        open.body.push(line);
        return null;
      }
      const [kind, id] = line.slice(FRAME_PREFIX.length).split(' ');
      if (kind !== 'end' || id !== open.id) return corrupt(`file ${open.name} of job ${open.id}: interrupted by "${line.slice(0, 80)}"`);
      this.#open = null;
      let data = Buffer.from(open.body.join(''), 'base64');
      if (open.deflated) {
        try {
          // Bounded: a hostile guest could otherwise send a tiny deflate bomb.
          data = inflateRawSync(data, { maxOutputLength: Math.max(open.length, 1) });
        } catch {
          return corrupt(`file ${open.name} of job ${open.id}: deflated body does not inflate to ${open.length} bytes`);
        }
      }
      if (data.length !== open.length) return corrupt(`file ${open.name} of job ${open.id}: ${data.length} bytes received, header says ${open.length}`);
      if (sha256Hex(data) !== open.sha256) return corrupt(`file ${open.name} of job ${open.id}: sha256 mismatch`);
      return { type: 'file', id: open.id, name: open.name, data };
    }
    // Outside a file the channel should be silent; stray bytes (e.g. a boot-time serial probe) are ignored.
    if (!line.startsWith(FRAME_PREFIX)) return null;
    const fields = line.slice(FRAME_PREFIX.length).split(' ');
    const [kind, id, a, b] = fields;
    switch (kind) {
      case 'booted':
        return { type: 'booted' };
      case 'done':
        return { type: 'done' };
      case 'job-start':
        return id ? { type: 'job-start', id } : corrupt(`bad frame "${line}"`);
      case 'job-end': {
        const code = Number(a);
        return id && a !== undefined && Number.isInteger(code) ? { type: 'job-end', id, exitCode: code } : corrupt(`bad frame "${line}"`);
      }
      case 'file':
      case 'zfile': {
        const length = Number(a);
        const name = fields.slice(4).join(' ');
        if (!id || !Number.isInteger(length) || length < 0 || !b || !/^[0-9a-f]{64}$/.test(b) || name === '') return corrupt(`bad frame "${line}"`);
        this.#open = { deflated: kind === 'zfile', id, name, length, sha256: b, body: [] };
        return null;
      }
      default:
        return corrupt(`unknown frame "${line.slice(0, 80)}"`);
    }
  }
}

function corrupt(message: string): Frame {
  return { type: 'corrupt', message };
}

/** A frame as the guest sends it: a file goes plain (init.sh) or deflated (the agent). */
export type SentFrame = Exclude<Frame, { type: 'corrupt' }> | { type: 'zfile'; id: string; name: string; data: Buffer };

/** The host-side twin of the guest's encoders, for tests and for tools that fake a guest. */
export function encodeFrames(frames: SentFrame[]): string {
  return frames
    .map((f) => {
      switch (f.type) {
        case 'booted':
        case 'done':
          return `${FRAME_PREFIX}${f.type}\n`;
        case 'job-start':
          return `${FRAME_PREFIX}job-start ${f.id}\n`;
        case 'job-end':
          return `${FRAME_PREFIX}job-end ${f.id} ${f.exitCode}\n`;
        case 'file':
        case 'zfile': {
          const body = f.type === 'zfile' ? deflateRawSync(f.data) : f.data;
          const b64 = body.toString('base64').replace(/.{1,76}/g, '$&\n');
          return `${FRAME_PREFIX}${f.type} ${f.id} ${f.data.length} ${sha256Hex(f.data)} ${f.name}\n${b64}${FRAME_PREFIX}end ${f.id}\n`;
        }
      }
    })
    .join('');
}
