import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, encodeFrames, type Frame } from './frames.ts';
import { sha256Hex } from '../../../history/vocabulary/hash.ts';

const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256)); // binary, several base64 lines
const stream = encodeFrames([
  { type: 'booted' },
  { type: 'job-start', id: 'j1' },
  { type: 'file', id: 'j1', name: 'stdout', data: Buffer.from('hello\n') },
  { type: 'file', id: 'j1', name: 'out/result file.json', data: body },
  { type: 'file', id: 'j1', name: 'stderr', data: Buffer.alloc(0) },
  { type: 'job-end', id: 'j1', exitCode: 3 },
  { type: 'done' },
]);

function decodeAll(input: string, chunk = input.length): Frame[] {
  const d = new FrameDecoder();
  const out: Frame[] = [];
  for (let i = 0; i < input.length; i += chunk) out.push(...d.push(Buffer.from(input.slice(i, i + chunk), 'latin1')));
  return out;
}

test('frames round-trip, whole or one byte at a time, with CRLF and noise between frames', () => {
  for (const input of [stream, stream.replace(/\n/g, '\r\n'), `garbage from firmware\n${stream.replace('@@BPFC job-start', 'noise\n@@BPFC job-start')}`]) {
    for (const chunk of [input.length, 1, 7]) {
      const frames = decodeAll(input, chunk);
      assert.deepEqual(frames.map((f) => f.type), ['booted', 'job-start', 'file', 'file', 'file', 'job-end', 'done']);
      const files = frames.filter((f) => f.type === 'file');
      assert.equal(files[0]!.data.toString(), 'hello\n');
      assert.equal(files[1]!.name, 'out/result file.json');
      assert.deepEqual(files[1]!.data, body);
      assert.equal(files[2]!.data.length, 0);
      assert.deepEqual(frames[5], { type: 'job-end', id: 'j1', exitCode: 3 });
    }
  }
});

test('a body that does not match its sha256 is corrupt', () => {
  const bad = stream.replace(sha256Hex(body), sha256Hex(Buffer.from('other')));
  const frames = decodeAll(bad);
  assert.deepEqual(frames.at(-1), { type: 'corrupt', message: 'file out/result file.json of job j1: sha256 mismatch' });
  // nothing after the corruption is believed
  assert.ok(!frames.some((f) => f.type === 'done'));
});

test('a body shorter than its header says is corrupt', () => {
  const lines = stream.split('\n');
  const i = lines.findIndex((l) => l.includes('out/result file.json'));
  lines.splice(i + 1, 1); // drop one base64 line
  const last = decodeAll(lines.join('\n')).at(-1);
  assert.equal(last?.type, 'corrupt');
  assert.match((last as { message: string }).message, /bytes received, header says 3000/);
});

test('non-base64 inside a body, an interrupted file and unknown frames are corrupt', () => {
  const garbled = stream.replace('aGVsbG8K', 'aGVs!G8K');
  assert.match(JSON.stringify(decodeAll(garbled).at(-1)), /body line is not base64/);
  const interrupted = stream.replace('@@BPFC end j1\n', '@@BPFC job-end j1 0\n');
  assert.match(JSON.stringify(decodeAll(interrupted).at(-1)), /interrupted by/);
  assert.match(JSON.stringify(decodeAll('@@BPFC launch-missiles\n').at(-1)), /unknown frame/);
  assert.match(JSON.stringify(decodeAll('@@BPFC job-end j1 notanumber\n').at(-1)), /bad frame/);
  assert.match(JSON.stringify(decodeAll('@@BPFC file j1 12 nothex name\n').at(-1)), /bad frame/);
});

test('a stream cut inside a file is truncated; a complete one is not', () => {
  const whole = new FrameDecoder();
  whole.push(stream);
  assert.equal(whole.truncated, false);
  const cut = new FrameDecoder();
  const frames = cut.push(stream.slice(0, stream.indexOf('@@BPFC end j1', stream.indexOf('result file.json'))));
  assert.equal(cut.truncated, true);
  assert.ok(!frames.some((f) => f.type === 'job-end'));
});

test('deflated files (the agent) decode to the same bytes, checked against the uncompressed length and sha256', () => {
  const json = Buffer.from(JSON.stringify({ programs: Array.from({ length: 40 }, (_, i) => ({ name: `p${i}`, load: 'pass' })) }));
  const zstream = encodeFrames([{ type: 'job-start', id: 'j2' }, { type: 'zfile', id: 'j2', name: 'out/validator-result.json', data: json },
    { type: 'zfile', id: 'j2', name: 'stderr', data: Buffer.alloc(0) }, { type: 'job-end', id: 'j2', exitCode: 0 }]);
  assert.ok(zstream.length < json.length, 'the deflated body is smaller than the text');
  for (const chunk of [zstream.length, 5]) {
    const files = decodeAll(zstream, chunk).filter((f) => f.type === 'file');
    assert.deepEqual(files.map((f) => [f.name, f.data]), [['out/validator-result.json', json], ['stderr', Buffer.alloc(0)]]);
  }
  // the header's length bounds inflation: a body that inflates to more (a deflate bomb) is refused
  const bomb = encodeFrames([{ type: 'job-start', id: 'j3' }, { type: 'zfile', id: 'j3', name: 'x', data: Buffer.alloc(1 << 20) }])
    .replace(`zfile j3 ${1 << 20} `, 'zfile j3 10 ');
  assert.match(JSON.stringify(decodeAll(bomb).at(-1)), /does not inflate to 10 bytes/);
  // a body that is not deflate at all
  const notDeflate = zstream.replace(/(@@BPFC zfile j2 \d+ [0-9a-f]+ out\/validator-result.json\n)[^@]*/, '$1AAAA\n');
  assert.equal(decodeAll(notDeflate).at(-1)?.type, 'corrupt');
});
