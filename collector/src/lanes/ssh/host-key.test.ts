import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describePin, fingerprintOf, hostKeyAlgorithms, parseHostKeyPin, pinMatches } from './host-key.ts';

// A real ed25519 public key blob: string "ssh-ed25519" + string of 32 key bytes.
function blob(seed: number): Buffer {
  const type = Buffer.from('ssh-ed25519');
  const key = Buffer.alloc(32, seed);
  const out = Buffer.alloc(4 + type.length + 4 + 32);
  out.writeUInt32BE(type.length, 0);
  type.copy(out, 4);
  out.writeUInt32BE(32, 4 + type.length);
  key.copy(out, 8 + type.length);
  return out;
}

test('parseHostKeyPin: public key, known_hosts line and fingerprint all pin the same key', () => {
  const b = blob(7);
  const line = `ssh-ed25519 ${b.toString('base64')}`;
  const fp = fingerprintOf(b);
  assert.equal(fp, `SHA256:${createHash('sha256').update(b).digest('base64').replace(/=+$/, '')}`);
  for (const text of [line, `${line} root@box`, `[box]:2222 ${line}`, fp]) {
    const pin = parseHostKeyPin(text);
    assert.equal(pinMatches(pin, b), true, text);
    assert.equal(pinMatches(pin, blob(8)), false, text);
    assert.equal(describePin(pin), fp);
  }
  assert.deepEqual(hostKeyAlgorithms(parseHostKeyPin(line)), ['ssh-ed25519']);
  assert.equal(hostKeyAlgorithms(parseHostKeyPin(fp)), null);
});

test('parseHostKeyPin: refuses text that pins nothing, and a key filed under another type', () => {
  assert.throws(() => parseHostKeyPin('yes'), /neither a public key/);
  assert.throws(() => parseHostKeyPin('SHA256:short'), /neither a public key/);
  assert.throws(() => parseHostKeyPin(`ssh-rsa ${blob(1).toString('base64')}`), /not a ssh-rsa key/);
});
