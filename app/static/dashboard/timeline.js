// The dashboard's timeline (WIB) of the open plan: each vessel's loading, sailing, waiting and
// unloading as bars, and the districts' deadlines.
import { $, svg as el } from "../shared/dom.js";
import { named } from "../shared/text.js";
import { day as dayIn } from "../shared/time.js";
import { colours, state } from "./state.js";
import { TEXT, districtName, fill, t, vesselName, wib } from "./words.js";

function noteText(r) {
  if (!r.note) return "";
  if (r.activity === "weather_hold") return r.note.replace(/\bwaves\b/, t("waves"));
  return TEXT.id[`note_${r.note}`] ? t(`note_${r.note}`) : r.note;
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
  const ends = rows.map((r) => Date.parse(r.end));
  const deadlines = plan.kpis.districts.map((d) => Date.parse(d.deadline));
  const end = Math.max(...ends, ...deadlines);
  const days = Math.max(1, (end - start) / 86400000);
  const left = narrow ? 6 : 230, dayPx = narrow ? 96 : 64, rowH = narrow ? 34 : 22, barY = narrow ? 14 : 0;
  const W = Math.max(avail, Math.ceil(left + 10 + days * dayPx));
  const H = 30 + plan.voyages.length * rowH;
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
