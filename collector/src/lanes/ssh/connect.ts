import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { setTimeout as sleep } from 'node:timers/promises';
import { LaneError, type LaneFailure } from '../errors.ts';
import { shJoin } from './shquote.ts';
import { describePin, fingerprintOf, hostKeyAlgorithms, parseHostKeyPin, pinMatches, type HostKeyPin } from './host-key.ts';

// The SSH transport shared by the remote-host lane and the disk-image lane, all in ssh2 (no `ssh` binary,
// no known_hosts, no agent): one pinned host key, one private key, commands as quoted argv, files over SFTP.

export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  privateKey: Buffer | string;
  /** "ssh-ed25519 AAAA…" (as in known_hosts) or "SHA256:…"; the server's key must match it. */
  hostKey: string;
}

export interface ConnectOptions {
  /** Budget of one attempt, TCP connect to authenticated. */
  readyTimeoutMs: number;
  /** Absolute time (Date.now() ms) until which refused/reset/timed-out attempts are retried (a guest still booting); default: one attempt. */
  retryUntilMs?: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
}

export interface ExecOptions {
  /** Closes the channel and rejects with ssh_timeout after this long. */
  timeoutMs?: number;
  stdin?: Buffer;
  /** Passed through `env K=V …` in the argv (sshd refuses most env requests). */
  env?: Record<string, string>;
}

export interface SshConnection {
  /** Runs argv on the host; every element is quoted for the remote POSIX shell. */
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Runs a command line built from quoted words (shJoin) plus shell operators the caller controls (cd … &&, >). */
  execLine(line: string, opts?: Omit<ExecOptions, 'env'>): Promise<ExecResult>;
  putFile(src: string | Buffer, remotePath: string, mode: number): Promise<void>;
  getFile(remotePath: string): Promise<Buffer>;
  /** The server's host key fingerprint (it matched the pin). */
  readonly hostKeyFingerprint: string;
  close(): Promise<void>;
}

const RETRY_PAUSE_MS = 500;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

interface Attempt {
  client: Client;
  fingerprint: string;
}

/** Connects, checks the host key against the pin, authenticates with the key; retries while the host is not up yet. */
export async function connectSsh(ep: SshEndpoint, opts: ConnectOptions): Promise<SshConnection> {
  let pin: HostKeyPin;
  try {
    pin = parseHostKeyPin(ep.hostKey);
  } catch (err) {
    throw new LaneError('ssh_host_key_mismatch', `the pinned host key of ${ep.host}:${ep.port} ${(err as Error).message}`);
  }
  for (;;) {
    if (opts.signal?.aborted) throw new LaneError('ssh_unreachable', `connecting to ${ep.host}:${ep.port} was cancelled`);
    try {
      const a = await attempt(ep, pin, opts.readyTimeoutMs, opts.signal);
      return wrap(a, ep);
    } catch (err) {
      const e = err as LaneError;
      const retryable = e.reason === 'ssh_unreachable' || e.reason === 'ssh_timeout';
      if (!retryable || opts.retryUntilMs === undefined || Date.now() + RETRY_PAUSE_MS >= opts.retryUntilMs) throw e;
      await sleep(RETRY_PAUSE_MS, undefined, opts.signal ? { signal: opts.signal } : {}).catch(() => {});
    }
  }
}

function attempt(ep: SshEndpoint, pin: HostKeyPin, readyTimeoutMs: number, signal?: AbortSignal): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const where = `${ep.user}@${ep.host}:${ep.port}`;
    let seen: string | null = null;
    let mismatch = false;
    let settled = false;
    const fail = (reason: LaneFailure, message: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      client.end();
      client.destroy();
      reject(new LaneError(reason, message, { cause }));
    };
    const onAbort = () => fail('ssh_unreachable', `connecting to ${where} was cancelled`);
    signal?.addEventListener('abort', onAbort, { once: true });
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      resolve({ client, fingerprint: seen ?? '' });
    });
    const failMismatch = (cause?: unknown) => fail('ssh_host_key_mismatch', `host key of ${ep.host}:${ep.port} is ${seen}, but ssh.host_key pins ${describePin(pin)}: check the host (ssh-keyscan -t ed25519) and update the profile`, cause);
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (mismatch) return failMismatch(err);
      if (err.level === 'client-authentication') return fail('ssh_auth_failed', `${where} refused the key of ssh.key (publickey authentication failed): add its public key to the user's authorized_keys`, err);
      if (err.level === 'client-timeout') return fail('ssh_timeout', `${where} did not complete the SSH handshake within ${readyTimeoutMs} ms`, err);
      if (err.code && UNREACHABLE_CODES.has(err.code)) return fail('ssh_unreachable', `cannot reach ${ep.host}:${ep.port}: ${err.code}`, err);
      fail('ssh_unreachable', `SSH to ${where} failed: ${err.message}`, err);
    });
    // ssh2 ends without an error when the peer closes before the handshake (e.g. a forwarded port with nothing behind it yet).
    client.on('close', () => mismatch ? failMismatch() : fail('ssh_unreachable', `${ep.host}:${ep.port} closed the connection before SSH was ready`));
    const algorithms = hostKeyAlgorithms(pin);
    const config: ConnectConfig = {
      host: ep.host,
      port: ep.port,
      username: ep.user,
      privateKey: ep.privateKey,
      readyTimeout: readyTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      // Only publickey: never fall back to passwords or an agent the user did not name.
      authHandler: ['publickey'] as unknown as ConnectConfig['authHandler'],
      hostVerifier: (key: Buffer) => {
        seen = fingerprintOf(key);
        const ok = pinMatches(pin, key);
        if (!ok) mismatch = true;
        return ok;
      },
      ...(algorithms ? { algorithms: { serverHostKey: algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] } } : {}),
    };
    try {
      client.connect(config);
    } catch (err) {
      // ssh2 throws synchronously when it cannot parse the private key.
      fail('ssh_auth_failed', `cannot use the private key for ${where}: ${(err as Error).message}`, err);
    }
  });
}

