/// <reference lib="dom" />
// Filters the search page's list with the static index (/api/v1/search.json): entry i of the index is
// list item data-i=i. Matching is on lower-cased terms; every word of the query must match.

interface Entry {
  terms: string;
}

export function enhanceSearch(): void {
  const form = document.querySelector<HTMLFormElement>('form[data-search]');
  const list = document.querySelector<HTMLUListElement>('ul[data-search-list]');
  if (!form || !list) return;
  const input = form.elements.namedItem('q') as HTMLInputElement;
  const count = form.elements.namedItem('count') as HTMLOutputElement;
  const items = Array.from(list.querySelectorAll<HTMLLIElement>('li[data-i]'));
  void fetch(form.dataset.index ?? '').then(async (res) => {
    if (!res.ok) return;
    const index = (await res.json()) as { entries: Entry[] };
    form.hidden = false;
    const apply = (): void => {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const li of items) {
        const terms = index.entries[Number(li.dataset.i)]?.terms ?? '';
        const hit = words.every((w) => terms.includes(w));
        li.hidden = !hit;
        if (hit) shown++;
      }
      count.value = `${shown} result(s)`;
    };
    input.addEventListener('input', apply);
    form.addEventListener('submit', (e) => e.preventDefault());
    const q = new URLSearchParams(location.search).get('q');
    if (q) input.value = q;
    apply();
  });
}
