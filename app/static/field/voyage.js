// The voyage on the page: the copy kept on the phone and the server's, what has been reported at
// each stop (the server's events and this phone's reports), and the page drawn from them: the
// header, the network line, the notice, the current and next stops as cards, the stops later and
// behind.
import { $, h, translatePage } from "../shared/dom.js";
import { named } from "../shared/text.js";
import { tapStep } from "./form.js";
import { renderQueue, setOnline } from "./send.js";
import { state, storedKey } from "./state.js";
import { TEXT, fill, num, t, wib } from "./words.js";

const VOYAGE_ITEM = "ballotFieldVoyage";
const DATA_CACHE = "ballot-field-data-v1"; // the service worker's copy of the voyage
const NEXT_SHOWN = 3; // stops shown in full from the current one

export function keptVoyage() {
  try {
    const kept = JSON.parse(localStorage.getItem(VOYAGE_ITEM) || "null");
    if (kept && kept.voyage) return kept;
  } catch {
    /* a damaged copy is as good as none */
  }
  return null;
}

// The voyage kept on the phone twice: for this page (localStorage) and for the service worker's
// answer to /field/voyage without signal (its cache; the first visit is read before it runs).
function keepVoyage(voyage) {
  state.savedAt = new Date().toISOString();
  const text = JSON.stringify(voyage);
  localStorage.setItem(VOYAGE_ITEM, JSON.stringify({ voyage, saved_at: state.savedAt }));
  if (!("caches" in window)) return;
  const copy = new Response(text, { headers: { "Content-Type": "application/json" } });
  caches.open(DATA_CACHE).then((c) => c.put("/field/voyage", copy)).catch(() => {});
}

export function forgetVoyage() {
  localStorage.removeItem(VOYAGE_ITEM);
  state.voyage = null;
  state.focus = null;
  if ("caches" in window) caches.open(DATA_CACHE).then((c) => c.delete("/field/voyage")).catch(() => {});
}

export async function loadVoyage() {
  const key = storedKey();
  if (!key) return;
  let response;
  try {
    response = await fetch("/field/voyage", { headers: { "X-API-Key": key }, cache: "no-store" });
  } catch {
    setOnline(false);
    return;
  }
  if (response.ok && response.headers.get("X-Field-Kept")) {
    // the service worker's copy: the network failed
    setOnline(false);
    if (!state.voyage) state.voyage = await response.json();
  } else if (response.ok) {
    state.voyage = await response.json();
    state.fresh = true;
    state.keyProblem = null;
    setOnline(true);
    keepVoyage(state.voyage);
  } else if (response.status === 401) {
    setOnline(true);
    state.keyProblem = "keyRefused";
  } else if (response.status === 403 || response.status === 404) {
    setOnline(true);
    state.keyProblem = "voyageNone";
  } else {
    setOnline(response.status !== 503); // the service worker's answer when nothing is kept
  }
}

// --- what has happened at each stop ---------------------------------------------------------------

const eventTypes = () => (state.voyage && state.voyage.event_types) || [];
export const eventType = (type) => eventTypes().find((e) => e.type === type) || { type, required: [] };
const isNote = (type) => Boolean(eventType(type).note) || type === "delayed";

export function label(type) {
  const e = eventType(type);
  const labels = e.label || e.labels || {};
  return labels[state.lang] || labels.id || type;
}

// This vessel's actions of this plan still standing (not refused).
function ownActions() {
  const v = state.voyage;
  return state.actions.filter(
    (a) => a.state !== "refused" && a.plan_id === v.plan_id && a.body.vessel_id === v.vessel_id,
  );
}

// Everything reported at each stop: the server's events and this phone's actions not yet among
// them (an action is the server's event once one of the same stop, type and time is there).
function reports() {
  const byStop = new Map();
  const add = (stop, item) => {
    if (!byStop.has(stop)) byStop.set(stop, []);
    byStop.get(stop).push(item);
  };
  const seen = new Set();
  for (const e of state.voyage.events || []) {
    seen.add(`${e.stop}/${e.type}/${Date.parse(e.at)}`);
    if (e.idempotency_key) seen.add(e.idempotency_key);
    add(Number(e.stop), { type: e.type, at: e.at, source: "server", details: e.details || e });
  }
  for (const a of ownActions()) {
    if (seen.has(a.idempotency_key) || seen.has(`${a.body.stop}/${a.body.type}/${Date.parse(a.body.at)}`)) continue;
    add(a.body.stop, { type: a.body.type, at: a.body.at, source: a.state, details: a.body });
  }
  for (const list of byStop.values()) list.sort((x, y) => Date.parse(x.at) - Date.parse(y.at));
  return byStop;
}

