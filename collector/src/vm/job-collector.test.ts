import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobCollector } from './job-collector.ts';
import type { GuestEvent } from './types.ts';

function collector() {
  let clock = 100;
  const events: GuestEvent[] = [];
  const c = new JobCollector(() => clock, 100, (e) => events.push(e));
  return { c, events, tick: (ms: number) => (clock += ms) };
}

test('frames become jobs with their files, host-measured durations and events', () => {
  const { c, events, tick } = collector();
  tick(2500);
  c.accept({ type: 'booted' });
  c.accept({ type: 'job-start', id: 'a' });
  tick(40);
  c.accept({ type: 'file', id: 'a', name: 'stdout', data: Buffer.from('x') });
  c.accept({ type: 'job-end', id: 'a', exitCode: 7 });
  c.accept({ type: 'done' });
  assert.equal(c.bootMs, 2500);
  assert.deepEqual(c.jobs, [{ id: 'a', exitCode: 7, files: { stdout: Buffer.from('x') }, durationMs: 40 }]);
  assert.equal(c.done, true);
  assert.equal(c.corrupt, null);
  assert.deepEqual(events, [{ type: 'booted', ms: 2500 }, { type: 'job-started', id: 'a' }, { type: 'job-finished', id: 'a', exitCode: 7 }]);
});

test('frames out of order break the protocol', () => {
  const cases: Array<[string, (c: JobCollector) => void, RegExp]> = [
    ['file outside a job', (c) => c.accept({ type: 'file', id: 'a', name: 'f', data: Buffer.alloc(0) }), /not running/],
    ['nested start', (c) => (c.accept({ type: 'job-start', id: 'a' }), c.accept({ type: 'job-start', id: 'b' })), /started while job a/],
    ['end of another job', (c) => (c.accept({ type: 'job-start', id: 'a' }), c.accept({ type: 'job-end', id: 'b', exitCode: 0 })), /end of job b/],
    ['done mid-job', (c) => (c.accept({ type: 'job-start', id: 'a' }), c.accept({ type: 'done' })), /done while job a/],
    ['decoder corruption', (c) => c.accept({ type: 'corrupt', message: 'sha256 mismatch' }), /sha256 mismatch/],
  ];
  for (const [name, feed, re] of cases) {
    const { c } = collector();
    feed(c);
    assert.match(c.corrupt ?? '', re, name);
    assert.equal(c.done, false, name);
  }
  const { c } = collector();
  c.accept({ type: 'job-start', id: 'a' });
  assert.equal(c.running, 'a');
});
