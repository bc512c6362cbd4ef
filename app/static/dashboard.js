// Dashboard: islands, plan routes and live status from the service's own API. No CDN, no tiles.
"use strict";

const POLL_MS = Number(new URLSearchParams(location.search).get("poll_ms")) || 3000;
const WIB = new Intl.DateTimeFormat("id-ID", {
  timeZone: "Asia/Jakarta", day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit",
});
const TEXT = {
  id: {
    title: "Distribusi logistik pemilu ke kepulauan Sumenep", key: "Kunci API", plan: "Rencana",
    start: "Buat rencana", heard: "Terakhir terhubung", offline: "Server tidak dapat dihubungi",
    planned: "direncanakan", underway: "dalam perjalanan", delivered: "diterima", risk: "terlambat / berisiko",
    districts: "Kecamatan", district: "Kecamatan", tps: "TPS diterima", eta: "Perkiraan tiba",
    deadline: "Batas waktu", status: "Status", vessels: "Kapal", vessel: "Kapal", where: "Posisi",
    state: "Keadaan", timeline: "Jadwal (WIB)", ok: "aman", atrisk: "berisiko", finished: "selesai",
    loading: "memuat", sailing: "berlayar", waiting: "menunggu siang", unloading: "bongkar",
    deadlines: "batas waktu kecamatan", weather_hold: "tertahan cuaca", waves: "gelombang",
    ignored: "laporan diabaikan",
  },
  en: {
    title: "Election logistics to the Sumenep islands", key: "API key", plan: "Plan",
    start: "Start plan", heard: "Last heard", offline: "Cannot reach the server",
    planned: "planned", underway: "under way", delivered: "delivered", risk: "late / at risk",
    districts: "Districts", district: "District", tps: "TPS delivered", eta: "ETA",
    deadline: "Deadline", status: "Status", vessels: "Vessels", vessel: "Vessel", where: "Where",
    state: "State", timeline: "Timeline (WIB)", ok: "on track", atrisk: "at risk", finished: "finished",
    loading: "loading", sailing: "sailing", waiting: "waiting for daylight", unloading: "unloading",
    deadlines: "district deadlines", weather_hold: "weather hold", waves: "waves",
    ignored: "reports ignored",
  },
};
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"];
const SVGNS = "http://www.w3.org/2000/svg";
const state = {
  lang: localStorage.getItem("ballotLang") || "id", plan: null, etag: null, status: null, stops: [], districtNames: {},
  eventLabels: {},  // event type -> {id, en}, from GET /event-types (the field log's own labels)
};
const $ = (id) => document.getElementById(id);
const t = (k) => TEXT[state.lang][k] || k;
// A stop's or voyage's state as people read it: the field log's label of its last event.
const stateLabel = (st) => (state.eventLabels[st] ? state.eventLabels[st][state.lang] : t(st));
const wib = (iso) => (iso ? WIB.format(new Date(iso)) + " WIB" : "-");

function headers(extra = {}) {
  const key = localStorage.getItem("ballotKey") || "";
  return key ? { "X-API-Key": key, ...extra } : extra;
}

async function api(path, opts = {}) {
  const r = await fetch(path, { ...opts, headers: headers(opts.headers || {}) });
  if (r.status === 304) return { status: 304 };
  const type = r.headers.get("content-type") || "";
  const body = type.includes("json") ? await r.json() : await r.text();
  if (!r.ok) throw Object.assign(new Error(body.detail || r.statusText), { status: r.status });
  return { status: r.status, body, etag: r.headers.get("ETag"), location: r.headers.get("Location") };
}

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVGNS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

// Equirectangular projection over the archipelago, scaled by cos(latitude).
const BOX = { w: 113.2, e: 116.6, s: -7.6, n: -5.0 };
const KX = Math.cos((-6.3 * Math.PI) / 180) * 1000;
const KY = 1000;
const px = ([lon, lat]) => `${((lon - BOX.w) * KX).toFixed(1)},${((BOX.n - lat) * KY).toFixed(1)}`;
const ring = (coords) => "M" + coords.map(px).join("L") + "Z";

