import { homedir } from 'node:os';
import { join } from 'node:path';

/** The cache root: $BPFCOMPAT_CACHE_DIR, else $XDG_CACHE_HOME/bpfcompat, else ~/.cache/bpfcompat. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BPFCOMPAT_CACHE_DIR) return env.BPFCOMPAT_CACHE_DIR;
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'bpfcompat');
}

/** The data root (default history location): $XDG_DATA_HOME/bpfcompat, else ~/.local/share/bpfcompat. */
export function dataRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(base, 'bpfcompat');
}
