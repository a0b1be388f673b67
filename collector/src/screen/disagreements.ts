import type { ScreenReport } from '../../../history/vocabulary/screen-schema.ts';
import type { TargetReport } from '../../../history/vocabulary/report-schema.ts';

// Where the screen and the boot disagree, kernel by kernel (test --screen). An infra error is no verdict, so it
// neither confirms nor contradicts a prediction; an unknown prediction is not contradicted by anything.

export interface Disagreement { profile_id: string; predicted: 'pass' | 'fail'; booted: 'pass' | 'fail'; line: string }

export function screenDisagreements(screen: ScreenReport, booted: TargetReport[]): Disagreement[] {
  const out: Disagreement[] = [];
  for (const t of screen.targets) {
    if (t.prediction === 'unknown') continue;
    const b = booted.find((x) => x.profile_id === t.profile_id);
    if (!b || b.status === 'infra_error') continue;
    const verdict = b.status === 'pass' ? 'pass' : 'fail';
    if (verdict === t.prediction) continue;
    out.push({
      profile_id: t.profile_id, predicted: t.prediction, booted: verdict,
      line: `${t.profile_id}: screen predicted ${t.prediction}${t.classification_code ? ` (${t.classification_code})` : ''}, the boot says ${verdict}${b.classification_code ? ` (${b.classification_code})` : ''}: ${t.reason}`,
    });
  }
  return out;
}