function pathOf(geometry) {
  if (geometry.type === "Polygon") return geometry.coordinates.map(ring).join("");
  if (geometry.type === "MultiPolygon") return geometry.coordinates.flat().map(ring).join("");
  if (geometry.type === "Point") {  // an islet known only as a gazetteer point: a small disc
    const [lon, lat] = geometry.coordinates;
    const r = 0.004;
    const pts = [...Array(12).keys()].map((i) => [lon + r * Math.cos(i * Math.PI / 6), lat + r * Math.sin(i * Math.PI / 6)]);
    return ring(pts);
  }
  return "";
}

async function drawIslands() {
  const map = $("map");
  map.setAttribute("viewBox", `0 0 ${((BOX.e - BOX.w) * KX).toFixed(0)} ${((BOX.n - BOX.s) * KY).toFixed(0)}`);
  el("g", { id: "areas" }, map);  // sea areas with a wave forecast, under the islands
  const g = el("g", { id: "islands" }, map);
  const { body } = await api("/islands");
  for (const f of body.features) {
    const p = el("path", { d: pathOf(f.geometry), class: "island", "data-code": f.properties.code }, g);
    el("title", {}, p).textContent = `${f.properties.name} (${f.properties.code})`;
  }
  el("g", { id: "legs" }, map);
  const places = el("g", { id: "places" }, map);
  const depots = await api("/depots");
  for (const f of depots.body.features) {
    const [x, y] = px(f.geometry.coordinates).split(",");
    el("rect", { x: x - 4, y: y - 4, width: 8, height: 8, class: "depot" }, places);
  }
  el("g", { id: "stops" }, map);
}

function stopClass(key, stop) {
  const s = state.status;
  const st = s && s.stop_states ? s.stop_states[key] : undefined;
  if (st === "handed_over" || (stop.kind === "landing" && st === "departed")) return "delivered";
  const districts = new Set(stop.manifest.map((m) => m.village_code.slice(0, 8)));
  const risky = s && s.districts && s.districts.some((d) => districts.has(d.district_code) && d.at_risk);
  if (risky) return "risk";
  if (st) return "underway";
  return "planned";
}

function drawAreas(plan) {
  // Sea areas that the plan's forecast closes to some vessels, with the forecasts as a tooltip.
  const g = $("areas");
  g.replaceChildren();
  const areas = (plan.weather && plan.weather.sea_areas && plan.weather.sea_areas.features) || [];
  for (const f of areas.filter((a) => a.properties.forecast.length)) {
    const p = el("path", { d: pathOf(f.geometry), class: "area-closed", "data-area": f.properties.id }, g);
    const lines = f.properties.forecast.map((w) => `${t("waves")} ${w.wave_m} m: ${wib(w.start)} – ${wib(w.end)}`);
    el("title", {}, p).textContent = [f.properties.name, ...lines].join("\n");
  }
}

function drawPlan(plan, geo) {
  const legs = $("legs");
  const stops = $("stops");
  legs.replaceChildren();
  stops.replaceChildren();
  drawAreas(plan);
  const colour = {};
  plan.voyages.forEach((v, i) => { colour[v.vessel_id] = PALETTE[i % PALETTE.length]; });
  for (const f of geo.features.filter((x) => x.properties.kind === "leg")) {
    const d = "M" + f.geometry.coordinates.map(px).join("L");
    const p = el("path", { d, class: "leg", stroke: colour[f.properties.vessel_id],
      "data-vessel": f.properties.vessel_id, "data-leg": f.properties.leg }, legs);
    el("title", {}, p).textContent = `${f.properties.vessel_id}: ${f.properties.from} → ${f.properties.to}`;
  }
  state.stops = [];
  const byId = {};
  for (const f of geo.features.filter((x) => x.properties.kind === "stop")) byId[f.properties.id] = f.geometry.coordinates;
  plan.voyages.forEach((v) => v.stops.forEach((s, i) => {
    if (s.kind !== "landing") return;
    const [x, y] = px(byId[s.id]).split(",");
    const key = `${v.vessel_id}/${i}`;
    const c = el("circle", { cx: x, cy: y, r: 9, class: "stop planned", "data-key": key }, stops);
    c.addEventListener("mouseenter", (ev) => showTip(ev, v, s));
    c.addEventListener("click", (ev) => showTip(ev, v, s));
    c.addEventListener("mouseleave", () => { $("tip").hidden = true; });
    state.stops.push({ key, node: c, stop: s });
  }));
  recolour();
}

