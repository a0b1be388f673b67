/// <reference lib="dom" />
import { Chart, LineController, LineElement, PointElement, LinearScale, CategoryScale, Tooltip } from 'chart.js';

// Draws the pass-rate chart from the table rows (data-label, data-rate): the table is the source.
export function drawPassRateChart(): void {
  const canvas = document.querySelector<HTMLCanvasElement>('canvas[data-pass-chart]');
  const box = document.querySelector<HTMLElement>('[data-chart-box]');
  const rows = Array.from(document.querySelectorAll<HTMLTableRowElement>('table[data-pass-table] tbody tr'));
  if (!canvas || !box || rows.length === 0) return;
  Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Tooltip);
  box.hidden = false;
  new Chart(canvas, {
    type: 'line',
    data: {
      // Labels go through chart.js's canvas text rendering, never through HTML.
      labels: rows.map((r) => r.dataset.label ?? ''),
      datasets: [{ label: 'pass rate %', data: rows.map((r) => (r.dataset.rate ? Number(r.dataset.rate) : null)), borderColor: '#1f7a35', spanGaps: true, tension: 0.1 }],
    },
    options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { min: 0, max: 100, title: { display: true, text: '% of verdicts passing' } } } },
  });
}
