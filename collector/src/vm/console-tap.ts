import { createWriteStream, type WriteStream } from 'node:fs';

// The guest console as evidence: every byte goes to console.log, complete lines are handed on,
// the last lines are kept for error messages, and a kernel panic is noticed as it scrolls by. Once a panic is seen,
// the tail is the panic itself (a few lines of what led to it, the message, then the trace as far as it fits), so a
// long stack trace cannot push the reason out of the evidence.

const PANIC = /Kernel panic - not syncing|---\[ end Kernel panic/;
/** Lines kept from before the panic message: what triggered it (an Oops, "sysrq: Trigger a crash", a BUG). */
const BEFORE_PANIC = 8;

export class ConsoleTap {
  readonly #file: WriteStream;
  readonly #tail: string[] = [];
  readonly #keep: number;
  readonly #onLine: (line: string) => void;
  #partial = '';
  #panicLine: string | null = null;
  /** from a few lines before the panic message on, at most #keep lines; null until a panic is seen */
  #panicTail: string[] | null = null;

  constructor(path: string, onLine: (line: string) => void, keepLines = 40) {
    this.#file = createWriteStream(path);
    // A console log that cannot be written must not crash the run; the tail still reaches the report.
    this.#file.on('error', () => {});
    this.#onLine = onLine;
    this.#keep = keepLines;
  }

  push(chunk: Buffer): void {
    this.#file.write(chunk);
    this.#partial += chunk.toString('utf8');
    let nl: number;
    while ((nl = this.#partial.indexOf('\n')) >= 0) {
      this.#line(this.#partial.slice(0, nl).replace(/\r+$/, ''));
      this.#partial = this.#partial.slice(nl + 1);
    }
  }

  #line(line: string): void {
    this.#tail.push(line);
    if (this.#tail.length > this.#keep) this.#tail.shift();
    if (this.#panicTail !== null) {
      if (this.#panicTail.length < this.#keep) this.#panicTail.push(line);
    } else if (PANIC.test(line)) {
      this.#panicLine = line.trim();
      this.#panicTail = this.#tail.slice(-BEFORE_PANIC - 1);
    }
    this.#onLine(line);
  }

  /** The panic message if one was seen. */
  get panic(): string | null {
    return this.#panicLine;
  }

  tail(): string {
    if (this.#panicTail !== null) return this.#panicTail.join('\n');
    return [...this.#tail, ...(this.#partial ? [this.#partial] : [])].join('\n');
  }

  async close(): Promise<void> {
    if (this.#partial) this.#line(this.#partial.replace(/\r+$/, ''));
    this.#partial = '';
    await new Promise<void>((resolve) => this.#file.end(resolve));
  }
}
