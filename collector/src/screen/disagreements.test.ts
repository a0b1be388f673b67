import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TargetReport } from '../../../history/vocabulary/report-schema.ts';
import type { ScreenReport, ScreenTarget } from '../../../history/vocabulary/screen-schema.ts';
import { screenDisagreements } from './disagreements.ts';

const st = (id: string, prediction: ScreenTarget['prediction']): ScreenTarget => ({
  profile_id: id, kernel: { release: null, image_sha256: null, btf_path: null, btf_sha256: null }, prediction,
  classification_code: prediction === 'fail' ? 'UNSUPPORTED_HELPER' : null, root_cause: null, reason: 'r', fingerprint: 'f', programs: [],
});
const screen = (targets: ScreenTarget[]) => ({ targets }) as unknown as ScreenReport;
const booted = (id: string, status: string, code: string | null = null) => ({ profile_id: id, status, classification_code: code }) as unknown as TargetReport;

test('disagreements: decided predictions the boot contradicts, never unknowns or infra errors', () => {
  const d = screenDisagreements(
    screen([st('a', 'pass'), st('b', 'fail'), st('c', 'unknown'), st('d', 'pass'), st('e', 'fail')]),
    [booted('a', 'fail', 'VERIFIER_REJECTION'), booted('b', 'fail', 'UNSUPPORTED_HELPER'), booted('c', 'fail'), booted('d', 'infra_error'), booted('e', 'pass')],
  );
  assert.deepEqual(d.map((x) => [x.profile_id, x.predicted, x.booted]), [['a', 'pass', 'fail'], ['e', 'fail', 'pass']]);
  assert.match(d[0]!.line, /a: screen predicted pass, the boot says fail \(VERIFIER_REJECTION\)/);
});
