import type { Report } from '../../../history/vocabulary/report-schema.ts';
import { xmlEscape } from './escape.ts';

/** JUnit XML: one testcase per target, so CI systems show each kernel as a test. */
export function renderJunit(r: Report): string {
  const failures = r.targets.filter((t) => t.status === 'fail').length;
  const errors = r.targets.filter((t) => t.status === 'infra_error').length;
  const suiteName = `bpfcompat.${r.artifact.name}`;
  const cases = r.targets.map((t) => {
    const name = `${t.profile_id} (${t.kernel.release})`;
    const time = (t.duration_ms / 1000).toFixed(3);
    let body = '';
    if (t.status === 'fail') {
      body = `<failure type="${xmlEscape(t.classification_code ?? 'UNKNOWN')}" message="${xmlEscape(t.classification_reason)}">${xmlEscape(
        [t.classification_reason, `remediation: ${t.remediation}`, ...t.programs.filter((p) => p.verifier_log_tail).map((p) => `--- verifier log of ${p.name}\n${p.verifier_log_tail}`)].join('\n'),
      )}</failure>`;
    } else if (t.status === 'infra_error') {
      body = `<error type="INFRA_ERROR" message="${xmlEscape(t.infra_error ?? '')}">${xmlEscape(t.console_tail)}</error>`;
    } else if ((t.warnings?.length ?? 0) > 0) {
      // JUnit has no warning state: the case passes, and the warning is in its output for CI to show.
      body = `<system-out>${xmlEscape(t.warnings!.map((w) => `attach warning: ${w.program}: ${w.code} (${w.confidence}): ${w.reason}\nremediation: ${w.remediation}`).join('\n'))}</system-out>`;
    }
    const warned = (t.warnings ?? []).map((w) => `<property name="attach_warning" value="${xmlEscape(`${w.program}: ${w.code}`)}"/>`).join('');
    const props = `<properties><property name="required" value="${t.required}"/><property name="kernel_sha256" value="${t.kernel.sha256}"/><property name="reused" value="${t.reused}"/>${warned}</properties>`;
    return `    <testcase classname="${xmlEscape(suiteName)}" name="${xmlEscape(name)}" time="${time}">${props}${body}</testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="bpfcompat" tests="${r.targets.length}" failures="${failures}" errors="${errors}" time="${(r.run.duration_ms / 1000).toFixed(3)}">`,
    `  <testsuite name="${xmlEscape(suiteName)}" tests="${r.targets.length}" failures="${failures}" errors="${errors}" timestamp="${r.run.started_at}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
