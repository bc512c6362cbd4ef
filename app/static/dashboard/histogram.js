// The risk panel's histogram (an SVG chart) of one district's completion times over the runs of
// a risk computation, in the words of the page's language (t, fill, num, pct, wib).
import { svg as el } from "../shared/dom.js";

// A district's completion times against its deadline: a bar per bin of the histogram, bars for the
// runs earlier or later than its bins and for those that never delivered; heights in proportion.
export function drawChart(svg, d, runs, district, { t, fill, num, pct, wib }) {
  svg.replaceChildren();
  // Hours from the deadline with their sign: "-24", "0", "+12".
  const signed = (hours) => (hours > 0 ? `+${num(hours, 0)}` : num(hours, 0));
  const h = d.histogram;
  const edges = h.edges_h, n = h.counts.length;
  const left = 50, top = 44, plotH = 160, slot = 15, gap = 58;
  const base = top + plotH;
  const binX = (edge) => left + gap + ((edge - edges[0]) / (edges[n] - edges[0])) * n * slot;
  const W = binX(edges[n]) + 2 * gap + 40, H = base + 62;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const share = (k) => pct(runs ? k / runs : null);
  const bars = [
    { kind: "before", count: h.before, mid: binX(edges[0]) - gap / 2, label: t("histBefore"), cls: "hist-ontime",
      title: fill("barBefore", { h: num(-edges[0], 0), n: num(h.before, 0), p: share(h.before) }) },
    ...h.counts.map((k, i) => ({ kind: "bin", count: k, from: edges[i], to: edges[i + 1],
      mid: (binX(edges[i]) + binX(edges[i + 1])) / 2, cls: edges[i + 1] <= 0 ? "hist-ontime" : "hist-late",
      title: fill("barBin", { from: signed(edges[i]), to: signed(edges[i + 1]), n: num(k, 0), p: share(k) }) })),
    { kind: "after", count: h.after, mid: binX(edges[n]) + gap / 2, label: t("histAfter"), cls: "hist-late",
      title: fill("barAfter", { h: num(edges[n], 0), n: num(h.after, 0), p: share(h.after) }) },
    { kind: "not_delivered", count: h.not_delivered, mid: binX(edges[n]) + (3 * gap) / 2, label: t("histNone"), cls: "hist-none",
      title: fill("barNone", { n: num(h.not_delivered, 0), p: share(h.not_delivered) }) },
  ];
  const max = Math.max(1, ...bars.map((b) => b.count));
  const k = plotH / max;
  // Axes: runs up the side (0, half and the largest bar), hours from the deadline along the bottom.
  el("line", { x1: left, x2: left, y1: top, y2: base, class: "hist-axis" }, svg);
  el("line", { x1: left, x2: W - 10, y1: base, y2: base, class: "hist-axis" }, svg);
  for (const v of [...new Set([0, Math.round(max / 2), max])]) {
    const y = base - v * k;
    el("line", { x1: left - 4, x2: left, y1: y, y2: y, class: "hist-axis" }, svg);
    el("text", { x: left - 6, y: y + 3, "text-anchor": "end", class: "hist-tick" }, svg).textContent = num(v, 0);
  }
  const yTitle = el("text", { x: 0, y: 0, "text-anchor": "middle", class: "hist-axis-title",
    transform: `translate(14 ${top + plotH / 2}) rotate(-90)` }, svg);
  yTitle.textContent = t("histY");
  for (const edge of edges.filter((e) => e % 24 === 0)) {
    el("line", { x1: binX(edge), x2: binX(edge), y1: base, y2: base + 4, class: "hist-axis" }, svg);
    el("text", { x: binX(edge), y: base + 15, "text-anchor": "middle", class: "hist-tick" }, svg).textContent = signed(edge);
  }
  el("text", { x: (binX(edges[0]) + binX(edges[n])) / 2, y: base + 56, "text-anchor": "middle", class: "hist-axis-title" }, svg)
    .textContent = t("histX");
  const g = el("g", { class: "hist-bars" }, svg);
  for (const b of bars) {
    const width = b.kind === "bin" ? slot - 2 : 18;
    const height = b.count * k;
    const attrs = { x: (b.mid - width / 2).toFixed(2), y: (base - height).toFixed(2), width, height: height.toFixed(2),
      class: `hist-bar ${b.cls}`, "data-kind": b.kind, "data-count": b.count };
    if (b.kind === "bin") Object.assign(attrs, { "data-from": b.from, "data-to": b.to });
    const rect = el("rect", attrs, g);
    el("title", {}, rect).textContent = b.title;
    if (b.count > 0) {
      el("text", { x: b.mid, y: base - height - 3, "text-anchor": "middle", class: "hist-count" }, g).textContent = num(b.count, 0);
    }
    if (!b.label) continue;
    const label = el("text", { x: b.mid, y: base + 29, "text-anchor": "middle", class: "hist-tick" }, svg);
    b.label.split(" ").forEach((word, i, words) => {  // a word a line: the bars stand close together
      el("tspan", { x: b.mid, dy: i ? "1.1em" : "0" }, label).textContent = i < words.length - 1 ? `${word} ` : word;
    });
  }
  // The deadline, and a legend of the colours (the bars' tooltips and the label say the same).
  const x0 = binX(0);
  el("line", { x1: x0, x2: x0, y1: top - 8, y2: base, class: "deadline-line" }, svg);
  el("text", { x: x0, y: top - 12, "text-anchor": "middle", class: "hist-deadline" }, svg).textContent = t("histDeadline");
  let lx = left;
  for (const [cls, key] of [["hist-ontime", "histOnTime"], ["hist-late", "histLate"], ["hist-none", "histNone"]]) {
    el("rect", { x: lx, y: 4, width: 10, height: 10, class: cls }, svg);
    const label = el("text", { x: lx + 14, y: 13, class: "hist-tick" }, svg);
    label.textContent = t(key);
    lx += 26 + (label.getComputedTextLength() || 6 * t(key).length);
  }
  const ontime = Math.round((d.on_time || 0) * runs);
  svg.setAttribute("aria-label", fill("histAria", {
    district, deadline: wib(d.deadline), runs: num(runs, 0), ontime: num(ontime, 0), p: pct(d.on_time),
    late: num(Math.max(0, runs - ontime - h.not_delivered), 0), none: num(h.not_delivered, 0),
  }));
}
