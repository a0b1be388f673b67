import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { metaData, userData } from './seed.ts';

const keys = { clientPublic: 'ssh-ed25519 AAAAC3client c', hostPrivate: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n', hostPublic: 'ssh-ed25519 AAAAC3host h' };

test('user-data authorises the client key for root and installs the pinned host key', () => {
  const text = userData(keys);
  assert.ok(text.startsWith('#cloud-config\n'), 'cloud-init needs the marker on the first line');
  const cfg = parse(text) as Record<string, unknown>;
  assert.equal(cfg.disable_root, false);
  assert.deepEqual(cfg.ssh_authorized_keys, [keys.clientPublic]);
  assert.deepEqual(cfg.ssh_keys, { ed25519_private: keys.hostPrivate, ed25519_public: keys.hostPublic });
  assert.equal(cfg.ssh_pwauth, false);
  assert.deepEqual(cfg.ssh_genkeytypes, [], 'no other host keys that the pin would not cover');
});

test('meta-data names a fresh instance so cloud-init runs its per-instance modules', () => {
  assert.deepEqual(parse(metaData('bpfcompat-1')), { 'instance-id': 'bpfcompat-1', 'local-hostname': 'bpfcompat' });
});
