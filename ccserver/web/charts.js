// Small inline-SVG bar charts for the wallboard and the reports page. Each bar is a <g data-testid="bar">
// with a <title> (the figure in words, shown on hover and read by screen readers).

import { el } from "/static/common.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/**
 * Stacked bars, one per hour row of a KPI report (`group` is the hour): answered below, abandoned on top.
 * `width`: of the drawing, in the units of its 240 high (the page scales it to fit).
 */
export function hourChart(hours, label, { width = 720 } = {}) {
  const [height, left, bottom, top] = [240, 40, 24, 10];
  const counts = hours.map((h) => ({ at: new Date(h.group), answered: h.answered, abandoned: h.abandoned ?? 0 }));
  const max = Math.max(4, ...counts.map((c) => c.answered + c.abandoned));
  const scale = (n) => ((height - bottom - top) * n) / max;
  const step = (width - left) / Math.max(1, counts.length);
  const labelEvery = Math.max(3, 3 * Math.ceil(counts.length / 72)); // a label every 3 h (more when many days)
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
  for (const tick of [0, Math.round(max / 2), max]) {
    const y = height - bottom - scale(tick);
    chart.append(svg("line", { x1: left, x2: width, y1: y, y2: y, class: "grid" }),
      svg("text", { x: left - 6, y: y + 5, class: "axis", "text-anchor": "end" }, String(tick)));
  }
  counts.forEach((c, i) => {
    const hour = c.at.getUTCHours();
    const x = left + i * step + step * 0.15;
    const base = height - bottom;
    const when = `${c.at.toISOString().slice(0, 10)} ${String(hour).padStart(2, "0")}:00 UTC`;
    chart.append(svg("g", { "data-testid": "bar", "data-hour": hour, "data-answered": c.answered,
      "data-abandoned": c.abandoned },
    svg("title", {}, `${when}: ${c.answered} answered, ${c.abandoned} abandoned`),
    svg("rect", { x, width: step * 0.7, y: base - scale(c.answered), height: scale(c.answered), class: "answered" }),
    svg("rect", { x, width: step * 0.7, y: base - scale(c.answered + c.abandoned), height: scale(c.abandoned),
      class: "abandoned" })));
    if (i % labelEvery === 0) {
      chart.append(svg("text", { x: x + step * 0.35, y: height - 6, class: "axis", "text-anchor": "middle" },
        String(hour).padStart(2, "0")));
    }
  });
  const legend = el("p", { class: "legend" }, el("span", { class: "key answered" }), "answered ",
    el("span", { class: "key abandoned" }), "abandoned");
  return el("div", {}, chart, legend);
}

/**
 * Horizontal bars, one per item `{label, value, text}` (`text`: the value as shown); items whose value is
 * null are left out. `max`: the full length (default: the largest value).
 */
export function barList(items, { label, max = null }) {
  const shown = items.filter((item) => item.value !== null && item.value !== undefined);
  const [width, rowHeight, labelWidth, valueWidth] = [560, 28, 200, 70];
  const full = max ?? Math.max(1e-9, ...shown.map((item) => item.value));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${Math.max(1, shown.length) * rowHeight}`, role: "img",
    "aria-label": label });
  shown.forEach((item, i) => {
    const y = i * rowHeight;
    const length = ((width - labelWidth - valueWidth) * Math.min(item.value, full)) / full;
    const name = item.label.length > 22 ? `${item.label.slice(0, 21)}…` : item.label; // the title has it all
    chart.append(svg("g", { "data-testid": "bar", "data-label": item.label, "data-value": item.value },
      svg("title", {}, `${item.label}: ${item.text}`),
      svg("text", { x: labelWidth - 8, y: y + 19, class: "axis", "text-anchor": "end" }, name),
      svg("rect", { x: labelWidth, y: y + 5, width: Math.max(length, 1), height: rowHeight - 10, class: "value" }),
      svg("text", { x: labelWidth + length + 6, y: y + 19, class: "axis value-label" }, item.text)));
  });
  if (!shown.length) {
    chart.append(svg("text", { x: labelWidth, y: 19, class: "axis" }, "Nothing to show in this window."));
  }
  return chart;
}