export function progress() {
  const stops = state.voyage.stops || [];
  const byStop = reports();
  const done = stops.map((_, i) => (byStop.get(i) || []).filter((r) => !isNote(r.type)).map((r) => r.type));
  const complete = (i) => stops[i].steps.length > 0 && stops[i].steps.every((s) => done[i].includes(s));
  const reported = done.map((d, i) => (d.length ? i : -1)).filter((i) => i >= 0);
  const last = reported.length ? Math.max(...reported) : -1;
  let current = -1;
  if (last >= 0 && !complete(last)) current = last;
  else current = stops.findIndex((s, i) => i > last && s.steps.length > 0);
  const next = (i) => stops[i].steps.find((s) => !done[i].includes(s)) || null;
  return { stops, byStop, done, complete, last, current, next };
}

// --- rendering ------------------------------------------------------------------------------------

function applyStatic() {
  translatePage(t, state.lang, ".lang button");
  document.title = state.voyage ? `${state.voyage.vessel_name} · ${t("title")}` : t("title");
}

export function render() {
  applyStatic();
  renderHeader();
  renderNet();
  renderNotice();
  renderStops();
  renderQueue();
}

function renderHeader() {
  const v = state.voyage;
  $("key-box").hidden = Boolean(storedKey()) && !state.keyProblem;
  $("key-why").textContent = t(state.keyProblem || "keyNeeded");
  $("actions-top").hidden = !v;
  if (!v) return;
  $("vessel").textContent = v.vessel_name || v.vessel_id;
  const kind = v.plan_kind && v.plan_kind !== "plan" ? ` (${t(`kind_${v.plan_kind}`)})` : "";
  $("plan").textContent = fill("planLine", { plan: String(v.plan_id).slice(0, 8), scenario: v.scenario || "" }) + kind;
}

// Online: since when the data is the server's, and whether the page opens without signal;
// offline: that reports are kept, and from when the voyage on the phone is (a line each).
export function renderNet() {
  const lines = [];
  if (state.online) {
    const line = [state.fresh && state.savedAt ? fill("onlineSince", { time: wib(state.savedAt) }) : t("online")];
    if (state.offlineReady) line.push(t("offlineReady"));
    lines.push(line.join(" · "));
  } else lines.push(t("offline"));
  if (state.voyage && (!state.online || !state.fresh)) lines.push(fill("savedVoyage", { time: wib(state.savedAt) }));
  $("net").textContent = lines.join("\n");
  document.body.classList.toggle("is-offline", !state.online);
}

export function renderNotice() {
  const box = $("notice");
  const text = state.notice ? state.notice() : !state.voyage && storedKey() && !state.keyProblem ? t("voyageMissing") : "";
  box.hidden = !text;
  box.textContent = text;
}

export function stopTitle(s, i) {
  return `${fill("stopNo", { n: i })} · ${s.name || s.id}`;
}

export function stopFacts(s) {
  const facts = [t(`kind_${s.kind}`)];
  if (s.island_name) facts.push(s.island_name);
  if (s.trip) facts.push(fill("tripNo", { n: s.trip }));
  if (TEXT.id[`access_${s.access}`] && s.kind !== "depot") facts.push(t(`access_${s.access}`));
  return facts.join(" · ");
}

export function manifestList(s) {
  const districts = Object.fromEntries((s.villages || []).map((v) => [v.code, v.district_name]));
  return h(
    "ul",
    { class: "manifest" },
    (s.manifest || []).map((m) =>
      h(
        "li",
        { "data-consignment": m.consignment },
        h("b", {}, named(m.village_name, m.village_code)),
        districts[m.village_code] ? ` · ${fill("districtOf", { name: districts[m.village_code] })}` : "",
        h("br"),
        `${fill("consignment", { id: m.consignment })} · ${fill("tpsN", { n: num(m.tps) })} · ${fill("boxesN", { n: num(m.ballot_boxes) })}`,
      ),
    ),
  );
}

function doneList(p, i) {
  const items = p.byStop.get(i) || [];
  if (!items.length) return null;
  return h(
    "ul",
    { class: "done" },
    items.map((r) =>
      h(
        "li",
        { class: `done-${r.source}`, "data-type": r.type },
        h("span", { class: "tick", "aria-hidden": "true" }, r.source === "pending" ? "○" : "✓"),
        ` ${label(r.type)} · ${wib(r.at)} · `,
        h("span", { class: "source" }, t(`done_${r.source}`)),
        detailText(r.type, r.details) ? h("span", { class: "details" }, ` · ${detailText(r.type, r.details)}`) : null,
      ),
    ),
  );
}

// The receiver as people read it: "Name (Position)" (a report from before positions: the name).
function receiverText(d) {
  return d.receiver_position ? `${d.receiver} (${d.receiver_position})` : d.receiver;
}

export function detailText(type, d) {
  if (!d) return "";
  const bits = [];
  if (type === "handed_over") {
    if (d.boxes !== undefined && d.boxes !== null) bits.push(fill("boxesN", { n: num(d.boxes) }));
    if (d.condition) bits.push(fill("conditionOf", { c: t(`condition_${d.condition}`).toLowerCase() }));
    if (d.receiver) bits.push(fill("receiverOf", { who: receiverText(d) }));
  }
  if (type === "delayed" && d.reason) bits.push(fill("reasonOf", { r: d.reason }));
  return bits.join(" · ");
}