function showTip(ev, v, s) {
  const tip = $("tip");
  const rows = s.manifest.map((m) => `${m.village_code}: ${m.tps} TPS, ${m.ballot_boxes} kotak, ${m.weight_kg} kg, ${m.volume_m3} m³`);
  tip.innerHTML = `<b>${v.vessel_id}</b> → ${s.id}<br>${wib(s.work_start)} – ${wib(s.work_end)}<br>` +
    rows.map((r) => r.replace(/[<>&]/g, "")).join("<br>");
  const box = $("map").getBoundingClientRect();
  tip.style.left = `${ev.clientX - box.left + 12}px`;
  tip.style.top = `${ev.clientY - box.top + 12}px`;
  tip.hidden = false;
}

function recolour() {
  for (const { key, node, stop } of state.stops) {
    node.setAttribute("class", `stop ${stopClass(key, stop)}`);
  }
}

function drawBoard() {
  const s = state.status;
  if (!s || !s.districts) return;
  const body = $("districts").tBodies[0];
  body.replaceChildren();
  for (const d of s.districts) {
    const tr = body.insertRow();
    tr.dataset.district = d.district_code;
    if (d.at_risk) tr.className = "at-risk";
    const name = state.districtNames[d.district_code] || d.district_code;
    for (const text of [name, `${d.tps_delivered} / ${d.tps_total}`, wib(d.eta), wib(d.deadline),
      d.at_risk ? t("atrisk") : t("ok")]) tr.insertCell().textContent = text;
    tr.cells[1].className = "tps";
  }
  const vb = $("voyages").tBodies[0];
  vb.replaceChildren();
  for (const v of s.voyages) {
    const tr = vb.insertRow();
    for (const text of [v.vessel_id, v.current_place || t("finished"), stateLabel(v.current_state)]) tr.insertCell().textContent = text;
    if (v.warnings && v.warnings.length) {  // stored events the status had to leave out
      const warn = document.createElement("span");
      warn.className = "warning";
      warn.textContent = ` \u26a0 ${v.warnings.length} ${t("ignored")}`;
      warn.title = v.warnings.map((w) => w.message).join("\n");
      tr.cells[2].append(warn);
    }
  }
}

function drawTimeline(plan, rows) {
  const svg = $("timeline");
  svg.replaceChildren();
  const start = Date.parse(plan.planning_start);
  const ends = rows.map((r) => Date.parse(r.end));
  const deadlines = plan.kpis.districts.map((d) => Date.parse(d.deadline));
  const end = Math.max(...ends, ...deadlines);
  const vessels = [...new Set(rows.map((r) => r.vessel_id))];
  const W = 1200, left = 170, rowH = 22;
  const H = 30 + vessels.length * rowH;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const x = (ms) => left + ((ms - start) / (end - start)) * (W - left - 10);
  for (let day = start; day <= end; day += 86400000) {
    el("line", { x1: x(day), x2: x(day), y1: 14, y2: H, stroke: "#d5d8dc" }, svg);
    el("text", { x: x(day) + 2, y: 11, "font-size": 10 }, svg).textContent = WIB.format(new Date(day)).split(",")[0];
  }
  vessels.forEach((v, i) => {
    el("text", { x: 4, y: 30 + i * rowH, "font-size": 11 }, svg).textContent = v;
    for (const r of rows.filter((q) => q.vessel_id === v)) {
      const a = x(Date.parse(r.start)), b = x(Date.parse(r.end));
      const bar = el("rect", { x: a, y: 18 + i * rowH, width: Math.max(1, b - a), height: 14, class: `bar-${r.activity}` }, svg);
      el("title", {}, bar).textContent = `${t(r.activity)} ${r.where} ${wib(r.start)} – ${wib(r.end)} ${r.note || ""}`;
    }
  });
  for (const d of plan.kpis.districts) {
    const l = el("line", { x1: x(Date.parse(d.deadline)), x2: x(Date.parse(d.deadline)), y1: 14, y2: H, class: "deadline-line" }, svg);
    el("title", {}, l).textContent = `${d.district_code}: ${wib(d.deadline)}`;
  }
}

