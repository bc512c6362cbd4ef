// The dashboard's board: the districts (with their risk, risk.js), the vessels' voyages, the
// booked scheduled sailings, the handovers recorded in the field (and by the district offices at
// their hubs) and the villages the plan leaves unserved.
import { $, html } from "../shared/dom.js";
import { named } from "../shared/text.js";
import { riskCells, riskOf, toggleHistogram } from "./risk.js";
import { api, colours, state } from "./state.js";
import { districtName, fill, num, placeName, t, vesselName, wib } from "./words.js";

// --- handovers: who received, who recorded it, when it happened and when it reached the service ---

export const handovers = () => state.events.filter((e) => e.type === "handed_over");
const recorder = (e) => e.recorded_by_name || (e.recorded_by ? fill("keyOf", { id: e.recorded_by }) : "-");

// Who received the kits: "Name (Position)"; the name alone in a report without a position.
function receiverText(e) {
  if (!e.receiver) return "-";
  return e.receiver_position ? `${e.receiver} (${e.receiver_position})` : e.receiver;
}

export function handoverLines(e) {
  const boxes = e.boxes === undefined ? "-" : fill("boxes", { n: e.boxes });
  const condition = e.condition ? t(`cond_${e.condition}`) : "-";
  return [
    `${stateLabel("handed_over")}: ${fill("handoverOf", { boxes, condition })}`,
    `${t("receiver")}: ${receiverText(e)}`,
    `${t("recordedBy")}: ${recorder(e)}`,
    `${t("happened")}: ${wib(e.at)}`,
    `${t("reached")}: ${wib(e.recorded_at)}`,
  ];
}

function drawHandovers() {
  const box = $("handovers-box");
  const body = $("handovers").tBodies[0];
  body.replaceChildren();
  const voyages = {}, sailings = {};
  for (const v of (state.plan && state.plan.voyages) || []) voyages[v.vessel_id] = v;
  for (const b of (state.plan && state.plan.sailings) || []) sailings[b.sailing_id] = b;
  const rows = handovers().slice().reverse();  // the newest first
  for (const e of rows) {
    let where = String(e.stop), by = e.vessel_id || e.sailing_id;
    if (e.sailing_id) {  // a sailing's cargo handed to the district office at a hub
      const b = sailings[e.sailing_id];
      const c = b && b.calls[e.stop];
      const load = c && b.loads.find((l) => l.stop_id === c.stop_id);
      const villages = load ? [...new Set(load.manifest.map((m) => m.village_name || m.village_code))].join(", ") : "";
      if (c) where = `${named(c.stop_name, c.stop_id)}${villages ? `: ${villages}` : ""}`;
      if (b) by = b.route_name;
    } else {
      const v = voyages[e.vessel_id];
      const s = v && v.stops[e.stop];
      const villages = s ? [...new Set(s.manifest.map((m) => m.village_name || m.village_code))].join(", ") : "";
      if (s) where = `${placeName(s)}${villages ? `: ${villages}` : ""}`;
      if (v) by = vesselName(v);
    }
    const tr = row(body, [
      { content: [where, html("br"), html("span", { class: "code" }, by)] },
      { content: receiverText(e) },
      { content: recorder(e) },
      { content: wib(e.at), cls: "time" },
      { content: wib(e.recorded_at), cls: "time" },
    ]);
    tr.dataset.event = e.id;
    tr.dataset.key = `${e.vessel_id || e.sailing_id}/${e.stop}`;
  }
  box.hidden = rows.length === 0;
}

export async function loadEvents() {
  if (!state.plan) return;
  try {
    const r = await api(`/plans/${state.plan.id}/events`);
    state.events = r.body.events || [];
  } catch (e) {
    console.warn("the plan's events could not be read", e);  // the board keeps the last ones
  }
}

// A stop's or voyage's state as people read it: the field log's label of its last event.
const stateLabel = (st) => (state.eventLabels[st] ? state.eventLabels[st][state.lang] : t(`state_${st}`));

function row(body, cells) {
  const tr = body.insertRow();
  for (const c of cells) {
    const td = tr.insertCell();
    if (c.cls) td.className = c.cls;
    td.append(...[].concat(c.content));
  }
  return tr;
}

function codeSpan(code) {
  return html("span", { class: "code" }, code);
}

function drawDistricts(s) {
  const body = $("districts").tBodies[0];
  body.replaceChildren();
  const planNames = {};
  for (const d of (state.plan && state.plan.kpis.districts) || []) planNames[d.district_code] = d.district_name;
  for (const d of s.districts) {
    const name = districtName(d.district_code, d.district_name, planNames[d.district_code]);
    const tr = row(body, [
      { content: [name, " ", codeSpan(d.district_code)] },
      { content: `${d.tps_delivered} / ${d.tps_total}`, cls: "tps" },
      { content: wib(d.eta), cls: "time" },
      { content: wib(d.deadline), cls: "time" },
      { content: d.at_risk ? t("atrisk") : t("ok"), cls: "state" },
      ...riskCells(d.district_code),
    ]);
    tr.dataset.district = d.district_code;
    if (d.at_risk) tr.className = "at-risk";
    if (riskOf(d.district_code)) {
      tr.classList.add("has-risk");
      tr.classList.toggle("selected", state.risk.district === d.district_code);
      tr.addEventListener("click", () => toggleHistogram(d.district_code));
    }
  }
}

