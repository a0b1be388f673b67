import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { formatShard, parseShard, shardCases, shardProfiles, shardSlice, type Shard } from './shard.ts';

const profiles = ['debian-11', 'debian-12', 'debian-13', 'debian-13-backports', 'debian-sid'].map((id) => ({ id }));
const all = (count: number): Shard[] => Array.from({ length: count }, (_, i) => ({ index: i + 1, count }));

test('parseShard accepts i/n and refuses everything else with a one-line usage error', () => {
  assert.equal(parseShard(undefined), null);
  assert.deepEqual(parseShard('1/3'), { index: 1, count: 3 });
  assert.deepEqual(parseShard('3/3'), { index: 3, count: 3 });
  assert.deepEqual(parseShard('1/1'), { index: 1, count: 1 });
  assert.equal(formatShard({ index: 2, count: 5 }), '2/5');
  for (const [bad, why] of [['0/3', /index must be between 1 and 3/], ['4/3', /index must be between 1 and 3/], ['x', /must be i\/n/], ['1/0', /count must be between 1 and 256/], ['1/300', /count must be between/], ['1-3', /must be i\/n/], ['', /must be i\/n/], ['-1/3', /must be i\/n/], ['1/3/5', /must be i\/n/]] as const) {
    assert.throws(() => parseShard(bad), (e: unknown) => e instanceof BpfcompatError && e.exitCode === 1 && why.test(e.message) && e.message.startsWith('--shard') && !e.message.includes('\n'), bad);
  }
  assert.throws(() => parseShard('9/2', '--shard (suite)'), { message: '--shard (suite) 9/2: the shard index must be between 1 and 2' });
});

test('shards partition the profiles exactly, balanced to within one', () => {
  for (const n of [1, 2, 3, 4, 5, 7]) {
    const slices = all(n).map((s) => shardProfiles(profiles, s).map((p) => p.id));
    assert.deepEqual(slices.flat().sort(), profiles.map((p) => p.id).sort(), `n=${n}: every profile exactly once`);
    const sizes = slices.map((s) => s.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `n=${n}: sizes ${sizes}`);
  }
  assert.deepEqual(all(3).map((s) => shardProfiles(profiles, s).map((p) => p.id)), [['debian-11'], ['debian-12', 'debian-13'], ['debian-13-backports', 'debian-sid']]);
  assert.deepEqual(shardProfiles(profiles, null), profiles);
});

test('a shard depends on the set of targets, not on their order in the matrix', () => {
  const shuffled = [profiles[3]!, profiles[0]!, profiles[4]!, profiles[2]!, profiles[1]!];
  for (const s of all(3)) {
    const a = shardProfiles(profiles, s).map((p) => p.id).sort();
    const b = shardProfiles(shuffled, s).map((p) => p.id).sort();
    assert.deepEqual(a, b);
  }
  // the original order survives inside a shard
  assert.deepEqual(shardProfiles(shuffled, { index: 3, count: 3 }).map((p) => p.id), ['debian-13-backports', 'debian-sid']);
});

test('duplicate keys still go to exactly one shard each', () => {
  const items = ['a', 'a', 'a', 'b'];
  const slices = all(2).map((s) => shardSlice(items.map((x, i) => ({ x, i })), s, (o) => [o.x, '']).map((o) => o.i));
  assert.deepEqual(slices.flat().sort(), [0, 1, 2, 3]);
});

test('suite cases are sharded per (case × kernel) and keep a kernel together where they can', () => {
  const cases = ['pass-everywhere', 'bpf-loop', 'missing-kprobe'].map((name) => ({ name, profiles }));
  const shard = (s: Shard) => shardCases(cases, s, (c) => c.name, (c) => c.profiles, (c, kept) => ({ ...c, profiles: kept }));
  const pairs = (s: Shard) => shard(s).flatMap((c) => c.profiles.map((p) => `${p.id}/${c.name}`));
  const slices = all(3).map(pairs);
  assert.deepEqual(slices.flat().sort(), cases.flatMap((c) => profiles.map((p) => `${p.id}/${c.name}`)).sort(), 'every target exactly once');
  assert.deepEqual(slices.map((s) => s.length), [5, 5, 5]);
  // 15 targets kernel-major: shard 1 holds all of debian-11 and two cases of debian-12, …
  const kernels = all(3).map((s) => new Set(shard(s).flatMap((c) => c.profiles.map((p) => p.id))).size);
  assert.deepEqual(kernels, [2, 3, 2], 'distinct kernels (boots) per shard');
  assert.deepEqual(shardCases(cases, null, (c) => c.name, (c) => c.profiles, (c) => c), cases);
  // more shards than targets: the surplus shards hold no case at all
  const one = [{ name: 'x', profiles: [profiles[0]!] }];
  assert.deepEqual(shardCases(one, { index: 1, count: 2 }, (c) => c.name, (c) => c.profiles, (c, kept) => ({ ...c, profiles: kept })), []);
  assert.equal(shardCases(one, { index: 2, count: 2 }, (c) => c.name, (c) => c.profiles, (c, kept) => ({ ...c, profiles: kept })).length, 1);
});
