import { execa } from 'execa';

/** The git revision and describe of a directory, or null outside a repository. */
export async function gitInfo(cwd: string): Promise<{ revision: string; describe: string } | null> {
  try {
    const rev = await execa('git', ['rev-parse', 'HEAD'], { cwd, timeout: 5000 });
    const desc = await execa('git', ['describe', '--tags', '--always', '--dirty'], { cwd, timeout: 5000 });
    return { revision: rev.stdout.trim(), describe: desc.stdout.trim() };
  } catch {
    return null;
  }
}

/** CI metadata from the environment (GitHub Actions and generic CI). */
export function ciInfo(env: NodeJS.ProcessEnv = process.env): Record<string, string> | null {
  if (env.GITHUB_ACTIONS === 'true') {
    const out: Record<string, string> = { provider: 'github-actions' };
    for (const [k, v] of Object.entries({ repository: env.GITHUB_REPOSITORY, run_id: env.GITHUB_RUN_ID, run_attempt: env.GITHUB_RUN_ATTEMPT, ref: env.GITHUB_REF, sha: env.GITHUB_SHA, workflow: env.GITHUB_WORKFLOW, job: env.GITHUB_JOB })) {
      if (v) out[k] = v;
    }
    if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) out.url = `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
    return out;
  }
  return env.CI ? { provider: 'ci' } : null;
}
