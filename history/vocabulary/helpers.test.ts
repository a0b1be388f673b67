import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { HELPER_NAMES, helperName } from './helpers.ts';

// The table is the pinned libbpf's: a new pin (validator/libbpf.lock) that adds helpers fails here until it is regenerated.
test('HELPER_NAMES matches ___BPF_FUNC_MAPPER of the pinned libbpf header', () => {
  const header = readFileSync('validator/build/libbpf/include/uapi/linux/bpf.h', 'utf8');
  const block = header.slice(header.indexOf('#define ___BPF_FUNC_MAPPER'));
  const pairs = [...block.matchAll(/FN\((\w+),\s*(\d+),\s*##ctx\)/g)].map((m) => [Number(m[2]), `bpf_${m[1]}`] as const);
  assert.ok(pairs.length > 200);
  for (const [id, name] of pairs) if (id > 0) assert.equal(HELPER_NAMES[id], name, `helper ${id}`);
  assert.equal(HELPER_NAMES.length, pairs[pairs.length - 1]![0] + 1);
  assert.equal(helperName(181), 'bpf_loop');
  assert.equal(helperName(1), 'bpf_map_lookup_elem');
  assert.equal(helperName(0), null);
  assert.equal(helperName(100_000), null);
});
