// The dashboard's capacity under risk (a capacity plan asked with target_on_time): the chance that
// every district is on time against the start day (H-14 to H-3), a line per fleet tried, the target
// dashed and the latest safe start marked; and per district its latest safe start.
import { $, html, svg as el } from "../shared/dom.js";
import { named } from "../shared/text.js";
import { day as dayIn } from "../shared/time.js";
import { state } from "./state.js";
import { districtName, fill, num, t } from "./words.js";

const FLEET_COLOURS = { least: "#2e86c1", scenario: "#ca6f1e", fleet: "#7d3c98" };
const pct = (x) => (x === null || x === undefined ? "—" : `${num(x * 100, 1)} %`);

export function drawCapacity() {
  const r = state.underRisk;
  $("capacity-box").hidden = !r;
  if (!r) return;
  const svg = $("capacity-chart");
  svg.replaceChildren();
  const days = r.days_before;
  // As wide as the box allows (a phone's 390 px too), so that the ticks keep their size.
  const left = 52, top = 16, plotH = 200;
  const plotW = Math.max(240, Math.min(Math.max(480, 48 * days.length), (svg.clientWidth || 640) - left - 16));
  const W = left + plotW + 16, H = top + plotH + 56;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const x = (i) => left + (days.length > 1 ? (i / (days.length - 1)) * plotW : plotW / 2);
  const y = (p) => top + (1 - p) * plotH;
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    el("line", { x1: left, x2: left + plotW, y1: y(p), y2: y(p), class: "cap-grid" }, svg);
    el("text", { x: left - 6, y: y(p) + 4, "text-anchor": "end", class: "cap-tick" }, svg).textContent = `${num(p * 100, 0)} %`;
  }
  days.forEach((k, i) => {
    el("text", { x: x(i), y: top + plotH + 16, "text-anchor": "middle", class: "cap-tick" }, svg).textContent = `H-${k}`;
  });
  el("text", { x: left + plotW / 2, y: H - 8, "text-anchor": "middle", class: "cap-axis-title" }, svg).textContent = t("capX");
  const target = el("line", { x1: left, x2: left + plotW, y1: y(r.target_on_time), y2: y(r.target_on_time), class: "cap-target" }, svg);
  el("title", {}, target).textContent = fill("capTarget", { p: pct(r.target_on_time) });
  if (r.latest_safe_days_before !== null && r.latest_safe_days_before !== undefined) {
    const i = days.indexOf(r.latest_safe_days_before);
    const safe = el("line", { x1: x(i), x2: x(i), y1: top, y2: top + plotH, class: "cap-safe", "data-days": r.latest_safe_days_before }, svg);
    el("title", {}, safe).textContent = fill("capSafe", { k: r.latest_safe_days_before });
  }
  for (const f of r.fleets) {
    const cells = r.table.filter((c) => c.fleet === f.id);
    const points = [];
    days.forEach((k, i) => {
      const c = cells.find((q) => q.days_before === k);
      if (c && c.every_district_on_time !== null && c.every_district_on_time !== undefined) points.push([i, c]);
    });
    const colour = FLEET_COLOURS[f.id] || "#555";
    el("polyline", { points: points.map(([i, c]) => `${x(i)},${y(c.every_district_on_time)}`).join(" "), class: "cap-line", stroke: colour, "data-fleet": f.id }, svg);
    for (const [i, c] of points) {
      const dot = el("circle", { cx: x(i), cy: y(c.every_district_on_time), r: 3.5, fill: colour, class: "cap-point", "data-fleet": f.id, "data-days": c.days_before, "data-chance": c.every_district_on_time }, svg);
      el("title", {}, dot).textContent = fill("capPoint", { fleet: t(`fleet_${f.id}`), k: c.days_before, p: pct(c.every_district_on_time), cost: num(c.cost_idr / 1e6, 0) });
    }
  }
  svg.setAttribute("aria-label", fill("capAria", { target: pct(r.target_on_time), k: r.latest_safe_days_before ?? "—" }));
  const legend = $("capacity-legend");
  legend.replaceChildren();
  for (const f of r.fleets) {
    const item = html("span", { class: "legend-item", "data-fleet": f.id });
    const sw = html("span", { class: "line-swatch" });
    sw.style.background = FLEET_COLOURS[f.id] || "#555";
    item.append(sw, `${t(`fleet_${f.id}`)}${f.id === r.fleet ? ` (${t("capChosen")})` : ""}`);
    item.title = f.vessels.map((v) => named(v.vessel_name, v.vessel_id)).join(", ");
    legend.append(item);
  }
  const when = r.latest_safe_start ? `H-${r.latest_safe_days_before} (${dayIn(r.latest_safe_start, state.lang)})` : t("capNone");
  $("capacity-state").textContent = fill(r.check_runs ? "capStateChecked" : "capState", { runs: num(r.runs, 0), check_runs: num(r.check_runs ?? 0, 0), target: pct(r.target_on_time), when });
  // The chance then is the check's, or (a capacity plan made before checks) the table's.
  const then = $("capacity-districts").tHead.rows[0].cells[2];
  then.dataset.i18n = r.check_runs ? "capThen" : "capThenTable";
  then.textContent = t(then.dataset.i18n);
  const body = $("capacity-districts").tBodies[0];
  body.replaceChildren();
  for (const d of r.districts) {
    const tr = body.insertRow();
    tr.dataset.district = d.district_code;
    tr.insertCell().append(`${districtName(d.district_code, d.district_name)} `, html("span", { class: "code" }, d.district_code));
    const safe = tr.insertCell();
    safe.className = "time";
    safe.textContent = d.latest_safe_start ? `H-${d.latest_safe_days_before} (${dayIn(d.latest_safe_start, state.lang)})` : t("capNone");
    tr.insertCell().textContent = pct(d.on_time_then);
  }
}