function whereCell(v, planned) {
  if (v.current_stop === null || v.current_stop === undefined) return [t("state_finished")];
  const stop = planned ? planned.stops[v.current_stop] : null;
  const name = v.current_place_name || (stop && stop.name) || v.current_place;
  const trip = stop && stop.trip ? ` · ${fill("trip", { n: stop.trip })}` : "";
  return [name, trip];
}

function drawVoyages(s) {
  const vb = $("voyages").tBodies[0];
  vb.replaceChildren();
  const plans = {};
  const colour = state.plan ? colours(state.plan) : {};
  for (const v of (state.plan && state.plan.voyages) || []) plans[v.vessel_id] = v;
  for (const v of s.voyages) {
    const planned = plans[v.vessel_id];
    const swatch = html("span", { class: "line-swatch" });
    swatch.style.background = colour[v.vessel_id] || "#888";
    const stateCell = [stateLabel(v.current_state)];
    if (v.delay_h > 0) stateCell.push(`, ${fill("late", { h: fill("hours", { n: num(v.delay_h) }) })}`);
    if (v.warnings && v.warnings.length) {  // stored events the status had to leave out
      const warn = html("span", { class: "warning" }, ` \u26a0 ${v.warnings.length} ${t("ignored")}`);
      warn.title = v.warnings.map((w) => fill("ignoredOne", { id: w.event_id })).join("\n");
      stateCell.push(warn);
    }
    const tr = row(vb, [
      { content: [swatch, v.vessel_name || (planned && planned.vessel_name) || v.vessel_id], cls: "vessel" },
      { content: whereCell(v, planned) },
      { content: stateCell },
    ]);
    tr.dataset.vessel = v.vessel_id;
  }
}

// The booked scheduled sailings: route and date, departure, arrival at each hub, cargo against
// the space booked, and where the sailing is now (from the events the logistics desk records).
function drawSailings(s) {
  const body = $("sailings").tBodies[0];
  body.replaceChildren();
  const booked = (state.plan && state.plan.sailings) || [];
  const live = {};
  for (const x of s.sailings || []) live[x.sailing_id] = x;
  for (const b of booked) {
    const now = live[b.sailing_id];
    const depot = b.calls.find((c) => c.kind === "depot") || b.calls[0];
    const hubs = b.calls.filter((c) => c.kind === "hub")
      .flatMap((c, i) => [...(i ? [html("br")] : []), `${named(c.stop_name, c.stop_id)} ${wib(c.arrival)}`]);
    const tps = b.loads.reduce((n, l) => n + l.tps, 0);
    // The last call reported: "Departed · Kalianget".
    const reported = now ? now.calls.filter((c) => c.state !== "planned") : [];
    const last = reported[reported.length - 1];
    const stateCell = [last ? `${stateLabel(last.state)} · ${named(last.stop_name, last.stop_id)}` : t("state_planned")];
    if (now && now.delay_h > 0) stateCell.push(`, ${fill("late", { h: fill("hours", { n: num(now.delay_h) }) })}`);
    const tr = row(body, [
      { content: [b.route_name, html("br"), codeSpan(b.sailing_id)], cls: "vessel" },
      { content: wib(depot.departure), cls: "time" },
      { content: hubs, cls: "time" },
      { content: fill("cargoOf", { kg: num(b.weight_kg, 0), cap: num(b.capacity_kg, 0), tps }) },
      { content: stateCell, cls: "state" },
    ]);
    tr.dataset.sailing = b.sailing_id;
    tr.dataset.state = last ? last.state : "planned";
  }
  $("sailings-box").hidden = booked.length === 0;
}

function drawUnassigned() {
  const list = $("unassigned");
  list.replaceChildren();
  const rows = (state.plan && state.plan.unassigned) || [];
  for (const u of rows) {
    const district = fill("districtOf", { name: districtName(u.district_code, u.district_name) });
    const reasons = (u.reasons || []).map((r) => t(`reason_${r.code}`)).join("; ");
    list.append(html("li", {}, `${named(u.village_name, u.village_code)}, ${district}: ${u.tps} TPS — ${reasons}`));
  }
  $("unassigned-box").hidden = rows.length === 0;
}

export function drawBoard() {
  const s = state.status;
  if (!s || !s.districts) return;
  drawDistricts(s);
  drawVoyages(s);
  drawSailings(s);
  drawHandovers();
  drawUnassigned();
}
