import { join } from 'node:path';
import { dataRoot } from '../infra/xdg.ts';

/** --history PATH, else $XDG_DATA_HOME/bpfcompat/history.sqlite (~/.local/share/bpfcompat/history.sqlite). */
export function historyPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? join(dataRoot(env), 'history.sqlite');
}
