/// <reference lib="dom" />
import { compareEntry, type CompareSide } from '../lib/change.ts';

// Compares any two versions of an artifact in the browser, from /api/v1/artifacts/<slug>/results.json.
// Everything from the JSON is put into the page with textContent, never as HTML.

interface VersionDoc {
  version: string;
  results: { profile_id: string; status: CompareSide['status']; classification_code: string | null; kernel_release: string; warnings?: { code: string }[] }[];
}

const SYMBOL: Record<string, string> = { pass: '✓', warn: '◐', fail: '✗', infra_error: '⚠' };
const LABEL: Record<string, string> = { warn: 'loads, attach warned' };

/** What a side shows: a pass whose attach warned is its own state, with the warning's code. */
function shown(s: CompareSide): { state: string; code: string | null } {
  if (s.status === 'pass' && s.warning_code) return { state: 'warn', code: s.warning_code };
  return { state: s.status, code: s.classification_code };
}

function cell(row: HTMLTableRowElement, text: string, cls = ''): void {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}

export function enhanceComparePicker(): void {
  const form = document.querySelector<HTMLFormElement>('form[data-picker]');
  const table = document.querySelector<HTMLTableElement>('table[data-picker-result]');
  const status = document.querySelector<HTMLElement>('[data-picker-status]');
  if (!form || !table || !status) return;
  const api = form.dataset.api ?? '/api/v1/';
  const artifactSel = form.elements.namedItem('artifact') as HTMLSelectElement;
  const baseSel = form.elements.namedItem('base') as HTMLSelectElement;
  const headSel = form.elements.namedItem('head') as HTMLSelectElement;
  let versions: VersionDoc[] = [];

  const load = async (): Promise<void> => {
    status.textContent = 'loading…';
    const slug = encodeURIComponent(artifactSel.value);
    const res = await fetch(`${api}artifacts/${slug}/results.json`);
    if (!res.ok) {
      status.textContent = `could not load results (${res.status})`;
      return;
    }
    versions = ((await res.json()) as { versions: VersionDoc[] }).versions;
    for (const sel of [baseSel, headSel]) {
      sel.replaceChildren(...versions.map((v, i) => new Option(v.version, String(i))));
    }
    baseSel.value = String(Math.max(0, versions.length - 2));
    headSel.value = String(versions.length - 1);
    status.textContent = '';
  };

  const run = (): void => {
    const b = versions[Number(baseSel.value)];
    const h = versions[Number(headSel.value)];
    if (!b || !h) return;
    const side = (v: VersionDoc) => new Map(v.results.map((r) => [r.profile_id, { status: r.status, classification_code: r.classification_code, warning_code: r.status === 'pass' ? (r.warnings?.[0]?.code ?? null) : null, kernel_release: r.kernel_release }]));
    const bs = side(b);
    const hs = side(h);
    const ids = [...new Set([...bs.keys(), ...hs.keys()])].sort();
    const body = table.tBodies[0]!;
    body.replaceChildren();
    const counts: Record<string, number> = {};
    for (const id of ids) {
      const e = compareEntry(id, bs.get(id) ?? null, hs.get(id) ?? null);
      counts[e.change] = (counts[e.change] ?? 0) + 1;
      const row = body.insertRow();
      row.dataset.change = e.change;
      cell(row, id);
      cell(row, e.change, `change-${e.change}`);
      for (const s of [e.base, e.head]) {
        const v = s ? shown(s) : null;
        cell(row, v ? `${SYMBOL[v.state] ?? '?'} ${LABEL[v.state] ?? v.state}${v.code ? ` · ${v.code}` : ''}` : '– not tested');
      }
      cell(row, e.classification_delta, 'mono');
    }
    table.hidden = false;
    status.textContent = `${b.version} → ${h.version}: ` + Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ');
  };

  form.hidden = false;
  artifactSel.addEventListener('change', () => void load().then(run));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  void load().then(run);
}
