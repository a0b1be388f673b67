import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkScratch, remapGuestPath, remoteJobArgv } from './session.ts';

const S = '/var/tmp/bpfcompat.AbC123';

test('remapGuestPath: guest paths move under the scratch root, other strings do not', () => {
  assert.equal(remapGuestPath('/bpfcompat/jobs/validate/artifact.bpf.o', S), `${S}/bpfcompat/jobs/validate/artifact.bpf.o`);
  assert.equal(remapGuestPath('/bpfcompat', S), `${S}/bpfcompat`);
  assert.equal(remapGuestPath('--out', S), '--out');
  assert.equal(remapGuestPath('/bpfcompatible/x', S), '/bpfcompatible/x');
  assert.equal(remapGuestPath('/usr/bin/bpfcompat/x', S), '/usr/bin/bpfcompat/x');
  assert.equal(remapGuestPath('events=/bpfcompat/x', S), `events=${S}/bpfcompat/x`);
});

test('remoteJobArgv: validator jobs run the staged validator under timeout, as root with sudo -n', () => {
  const argv = remoteJobArgv({ id: 'validate', kind: 'validator', argv: ['--artifact', '/bpfcompat/jobs/validate/artifact.bpf.o', '--out', '/bpfcompat/jobs/validate/out/result.json'], files: [], timeoutMs: 90_500 }, S, true);
  assert.deepEqual(argv, ['sudo', '-n', 'timeout', '-k', '5', '91', `${S}/bpfcompat/bin/bpfcompat-validator`, '--artifact', `${S}/bpfcompat/jobs/validate/artifact.bpf.o`, '--out', `${S}/bpfcompat/jobs/validate/out/result.json`]);
});

test('remoteJobArgv: command jobs run bash -lc with their env remapped, after sudo (which resets env)', () => {
  const argv = remoteJobArgv({ id: 'j0', kind: 'command', command: 'echo "$BPFCOMPAT_BIN"; exit 3', env: { BPFCOMPAT_BIN: '/bpfcompat/jobs/j0/bin/loader', BPFCOMPAT_ARTIFACT: '' }, files: [], timeoutMs: 1000 }, S, false);
  assert.deepEqual(argv, ['env', `BPFCOMPAT_BIN=${S}/bpfcompat/jobs/j0/bin/loader`, 'BPFCOMPAT_ARTIFACT=', 'timeout', '-k', '5', '1', 'bash', '-lc', 'echo "$BPFCOMPAT_BIN"; exit 3']);
});

test('checkScratch: only a bpfcompat.* directory directly under the parent is ever removed', () => {
  assert.equal(checkScratch(`${S}\n`, '/var/tmp'), S);
  assert.equal(checkScratch(`${S}\n`, '/var/tmp/'), S);
  assert.throws(() => checkScratch('/', '/var/tmp'), /not a directory under/);
  assert.throws(() => checkScratch('/var/tmp', '/var/tmp'), /not a directory under/);
  assert.throws(() => checkScratch('/var/tmp/other', '/var/tmp'), /not a directory under/);
  assert.throws(() => checkScratch('/etc/bpfcompat.x', '/var/tmp'), /not a directory under/);
  assert.throws(() => checkScratch('/var/tmp/bpfcompat.x/..', '/var/tmp'), /not a directory under/);
});
