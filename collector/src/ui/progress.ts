import type { RunEvent } from '../validation/events.ts';

export interface Reporter {
  event(e: RunEvent): void;
  close(): void;
}

const MARK = { pass: 'PASS', fail: 'FAIL', infra_error: 'INFRA' } as const;

function doneLine(e: Extract<RunEvent, { type: 'target-done' }>): string {
  const warned = e.status === 'pass' && e.warning ? ` (loads, attach warned: ${e.warning})` : '';
  return `${MARK[e.status]} ${e.profile}${e.code ? ` ${e.code}` : ''}${warned}${e.reused ? ' (reused)' : ` ${(e.ms / 1000).toFixed(1)}s`}`;
}

/** Plain lines, one per event: for CI logs and pipes. */
export function plainReporter(out: NodeJS.WritableStream): Reporter {
  return {
    event(e) {
      switch (e.type) {
        case 'plan': out.write(`bpfcompat: ${e.profiles.length} target(s), ${e.jobs} at a time\n`); break;
        case 'accel': out.write(`bpfcompat: acceleration ${e.accel} (${e.reason})\n`); break;
        case 'kernel': out.write(`  ${e.profile}: ${e.message}\n`); break;
        case 'target-start': out.write(`  ${e.profile}: booting ${e.release}\n`); break;
        case 'target-booted': out.write(`  ${e.profile}: booted in ${(e.ms / 1000).toFixed(1)}s\n`); break;
        case 'target-done': out.write(`  ${doneLine(e)}\n`); break;
      }
    },
    close() {},
  };
}

/** A live table that rewrites itself in place: for a terminal. */
export function ttyReporter(out: NodeJS.WriteStream): Reporter {
  const rows = new Map<string, string>();
  let drawn = 0;
  let header = '';
  const started = Date.now();
  const draw = () => {
    if (drawn > 0) out.write(`\x1b[${drawn}A`);
    const lines = [`${header} [${((Date.now() - started) / 1000).toFixed(0)}s]`, ...[...rows].map(([id, s]) => `  ${id.padEnd(24)} ${s}`)];
    for (const l of lines) out.write(`\x1b[2K${l.slice(0, (out.columns || 120) - 1)}\n`);
    drawn = lines.length;
  };
  const timer = setInterval(draw, 500);
  timer.unref();
  return {
    event(e) {
      switch (e.type) {
        case 'plan': header = `bpfcompat: ${e.profiles.length} target(s), ${e.jobs} at a time`; for (const p of e.profiles) rows.set(p, 'waiting'); break;
        case 'accel': header += ` · ${e.accel}`; break;
        case 'kernel': rows.set(e.profile, e.message); break;
        case 'target-start': rows.set(e.profile, `booting ${e.release}`); break;
        case 'target-booted': rows.set(e.profile, `booted in ${(e.ms / 1000).toFixed(1)}s, validating`); break;
        case 'target-done': rows.set(e.profile, doneLine(e)); break;
      }
      draw();
    },
    close() {
      clearInterval(timer);
      draw();
    },
  };
}

export function reporterFor(stream: NodeJS.WriteStream, quiet: boolean): Reporter {
  if (quiet) return { event() {}, close() {} };
  return stream.isTTY && !process.env.CI ? ttyReporter(stream) : plainReporter(stream);
}