async function poll() {
  if (!state.plan) return;
  try {
    const r = await api(`/plans/${state.plan.id}/status`, { headers: state.etag ? { "If-None-Match": state.etag } : {} });
    if (r.status !== 304) {
      state.status = r.body;
      state.etag = r.etag;
      drawBoard();
      recolour();
    }
    $("heard").textContent = WIB.format(new Date()) + " WIB";
    $("offline").hidden = true;
  } catch (e) {
    $("offline").hidden = false;
  }
}

async function openPlan(id) {
  const { body } = await api(`/plans/${id}`);
  if (!body.result) return;
  const plan = body.result.plan || body.result;
  state.plan = { id, ...plan };
  state.etag = null;
  const [geo, timeline] = await Promise.all([api(`/plans/${id}/geojson`), api(`/plans/${id}/timeline`)]);
  drawPlan(plan, geo.body);
  drawTimeline(plan, timeline.body.rows);
  await poll();
}

async function listPlans(selectId) {
  const { body } = await api("/plans?limit=100");
  const sel = $("plans");
  sel.replaceChildren();
  for (const p of body.plans) {
    const o = document.createElement("option");
    o.value = p.id;
    o.textContent = `${p.scenario} · ${p.phase} · ${p.id.slice(0, 8)}`;
    sel.appendChild(o);
  }
  const done = body.plans.find((p) => p.id === selectId) || body.plans.find((p) => p.kpis);
  if (done) { sel.value = done.id; await openPlan(done.id); }
}

async function startPlan() {
  const seconds = Number($("seconds").value) || 30;
  try {
    const r = await api("/plans", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ bundled: $("scenarios").value, seconds, wait: 0 }) });
    const id = r.body.id;
    const timer = setInterval(async () => {
      const p = await api(`/plans/${id}`);
      if (!["queued", "building_matrix", "solving"].includes(p.body.phase)) { clearInterval(timer); await listPlans(id); }
    }, 2000);
  } catch (e) {
    alert(e.message);
  }
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  $("lang").textContent = state.lang === "id" ? "EN" : "ID";
  drawBoard();
}

async function main() {
  $("key").value = localStorage.getItem("ballotKey") || "";
  $("key").addEventListener("change", () => { localStorage.setItem("ballotKey", $("key").value.trim()); location.reload(); });
  $("lang").addEventListener("click", () => {
    state.lang = state.lang === "id" ? "en" : "id";
    localStorage.setItem("ballotLang", state.lang);
    applyLanguage();
  });
  $("plans").addEventListener("change", () => openPlan($("plans").value));
  $("start").addEventListener("click", startPlan);
  applyLanguage();
  try {
    await drawIslands();
    for (const e of (await api("/event-types")).body) state.eventLabels[e.type] = e.labels;
    const villages = await api("/villages?sea=true");
    for (const v of villages.body.villages) state.districtNames[v.district_code] = v.district;
    const sc = await api("/scenarios");
    for (const name of sc.body.bundled) {
      const o = document.createElement("option");
      o.value = o.textContent = name;
      $("scenarios").appendChild(o);
    }
    await listPlans(new URLSearchParams(location.search).get("plan"));
  } catch (e) {
    $("offline").hidden = false;
    $("offline").textContent = e.status === 401 ? t("key") + "?" : t("offline");
  }
  setInterval(poll, POLL_MS);
  document.body.dataset.ready = "true";
}

main();
