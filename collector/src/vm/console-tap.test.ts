import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleTap } from './console-tap.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-tap-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a panic keeps its cause and message in the tail however long the trace after it (the log keeps everything)', async () => {
  const seen: string[] = [];
  const tap = new ConsoleTap(join(dir, 'panic.log'), (l) => seen.push(l));
  const boot = Array.from({ length: 100 }, (_, i) => `[ 1.${i}] booting line ${i}`);
  const trace = Array.from({ length: 80 }, (_, i) => `[ 3.${i}]  ? srso_return_thunk+0x5/0x10 frame ${i}`);
  tap.push(Buffer.from([...boot, '[ 3.0] sysrq: Trigger a crash', '[ 3.0] Kernel panic - not syncing: sysrq triggered crash', ...trace, ''].join('\r\n')));
  await tap.close();
  const tail = tap.tail().split('\n');
  assert.equal(tap.panic, '[ 3.0] Kernel panic - not syncing: sysrq triggered crash');
  assert.equal(tail.length, 40);
  assert.ok(tail.includes('[ 3.0] sysrq: Trigger a crash'), 'what triggered the panic');
  assert.ok(tail.includes('[ 3.0] Kernel panic - not syncing: sysrq triggered crash'));
  assert.equal(tail[0], boot[93], 'eight lines of what led to it');
  assert.equal(seen.length, 182);
  assert.equal(readFileSync(join(dir, 'panic.log'), 'utf8').split('\r\n').length, 183);
});

test('without a panic the tail is the last lines, the unfinished one included', async () => {
  const tap = new ConsoleTap(join(dir, 'plain.log'), () => {});
  tap.push(Buffer.from(Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n') + '\npartial'));
  const tail = tap.tail().split('\n');
  assert.equal(tail.length, 41);
  assert.deepEqual([tail[0], tail.at(-2), tail.at(-1)], ['line 10', 'line 49', 'partial']);
  assert.equal(tap.panic, null);
  await tap.close();
});
