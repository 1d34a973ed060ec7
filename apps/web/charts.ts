/**
 * Small bar charts as inline SVG, rendered on the server: no chart library, no script, no file to
 * fetch. The SVG has a `viewBox` and stretches to its container's width (CSS sets its height),
 * so it reads on a phone as on a desk; its labels are HTML around it, at the page's text size.
 * Each bar has a `<title>` (a tooltip, and what a screen reader says).
 *
 * @module
 */

import { type Html, html } from "./html.ts";

/** One series of a stacked bar chart. */
export interface Series {
  /** Its name, as the legend and tooltips say it. */
  name: string;
  /** The CSS class of its bars (the stylesheet gives the colour). */
  className: string;
  /** One value a bar, oldest first. */
  values: readonly number[];
}

/** What a bar chart shows. */
export interface BarChart {
  /** The element's id. */
  id: string;
  /** What it shows, for the heading and screen readers. */
  title: string;
  /** The label of each bar (a time, for tooltips), oldest first. */
  labels: readonly string[];
  /** The series, stacked bottom to top. */
  series: readonly Series[];
  /** The top of the scale (the highest stack by default). */
  max?: number;
  /** How a value reads (`12`, `25%`). */
  format?: (value: number) => string;
  /** The labels under the chart: its left end and right end. */
  from: string;
  to: string;
}

const WIDTH = 600;
const HEIGHT = 120;

/**
 * A stacked bar chart as an inline SVG inside a `<figure>`, with the scale's top and the time
 * span as text.
 *
 * @example
 * ```ts
 * import { barChart } from "./charts.ts";
 *
 * const svg = barChart({
 *   id: "runs",
 *   title: "Jobs ended",
 *   labels: ["12:00", "12:01"],
 *   series: [{ name: "succeeded", className: "bar-ok", values: [3, 5] }],
 *   from: "12:00",
 *   to: "12:01",
 * }).text;
 * console.assert(svg.includes('viewBox="0 0 600 120"'));
 * ```
 */
export function barChart(chart: BarChart): Html {
  const count = chart.labels.length;
  const format = chart.format ?? String;
  const stacks = chart.labels.map((_, i) =>
    chart.series.reduce((n, s) => n + (s.values[i] ?? 0), 0)
  );
  const max = chart.max ?? Math.max(0, ...stacks);
  const slot = WIDTH / Math.max(count, 1);
  const gap = slot > 4 ? 1 : 0;
  const total = chart.series.reduce((n, s) => n + s.values.reduce((a, b) => a + b, 0), 0);
  const bars = chart.labels.map((label, i) => {
    let y = HEIGHT;
    const rects = chart.series.map((s) => {
      const value = s.values[i] ?? 0;
      if (value <= 0 || max <= 0) return "";
      const h = Math.max(1, (value / max) * (HEIGHT - 2));
      y -= h;
      return html`
        <rect class="${s.className}" x="${(i * slot + gap / 2).toFixed(2)}" y="${y.toFixed(
          2,
        )}" width="${(slot - gap).toFixed(2)}"
          height="${h.toFixed(2)}"></rect>
      `;
    });
    const tip = `${label}: ${
      chart.series.map((s) => `${format(s.values[i] ?? 0)} ${s.name}`).join(", ")
    }`;
    return html`<g><title>${tip}</title><rect class="bar-slot" x="${
      (i * slot).toFixed(2)
    }" y="0" width="${slot.toFixed(2)}" height="${HEIGHT}"></rect>${rects}</g>`;
  });
  return html`
    <figure class="chart-box" id="${chart.id}" data-total="${total}" data-max="${max}">
      <figcaption><span class="chart-title">${chart.title}</span> <span class="chart-legend">${chart
        .series.map((s) =>
          html`
            <span class="key ${s.className}"></span>${s.name}
          `
        )}</span><span class="chart-max">top ${format(max)}</span></figcaption>
      <svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="none" role="img"
        aria-label="${chart.title}: ${format(
          total,
        )} in all">${bars}<line class="axis" x1="0" y1="${HEIGHT -
          0.5}" x2="${WIDTH}" y2="${HEIGHT - 0.5}"></line></svg>
      <div class="chart-span"><span>${chart.from}</span><span>${chart.to}</span></div>
    </figure>
  `;
}
