// The dashboard's timeline (WIB) of the open plan: each vessel's loading, sailing, waiting and
// unloading as bars, each booked scheduled sailing as a fixed (hatched) bar with a tick at each
// call, and the districts' deadlines.
import { $, svg as el } from "../shared/dom.js";
import { named } from "../shared/text.js";
import { day as dayIn } from "../shared/time.js";
import { colours, state } from "./state.js";
import { TEXT, districtName, fill, num, t, vesselName, wib } from "./words.js";

function noteText(r) {
  if (!r.note) return "";
  if (r.activity === "weather_hold") return r.note.replace(/\bwaves\b/, t("waves"));
  return TEXT.id[`note_${r.note}`] ? t(`note_${r.note}`) : r.note;
}

// A booked sailing's span on the timeline: from the call where the kits go on board to its last
// call at a hub.
function sailingSpan(b) {
  const depot = Math.max(0, b.calls.findIndex((c) => c.kind === "depot"));
  const hubs = b.calls.map((c, i) => (c.kind === "hub" ? i : -1)).filter((i) => i >= 0);
  const last = hubs.length ? hubs[hubs.length - 1] : b.calls.length - 1;
  return { calls: b.calls.slice(depot, last + 1), start: Date.parse(b.calls[depot].departure), end: Date.parse(b.calls[last].arrival) };
}

function sailingTitle(b, live) {
  const calls = b.calls.map((c) => fill("callLine", { name: named(c.stop_name, c.stop_id), arr: wib(c.arrival), dep: wib(c.departure) }));
  const tps = b.loads.reduce((n, l) => n + l.tps, 0);
  const cargo = `${t("cargo")}: ${fill("cargoOf", { kg: num(b.weight_kg, 0), cap: num(b.capacity_kg, 0), tps })}`;
  const late = live && live.delay_h > 0 ? [fill("late", { h: fill("hours", { n: num(live.delay_h) }) })] : [];
  return [`${b.route_name} (${b.sailing_id})`, ...calls, cargo, ...late].join("\n");
}

