import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';

// Registry credentials as docker and skopeo users keep them: ~/.docker/config.json (or $DOCKER_CONFIG/config.json),
// `auths` entries, and `credHelpers` / `credsStore` run as the real docker-credential-<name> helpers.

export interface Credentials {
  username: string;
  password: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

function readConfig(path: string): DockerConfig | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  try {
    return JSON.parse(text) as DockerConfig;
  } catch {
    throw new BpfcompatError('CONFIG_INVALID', `${path}: not valid JSON`, { hint: 'fix or remove the docker config file' });
  }
}

function runHelper(helper: string, host: string, configPath: string): Credentials | null {
  if (!/^[A-Za-z0-9_.-]+$/.test(helper)) throw new BpfcompatError('CONFIG_INVALID', `${configPath}: credential helper name '${helper}' is not a plain name`);
  const r = spawnSync(`docker-credential-${helper}`, ['get'], { input: host, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new BpfcompatError('OCI_AUTH', `${configPath}: credential helper docker-credential-${helper} for ${host} could not run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`, { hint: `install docker-credential-${helper} or remove it from credHelpers` });
  // A helper that has no entry for the host says so and exits non-zero: anonymous access then.
  if (r.status !== 0) return null;
  try {
    const out = JSON.parse(r.stdout) as { Username?: string; Secret?: string };
    if (typeof out.Secret === 'string') return { username: out.Username ?? '', password: out.Secret };
  } catch {
    /* reported below */
  }
  throw new BpfcompatError('OCI_AUTH', `docker-credential-${helper} get ${host}: did not print {"Username", "Secret"} JSON`, { hint: 'check the credential helper' });
}

/** The credentials for a registry host (HOST or HOST:PORT), or null for anonymous access. */
export function credentialsFor(host: string, env: NodeJS.ProcessEnv = process.env): Credentials | null {
  const path = dockerConfigPath(env);
  const config = readConfig(path);
  if (!config) return null;
  const helper = config.credHelpers?.[host];
  if (helper) return runHelper(helper, host, path);
  const entry = config.auths?.[host] ?? config.auths?.[`https://${host}`] ?? config.auths?.[`http://${host}`];
  if (entry?.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new BpfcompatError('CONFIG_INVALID', `${path}: auths.${host}.auth is not base64 of user:password`, { hint: 'run docker login again' });
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry?.username && entry.password) return { username: entry.username, password: entry.password };
  if (config.credsStore) return runHelper(config.credsStore, host, path);
  return null;
}
