import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Test support (not shipped in a lane): Debian's real sshd on 127.0.0.1 with throw-away keys, so the SSH
// lane is tested against OpenSSH and not a mock. Needs root (the tests run as root on this project's machines).

export interface TestSshd {
  port: number;
  dir: string;
  /** "ssh-ed25519 AAAA…" of the server. */
  hostKey: string;
  /** A second, unrelated host key (for the mismatch test). */
  otherHostKey: string;
  clientKey: Buffer;
  /** A key the server does not accept. */
  strangerKey: Buffer;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function keygen(path: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bpfcompat-test', '-f', path], { stdio: 'ignore' });
}

export async function startTestSshd(): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-sshd-'));
  await chmod(dir, 0o755);
  for (const k of ['host', 'other-host', 'client', 'stranger']) keygen(join(dir, k));
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client.pub')));
  await chmod(join(dir, 'authorized_keys'), 0o600);
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'StrictModes no',
    `Subsystem sftp internal-sftp`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'sshd_config'), config);
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`sshd did not start: ${log}`)), 10_000);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`sshd exited ${code}: ${log}`));
    });
    const poll = setInterval(() => {
      if (log.includes('Server listening')) {
        clearInterval(poll);
        clearTimeout(t);
        resolve();
      }
    }, 50);
  });
  const pub = async (name: string) => (await readFile(join(dir, `${name}.pub`), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  return {
    port,
    dir,
    hostKey: await pub('host'),
    otherHostKey: await pub('other-host'),
    clientKey: await readFile(join(dir, 'client')),
    strangerKey: await readFile(join(dir, 'stranger')),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