export function drawTimeline(plan, rows) {
  const svg = $("timeline");
  const box = $("timeline-box");
  svg.replaceChildren();
  if (!plan || !rows) return;
  // Drawn in the box's pixels: vessels' names in a column at the left on a wide box, above their rows on
  // a narrow one; days at least dayPx wide, so that on a phone the timeline scrolls inside its box.
  const avail = Math.max(240, box.clientWidth);
  const narrow = avail < 700;
  const start = Date.parse(plan.planning_start);
  const sailings = (plan.sailings || []).map((b) => ({ b, ...sailingSpan(b) }));
  const ends = [...rows.map((r) => Date.parse(r.end)), ...sailings.map((x) => x.end)];
  const deadlines = plan.kpis.districts.map((d) => Date.parse(d.deadline));
  const end = Math.max(...ends, ...deadlines);
  const days = Math.max(1, (end - start) / 86400000);
  const left = narrow ? 6 : 230, dayPx = narrow ? 96 : 64, rowH = narrow ? 34 : 22, barY = narrow ? 14 : 0;
  const W = Math.max(avail, Math.ceil(left + 10 + days * dayPx));
  const H = 30 + (plan.voyages.length + sailings.length) * rowH;
  state.timelineWidth = avail;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("width", W);
  svg.setAttribute("height", H);
  svg.dataset.layout = narrow ? "narrow" : "wide";
  const x = (ms) => left + ((ms - start) / (end - start)) * (W - left - 10);
  for (let day = start; day <= end; day += 86400000) {
    el("line", { x1: x(day), x2: x(day), y1: 14, y2: H, stroke: "#d5d8dc" }, svg);
    el("text", { x: x(day) + 2, y: 11, "font-size": 10 }, svg).textContent = dayIn(day, state.lang);
  }
  const hatch = el("pattern", { id: "scheduled-hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" }, el("defs", {}, svg));
  el("rect", { width: 6, height: 6, fill: "#aed6f1" }, hatch);
  el("rect", { width: 3, height: 6, fill: "#1a5276" }, hatch);
  const colour = colours(plan);
  const names = el("g", { class: "tl-names" });
  if (!narrow) el("rect", { x: 0, y: 14, width: left - 4, height: H - 14, class: "tl-name-bg" }, names);
  plan.voyages.forEach((v, i) => {
    const y = i * rowH;
    el("rect", { x: 4, y: 21 + y, width: 10, height: 8, fill: colour[v.vessel_id] }, names);
    el("text", { x: 18, y: 30 + y, "font-size": 11 }, names).textContent = vesselName(v);
    for (const r of rows.filter((q) => q.vessel_id === v.vessel_id)) {
      const a = x(Date.parse(r.start)), b = x(Date.parse(r.end));
      const bar = el("rect", { x: a, y: 18 + y + barY, width: Math.max(1, b - a), height: 14, class: `bar-${r.activity}` }, svg);
      const where = r.where_name ? `${r.where_name} (${r.where})` : r.where;
      const note = noteText(r);
      el("title", {}, bar).textContent = `${t(r.activity)} · ${fill("trip", { n: r.trip })} · ${where}\n` +
        `${wib(r.start)} – ${wib(r.end)}${note ? `\n${note}` : ""}`;
    }
  });
  const live = {};
  for (const x of (state.status && state.status.sailings) || []) live[x.sailing_id] = x;
  sailings.forEach(({ b, calls, start: from, end: to }, i) => {
    const y = (plan.voyages.length + i) * rowH;
    const g = el("g", { class: "tl-sailing", "data-sailing": b.sailing_id }, svg);
    const now = live[b.sailing_id];
    const bar = el("rect", { x: x(from), y: 18 + y + barY, width: Math.max(1, x(to) - x(from)), height: 14,
      class: `bar-scheduled${now && now.delay_h > 0 ? " late" : ""}` }, g);
    el("title", {}, bar).textContent = sailingTitle(b, now);
    for (const c of calls) {
      const at = x(Date.parse(c.kind === "depot" ? c.departure : c.arrival));
      el("line", { x1: at, x2: at, y1: 16 + y + barY, y2: 34 + y + barY, class: "call-tick" }, g);
    }
    // On a phone the route's name goes without its vessel's ("(KM Dharma Kartika)"): it must fit.
    const route = narrow ? b.route_name.replace(/\s*\([^)]*\)\s*$/, "") : b.route_name;
    el("text", { x: 4, y: 30 + y, "font-size": 11 }, names).textContent = `${route} · ${dayIn(from, state.lang)}`;
  });
  for (const d of plan.kpis.districts) {
    const l = el("line", { x1: x(Date.parse(d.deadline)), x2: x(Date.parse(d.deadline)), y1: 14, y2: H, class: "deadline-line" }, svg);
    el("title", {}, l).textContent = `${named(districtName(d.district_code, d.district_name), d.district_code)}: ${wib(d.deadline)}`;
  }
  svg.append(names);  // over the bars: the names stay at the box's left edge as it scrolls
  stickNames();
}

// Keep the vessels' names at the left edge of the timeline's box, however far it is scrolled.
function stickNames() {
  const names = document.querySelector("#timeline .tl-names");
  if (names) names.setAttribute("transform", `translate(${$("timeline-box").scrollLeft} 0)`);
}

// The timeline's box: the names stay at its left edge as it scrolls, and the timeline is drawn
// again at the box's new width.
export function bindTimeline() {
  $("timeline-box").addEventListener("scroll", stickNames, { passive: true });
  window.addEventListener("resize", () => {
    // The timeline is drawn at its box's width: again when that changes.
    if (state.plan && state.timeline && $("timeline-box").clientWidth !== state.timelineWidth) {
      drawTimeline(state.plan, state.timeline);
    }
  });
}
