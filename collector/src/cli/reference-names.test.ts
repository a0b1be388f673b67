// The reference tool's names, accepted where they cost nothing; bad uses are one-line usage errors (no boot here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadMatrix } from '../config/matrix.ts';
import { locateMatrix } from '../config/locate.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-refnames-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const run = (...args: string[]) => spawnSync(process.execPath, ['collector/bin/bpfcompat.js', ...args], { encoding: 'utf8', env: { ...process.env, BPFCOMPAT_OFFLINE: '1', XDG_DATA_HOME: join(dir, 'data') } });

function usage(args: string[], mention: RegExp) {
  const r = run(...args);
  assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, mention);
}

test('--quick is a shipped three-kernel Debian matrix, all required', async () => {
  const m = await loadMatrix(locateMatrix('quick'));
  assert.deepEqual(m.profiles.map((p) => [p.id, p.required]), [['debian-11', true], ['debian-12', true], ['debian-sid', true]]);
  assert.deepEqual(m.profiles.map((p) => p.kernel?.debian?.suite), ['bullseye', 'bookworm', 'sid']);
});

test('run flags: --quick, --concurrency, --artifact-uri misuse', () => {
  const obj = 'build/examples/pass_everywhere.bpf.o';
  usage(['test', '--artifact', obj, '--quick', '--matrix', 'debian', '--out', join(dir, 'r.json')], /--quick and --matrix debian both name a matrix/);
  usage(['test', '--artifact', obj, '--matrix', 'dev-one', '--out', join(dir, 'r.json'), '--jobs', '2', '--concurrency', '3'], /--jobs 2 and --concurrency 3 disagree/);
  usage(['test', '--artifact', obj, '--matrix', 'dev-one', '--out', join(dir, 'r.json'), '--concurrency', '0'], /--concurrency must be between 1 and 64/);
  usage(['test', '--artifact', obj, '--matrix', 'dev-one', '--out', join(dir, 'r.json'), '--artifact-uri', 'a b'], /--artifact-uri 'a b': must be a URI/);
  usage(['test-command', '--cmd', 'true', '--quick', '--matrix', 'dev-one', '--out', join(dir, 'r.json')], /--quick and --matrix dev-one/);
  assert.ok(!existsSync(join(dir, 'r.json')));
});

test('profile list --matrix prints ids without downloading anything', () => {
  const r = run('profile', 'list', '--matrix', 'debian');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'debian-11\ndebian-12\ndebian-13\ndebian-13-backports\ndebian-sid\n');
  const j = run('profile', 'list', '--matrix', 'debian-arm64', '--json');
  assert.ok(JSON.parse(j.stdout).every((p: { arch: string; lane: string }) => p.arch === 'arm64' && p.lane === 'direct'));
  usage(['profile', 'show'], /profile: unknown subcommand 'show'/);
  usage(['profile', 'list'], /profile list: --matrix is required/);
  usage(['profile', 'list', '--matrix', join(dir, 'none.yaml')], /--matrix .*none\.yaml: no such file/);
});

test('version --json and --version', () => {
  const j = run('version', '--json');
  assert.equal(j.status, 0);
  assert.deepEqual(Object.keys(JSON.parse(j.stdout)), ['version', 'report_schema', 'node']);
  assert.equal(JSON.parse(j.stdout).report_schema, 'bpfcompat.report.v1');
  assert.match(run('--version').stdout, /^bpfcompat \d+\.\d+\.\d+\n$/);
});

const REPORT = 'collector/src/report/testdata/mixed-report.json';

test('report-summary prints the job summary with failure details and next steps, within the limits', () => {
  assert.ok(existsSync(REPORT), REPORT);
  const r = run('report-summary', '--report', REPORT, '--max-targets', '1', '--max-failures', '1');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^## bpfcompat compatibility gate: /);
  const rows = r.stdout.split('\n').filter((l) => /^\| [a-z0-9-]+ \| /.test(l) && !l.startsWith('| Profile') && !/^\| [A-Z_]+ \| \d+ \|$/.test(l));
  assert.equal(rows.length, 1, 'one target row with --max-targets 1');
  assert.match(r.stdout, /\(\d+ more targets in the full report\)/);
  assert.match(r.stdout, /### Failure details\n\n- [^\n]+\n(  - Remediation[^\n]+\n)?- \(\d+ more in the full report\)/);
  assert.match(r.stdout, /### Next steps/);
  usage(['report-summary'], /report-summary: --report is required/);
  usage(['report-summary', '--report', join(dir, 'none.json')], /none\.json: not a readable JSON report/);
  writeFileSync(join(dir, 'other.json'), '{"a":1}');
  usage(['report-summary', '--report', join(dir, 'other.json')], /other\.json: not a bpfcompat report/);
  usage(['report-summary', '--report', REPORT, '--max-targets', 'all'], /--max-targets must be an integer/);
});

test('compare accepts the reference forms beside the positional one', () => {
  const same = run('compare', '--base-report', REPORT, '--head-report', REPORT);
  assert.equal(same.status, 0, same.stderr);
  assert.equal(JSON.parse(same.stdout).summary.regressed_profiles, 0);
  assert.equal(JSON.parse(same.stdout).summary.changed_profiles, 0);
  const mixed = run('compare', '--base-report', REPORT, REPORT);
  assert.equal(mixed.status, 0, mixed.stderr);
  usage(['compare', '--base-report', REPORT, REPORT, REPORT], /the BASE operand and --base-report both name the base/);
  usage(['compare', '--base-version', 'v1', '--head-version', 'v2'], /--base-version needs --artifact-name/);
  usage(['compare', '--base-report', REPORT], /the head is missing/);
  usage(['compare', '--artifact-name', 'demo', '--base-version', 'v1', '--head-version', 'v2', '--history', join(dir, 'none.sqlite')], /no history at/);
  assert.equal(JSON.parse(readFileSync(REPORT, 'utf8')).schema_version, 'bpfcompat.report.v1');
});
