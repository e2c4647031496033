// A small line chart of one number over the takes, as inline SVG, with its meaning in words for
// screen readers (the chart itself is one image to them).

import { h, svg } from "./dom.js";

/**
 * values: numbers, oldest take first. format: number → text. better: "higher" or "lower".
 * Returns a <figure>.
 */
export function lineChart({ title, values, format, better = "higher" }) {
  const width = 260, height = 90, left = 4, right = 4, top = 10, bottom = 14;
  const finite = values.filter(Number.isFinite);
  const last = finite.length ? finite[finite.length - 1] : NaN;
  const best = finite.length ? (better === "higher" ? Math.max(...finite) : Math.min(...finite)) : NaN;
  let low = Math.min(...finite), high = Math.max(...finite);
  if (!finite.length) { low = 0; high = 1; }
  if (high - low < 1e-9) { low -= 1; high += 1; }
  const x = (i) => left + (values.length <= 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (values.length - 1));
  const y = (v) => top + (1 - (v - low) / (high - low)) * (height - top - bottom);

  const points = values.map((v, i) => (Number.isFinite(v) ? [x(i), y(v)] : null)).filter(Boolean);
  const path = points.map(([px, py], i) => `${i ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`).join("");
  const area = points.length > 1
    ? `${path}L${points[points.length - 1][0].toFixed(1)},${height - bottom}L${points[0][0].toFixed(1)},${height - bottom}Z` : "";
  const description = finite.length
    ? `${title} over ${values.length} ${values.length === 1 ? "take" : "takes"}: first ${format(finite[0])}, latest ${format(last)}, best ${format(best)}.`
    : `${title}: no analysed takes yet.`;

  const picture = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": description },
    svg("line", { class: "axis", x1: 0, x2: width, y1: height - bottom, y2: height - bottom }),
    area ? svg("path", { class: "area", d: area }) : null,
    path ? svg("path", { class: "series", d: path }) : null,
    values.map((v, i) => Number.isFinite(v)
      ? svg("circle", { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3.2, class: v === best ? "best" : null },
        svg("title", {}, `take ${i + 1}: ${format(v)}`))
      : null),
    svg("text", { x: 0, y: height - 2 }, "first"),
    svg("text", { x: width, y: height - 2, "text-anchor": "end" }, "latest"),
  );
  return h("figure", { class: "chart" },
    h("h3", {}, title),
    h("div", { class: "value", "aria-hidden": "true" }, finite.length ? format(last) : "–"),
    picture,
  );
}
