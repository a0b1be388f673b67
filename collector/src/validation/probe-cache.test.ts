import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GuestJob } from '../vm/types.ts';
import { GUEST_PROBE_CACHE, withProbeCache } from './probe-cache.ts';

const validator = (id: string): GuestJob => ({ id, kind: 'validator', argv: ['--artifact', `/bpfcompat/jobs/${id}/a.o`], files: [], timeoutMs: 1000 });
const command: GuestJob = { id: 'c', kind: 'command', command: 'true', files: [], timeoutMs: 1000 };

test('validator jobs sharing a boot share the probe cache; a lone validator job keeps standalone arguments', () => {
  const shared = withProbeCache([validator('a'), command, validator('b')]);
  assert.deepEqual(shared.map((j) => j.argv), [
    ['--artifact', '/bpfcompat/jobs/a/a.o', '--probe-cache', GUEST_PROBE_CACHE],
    undefined,
    ['--artifact', '/bpfcompat/jobs/b/a.o', '--probe-cache', GUEST_PROBE_CACHE],
  ]);
  const alone = [validator('a'), command];
  assert.deepEqual(withProbeCache(alone), alone);
});