function wrap(a: Attempt, ep: SshEndpoint): SshConnection {
  const { client } = a;
  const where = `${ep.host}:${ep.port}`;
  let lost: LaneError | null = null;
  let closed = false;
  const pending = new Set<(e: LaneError) => void>();
  const onLost = (why: string) => {
    if (closed || lost) return;
    lost = new LaneError('ssh_lost', `the SSH connection to ${where} was lost: ${why}`);
    for (const p of pending) p(lost);
    pending.clear();
  };
  client.on('error', (err: Error) => onLost(err.message));
  client.on('close', () => onLost('closed by the peer'));

  /** Runs op with a rejection hook for a lost connection. */
  const guarded = <T>(op: (rejectLost: (e: LaneError) => void) => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new LaneError('ssh_lost', `the SSH connection to ${where} is closed`));
    if (lost) return Promise.reject(lost);
    let hook: ((e: LaneError) => void) | undefined;
    const lostPromise = new Promise<never>((_, reject) => {
      hook = reject;
      pending.add(reject);
    });
    return Promise.race([op(hook!), lostPromise]).finally(() => pending.delete(hook!));
  };

  let sftpPromise: Promise<SFTPWrapper> | null = null;
  const sftp = (): Promise<SFTPWrapper> => {
    sftpPromise ??= new Promise((resolve, reject) => client.sftp((err, s) => (err ? reject(new LaneError('ssh_lost', `SFTP on ${where} failed: ${err.message}`)) : resolve(s))));
    return sftpPromise;
  };

  const execLine = (line: string, opts: Omit<ExecOptions, 'env'> = {}): Promise<ExecResult> =>
    guarded(() => new Promise<ExecResult>((resolve, reject) => {
      client.exec(line, (err, ch: ClientChannel) => {
        if (err) return reject(new LaneError('ssh_lost', `cannot start a command on ${where}: ${err.message}`));
        const out: Buffer[] = [];
        const errs: Buffer[] = [];
        let code: number | null = null;
        let sig: string | null = null;
        let timer: NodeJS.Timeout | undefined;
        if (opts.timeoutMs !== undefined) {
          timer = setTimeout(() => {
            ch.signal('KILL');
            ch.close();
            reject(new LaneError('ssh_timeout', `a command on ${where} did not finish within ${opts.timeoutMs} ms`));
          }, opts.timeoutMs);
        }
        ch.on('data', (d: Buffer) => out.push(d));
        ch.stderr.on('data', (d: Buffer) => errs.push(d));
        ch.on('exit', (c: number | null, s?: string) => {
          code = c;
          sig = s ?? null;
        });
        ch.on('close', () => {
          clearTimeout(timer);
          resolve({ code, signal: sig, stdout: Buffer.concat(out), stderr: Buffer.concat(errs) });
        });
        ch.end(opts.stdin ?? undefined);
      });
    }));

  return {
    hostKeyFingerprint: a.fingerprint,
    exec(argv, opts = {}) {
      const env = Object.entries(opts.env ?? {});
      for (const [k, v] of env) if (!ENV_KEY.test(k) || v.includes('\0')) return Promise.reject(new Error(`environment entry ${k} is not a valid name or holds a NUL byte`));
      const full = env.length > 0 ? ['env', ...env.map(([k, v]) => `${k}=${v}`), ...argv] : argv;
      const { env: _env, ...rest } = opts;
      return execLine(shJoin(full), rest);
    },
    execLine,
    putFile: (src, remotePath, mode) =>
      guarded(async () => {
        const s = await sftp();
        await new Promise<void>((resolve, reject) => {
          const done = (err?: Error | null) => (err ? reject(new LaneError('ssh_lost', `upload of ${remotePath} to ${where} failed: ${err.message}`)) : resolve());
          if (typeof src === 'string') s.fastPut(src, remotePath, { mode }, done);
          else s.writeFile(remotePath, src, { mode }, done);
        });
        // The remote umask applies at open; the mode asked for is what the job needs (executables).
        await new Promise<void>((resolve, reject) => s.chmod(remotePath, mode, (err) => (err ? reject(new LaneError('ssh_lost', `chmod of ${remotePath} on ${where} failed: ${err.message}`)) : resolve())));
      }),
    getFile: (remotePath) =>
      guarded(async () => {
        const s = await sftp();
        return new Promise<Buffer>((resolve, reject) => s.readFile(remotePath, (err, data) => (err ? reject(new LaneError('ssh_lost', `download of ${remotePath} from ${where} failed: ${err.message}`)) : resolve(data))));
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          client.destroy();
          resolve();
        }, 5_000);
        client.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        client.end();
      });
    },
  };
}
