import type { Frame } from './frames.ts';
import type { GuestEvent, JobOutput } from './types.ts';

// Turns decoded result frames into per-job outputs and runner events. Pure apart from the clock it is given.

export class JobCollector {
  readonly jobs: JobOutput[] = [];
  booted = false;
  done = false;
  /** Set on the first frame that breaks the protocol. */
  corrupt: string | null = null;
  #current: { id: string; startedMs: number; files: Record<string, Buffer> } | null = null;
  readonly #now: () => number;
  readonly #emit: (e: GuestEvent) => void;
  readonly #bootBase: number;

  /** `now` gives ms on the same clock as `spawnedAtMs`. */
  constructor(now: () => number, spawnedAtMs: number, emit: (e: GuestEvent) => void) {
    this.#now = now;
    this.#bootBase = spawnedAtMs;
    this.#emit = emit;
  }

  bootMs = 0;

  accept(f: Frame): void {
    if (this.corrupt) return;
    switch (f.type) {
      case 'corrupt':
        this.corrupt = f.message;
        return;
      case 'booted':
        this.booted = true;
        this.bootMs = Math.round(this.#now() - this.#bootBase);
        this.#emit({ type: 'booted', ms: this.bootMs });
        return;
      case 'job-start':
        if (this.#current) return this.#fail(`job ${f.id} started while job ${this.#current.id} was running`);
        this.#current = { id: f.id, startedMs: this.#now(), files: {} };
        this.#emit({ type: 'job-started', id: f.id });
        return;
      case 'file':
        if (!this.#current || this.#current.id !== f.id) return this.#fail(`file ${f.name} for job ${f.id}, which is not running`);
        this.#current.files[f.name] = f.data;
        return;
      case 'job-end': {
        const cur = this.#current;
        if (!cur || cur.id !== f.id) return this.#fail(`end of job ${f.id}, which is not running`);
        this.#current = null;
        this.jobs.push({ id: f.id, exitCode: f.exitCode, files: cur.files, durationMs: Math.round(this.#now() - cur.startedMs) });
        this.#emit({ type: 'job-finished', id: f.id, exitCode: f.exitCode });
        return;
      }
      case 'done':
        if (this.#current) return this.#fail(`done while job ${this.#current.id} was running`);
        this.done = true;
        return;
    }
  }

  /** The job that started but did not finish, if any. */
  get running(): string | null {
    return this.#current?.id ?? null;
  }

  #fail(message: string): void {
    this.corrupt = message;
  }
}