function stopCard(p, i, { actions }) {
  const s = p.stops[i];
  const next = p.next(i);
  const card = h(
    "article",
    { class: `stop card${i === p.current ? " current" : ""}`, "data-stop": i, "data-kind": s.kind, id: `stop-${i}` },
    h("h3", {}, stopTitle(s, i), i === p.current ? h("span", { class: "badge" }, t("current")) : null),
    h("p", { class: "sub" }, stopFacts(s)),
    h("p", { class: "when" }, `${t("plannedArrival")}: `, h("b", { class: "time" }, wib(s.arrival))),
    s.kind === "depot"
      ? h("p", { class: "when" }, `${t("plannedDeparture")}: `, h("b", { class: "time" }, wib(s.departure)))
      : null,
    s.kind !== "start" ? h("p", { class: "cargo" }, fill("cargo", { tps: num(s.tps), boxes: num(s.ballot_boxes) })) : null,
  );
  if (s.kind === "landing" && (s.manifest || []).length) {
    card.append(h("p", { class: "label" }, t("handsOver")), manifestList(s));
    if ((s.manifest || []).length > 1) card.append(h("p", { class: "hint" }, t("oneHandover")));
  }
  const done = doneList(p, i);
  if (done) card.append(done);
  if (p.complete(i)) card.append(h("p", { class: "complete" }, `✓ ${t("complete")}`));
  if (actions && next) card.append(stepButtons(p, i, next));
  return card;
}

function stepButtons(p, i, next) {
  const box = h("div", { class: "steps" });
  if (p.current >= 0 && i > p.current) box.append(h("p", { class: "hint warn" }, t("skipAhead")));
  box.append(
    h("button", { type: "button", class: `big step step-${next}`, "data-step": next, onclick: () => tapStep(i, next) }, label(next)),
  );
  if (eventTypes().some((e) => e.type === "delayed")) {
    box.append(
      h("button", { type: "button", class: "step-note secondary", "data-step": "delayed", onclick: () => tapStep(i, "delayed") }, label("delayed")),
    );
  }
  return box;
}

function compactStop(p, i, { choose }) {
  const s = p.stops[i];
  const done = p.done[i].map((type) => label(type)).join(", ");
  return h(
    "div",
    { class: "stop-line", "data-stop": i },
    h("b", {}, stopTitle(s, i)),
    ` · ${s.island_name || ""} · ${wib(s.arrival)}`,
    done ? h("span", { class: "done-inline" }, ` · ✓ ${done}`) : choose ? "" : h("span", { class: "skipped" }, ` · ${t("skipped")}`),
    choose && s.steps.length
      ? h("button", { type: "button", class: "secondary choose", onclick: () => focusStop(i) }, t("choose"))
      : null,
  );
}

function renderStops() {
  const v = state.voyage;
  $("stops").hidden = !v;
  if (!v) return;
  const p = progress();
  const shown = shownStops(p);
  const list = $("stop-list");
  list.replaceChildren(...shown.map((i) => stopCard(p, i, { actions: true })));
  if (p.current < 0) list.prepend(h("p", { class: "complete" }, t("voyageDone")));
  // the stop reported last, once done, stays in sight with what was reported there
  const lastDone = p.last >= 0 && !shown.includes(p.last) ? p.last : null;
  $("last-box").hidden = lastDone === null;
  $("last-list").replaceChildren(...(lastDone === null ? [] : [stopCard(p, lastDone, { actions: false })]));
  const end = p.current < 0 ? p.stops.length : p.current;
  const later = p.stops.map((_, i) => i).filter((i) => i > end && !shown.includes(i));
  const behind = p.stops.map((_, i) => i).filter((i) => i < end && !shown.includes(i) && i !== lastDone);
  fillDetails("later", later, (i) => compactStop(p, i, { choose: true }), fill("laterStops", { n: later.length }));
  fillDetails("done", behind, (i) => doneStop(p, i), fill("doneStops", { n: behind.length }));
}

function doneStop(p, i) {
  const line = compactStop(p, i, { choose: false });
  const done = doneList(p, i);
  if (done) line.append(done);
  return line;
}

function fillDetails(name, indices, make, title) {
  $(`${name}-box`).hidden = !indices.length;
  $(`${name}-title`).textContent = title;
  $(`${name}-list`).replaceChildren(...indices.map(make));
}

// The current stop and the next ones with steps, and a stop brought forward by a scan.
function shownStops(p) {
  const shown = [];
  if (p.current >= 0) {
    for (let i = p.current; i < p.stops.length && shown.length < NEXT_SHOWN; i++) {
      if (p.stops[i].steps.length) shown.push(i);
    }
  }
  if (state.focus !== null && state.focus > p.last && !shown.includes(state.focus)) shown.push(state.focus);
  return shown.sort((a, b) => a - b);
}

export function focusStop(i) {
  state.focus = i;
  render();
  const card = $(`stop-${i}`);
  if (card) card.scrollIntoView({ block: "start" });
}
