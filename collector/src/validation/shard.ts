import { usageError } from '../../../history/vocabulary/errors.ts';

// `--shard i/n`: which (case × kernel) targets one CI job runs when a matrix is split over n runners.
// Targets are sorted by (profile id, case name) and cut into n contiguous slices whose sizes differ by at
// most one: the slice depends only on the set of targets (not on YAML order or on the machine), the shards
// partition the targets exactly, and sorting kernel-major keeps a kernel's cases together, so a suite shard
// boots as few distinct kernels as it can (suites run one boot per kernel).

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export const MAX_SHARDS = 256;

/** Parses `i/n` with 1 ≤ i ≤ n ≤ 256; undefined means no sharding. */
export function parseShard(value: string | undefined, flag = '--shard'): Shard | null {
  if (value === undefined) return null;
  const m = /^(\d{1,4})\/(\d{1,4})$/.exec(value.trim());
  const hint = 'use i/n with 1 <= i <= n, e.g. --shard 2/3 for the second of three shards';
  if (!m) throw usageError(`${flag} must be i/n such as 1/3, got '${value}'`, hint);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw usageError(`${flag} ${value}: the shard count must be between 1 and ${MAX_SHARDS}`, hint);
  if (index < 1 || index > count) throw usageError(`${flag} ${value}: the shard index must be between 1 and ${count}`, hint);
  return { index, count };
}

export const formatShard = (s: Shard): string => `${s.index}/${s.count}`;

/** One target's sort key: profile id first, then case name ('' for a single-case run). */
export type ShardKey = readonly [profileId: string, caseName: string];

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The items of shard i/n, in their original order. No shard means all of them. */
export function shardSlice<T>(items: readonly T[], shard: Shard | null, key: (item: T) => ShardKey): T[] {
  if (!shard) return [...items];
  const order = items
    .map((item, i) => ({ i, k: key(item) }))
    // The original index breaks ties, so even duplicate keys land in a deterministic shard.
    .sort((a, b) => cmp(a.k[0], b.k[0]) || cmp(a.k[1], b.k[1]) || a.i - b.i);
  const n = order.length;
  const from = Math.floor(((shard.index - 1) * n) / shard.count);
  const to = Math.floor((shard.index * n) / shard.count);
  const chosen = new Set(order.slice(from, to).map((o) => o.i));
  return items.filter((_, i) => chosen.has(i));
}

/** The profiles of a single-case run (`bpfcompat test`) that shard i/n runs. */
export function shardProfiles<P extends { id: string }>(profiles: readonly P[], shard: Shard | null): P[] {
  return shardSlice(profiles, shard, (p) => [p.id, '']);
}

/**
 * The cases of a suite that shard i/n runs, each with only its profiles in the shard; cases left with no
 * profile are dropped. `withProfiles` rebuilds a case around its kept profiles.
 */
export function shardCases<C, P extends { id: string }>(cases: readonly C[], shard: Shard | null, name: (c: C) => string, profiles: (c: C) => readonly P[], withProfiles: (c: C, kept: P[]) => C): C[] {
  if (!shard) return [...cases];
  const pairs = cases.flatMap((c, ci) => profiles(c).map((p, pi) => ({ ci, pi, key: [p.id, name(c)] as const })));
  const kept = new Set(shardSlice(pairs, shard, (x) => x.key).map((x) => `${x.ci}:${x.pi}`));
  const out: C[] = [];
  for (const [ci, c] of cases.entries()) {
    const ps = profiles(c).filter((_, pi) => kept.has(`${ci}:${pi}`));
    if (ps.length > 0) out.push(withProfiles(c, ps));
  }
  return out;
}
