// The repository's action.yml and workflows pass the GitHub Actions lint, and deliberately broken copies
// of them do not (so the lint is really looking).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { lintAction, lintRepository, lintWorkflow } from './actions-lint.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-actions-lint-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const action = readFileSync('action.yml', 'utf8');
const ci = readFileSync('.github/workflows/ci.yml', 'utf8');
const nightly = readFileSync('.github/workflows/nightly.yml', 'utf8');

/** `text` with `from` replaced once; fails when `from` is not there, so a broken copy is really broken. */
function breakIt(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `the file contains ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

test('action.yml and every workflow lint clean', async () => {
  const { files, findings } = await lintRepository('.');
  assert.deepEqual(files, ['action.yml', '.github/workflows/ci.yml', '.github/workflows/nightly.yml']);
  assert.deepEqual(findings, []);
});

test('a broken workflow is caught by actionlint and by the schema', async () => {
  const badExpr = await lintWorkflow(breakIt(nightly, 'steps.bpfcompat.outputs.exit-code', 'github.exit_code'), 'nightly.yml');
  assert.ok(badExpr.some((f) => f.source === 'actionlint' && /property "exit_code" is not defined/.test(f.message) && f.line !== null), JSON.stringify(badExpr));
  const badKey = await lintWorkflow(breakIt(ci, 'runs-on: ubuntu-latest', 'runs-onn: ubuntu-latest'), 'ci.yml');
  assert.ok(badKey.some((f) => f.source === 'actionlint' && /runs-onn/.test(f.message)), JSON.stringify(badKey));
  assert.ok(badKey.some((f) => f.source === 'schema'), 'the schema check refuses it too');
  const badNeeds = await lintWorkflow(breakIt(nightly, 'needs: publish', 'needs: publsh'), 'nightly.yml');
  assert.ok(badNeeds.some((f) => /publsh/.test(f.message)), JSON.stringify(badNeeds));
});

test('a broken action.yml is caught by the schema and by the composite-action rules', () => {
  const noShell = lintAction(breakIt(action, '      shell: bash\n      run: |\n        cd "$GITHUB_ACTION_PATH"', '      run: |\n        cd "$GITHUB_ACTION_PATH"'), 'action.yml');
  assert.ok(noShell.some((f) => f.source === 'schema' && /shell/.test(f.message)), JSON.stringify(noShell));
  assert.ok(noShell.some((f) => f.source === 'action-rules' && /Build the collector.*must name its shell/.test(f.message)));
  const interpolated = lintAction(breakIt(action, 'opt --shard "$BPFCOMPAT_IN_SHARD"', 'opt --shard "${{ inputs.shard }}"'), 'action.yml');
  assert.deepEqual(interpolated.map((f) => f.message), ['runs.steps[5] (Run bpfcompat): ${{ }} inside a run script; pass the value through env']);
  const undeclared = lintAction(breakIt(action, '${{ inputs.shard }}', '${{ inputs.shards }}'), 'action.yml');
  assert.deepEqual(undeclared.map((f) => [f.message, f.line]), [['inputs.shards is not a declared input', action.split('\n').findIndex((l) => l.includes('${{ inputs.shard }}')) + 1]]);
  const badUsing = lintAction(breakIt(action, 'using: composite', 'using: compost'), 'action.yml');
  assert.ok(badUsing.some((f) => f.source === 'schema'), JSON.stringify(badUsing));
});

test('the lint command exits 1 on a broken repository and 0 on this one', () => {
  mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
  writeFileSync(join(dir, 'action.yml'), action);
  writeFileSync(join(dir, '.github', 'workflows', 'ci.yml'), breakIt(ci, '${{ github.ref }}', '${{ github.reff }}'));
  const bad = spawnSync(process.execPath, ['.ci/actions-lint.ts', dir], { encoding: 'utf8' });
  assert.equal(bad.status, 1, bad.stderr);
  assert.match(bad.stderr, /\.github\/workflows\/ci\.yml:\d+: property "reff" is not defined/);
  const good = spawnSync(process.execPath, ['.ci/actions-lint.ts', '.'], { encoding: 'utf8' });
  assert.equal(good.status, 0, good.stderr);
  assert.match(good.stderr, /3 files, 0 findings/);
});
