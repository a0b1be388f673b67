/// <reference lib="dom" />
// Progressive enhancement of the overview: filter rows by artifact text and class, columns by kernel,
// without leaving the page. The static filter links keep working without JS.

export function enhanceOverviewFilters(): void {
  const form = document.querySelector<HTMLFormElement>('form[data-live-filter]');
  const table = document.querySelector<HTMLTableElement>('table[data-grid]');
  if (!form || !table) return;
  form.hidden = false;
  const apply = (): void => {
    const text = (form.elements.namedItem('artifact') as HTMLInputElement).value.trim().toLowerCase();
    const kernel = (form.elements.namedItem('kernel') as HTMLSelectElement).value;
    const cls = (form.elements.namedItem('class') as HTMLSelectElement).value;
    let shown = 0;
    for (const row of Array.from(table.tBodies[0]?.rows ?? [])) {
      const nameOk = text === '' || (row.dataset.name ?? '').includes(text);
      const classOk = cls === '' || (row.dataset.classes ?? '').split(' ').includes(cls);
      const visible = nameOk && classOk;
      row.classList.toggle('hidden-row', !visible);
      if (visible) shown++;
    }
    // Columns: 0 = artifact, 1 = passing, kernels from 2.
    for (const row of Array.from(table.rows)) {
      Array.from(row.cells).forEach((cell, i) => {
        if (i < 2) return;
        cell.hidden = kernel !== '' && String(i - 2) !== kernel;
      });
    }
    (form.elements.namedItem('count') as HTMLOutputElement).value = `${shown} artifact(s)`;
  };
  form.addEventListener('input', apply);
  form.addEventListener('submit', (e) => e.preventDefault());
  apply();
}
