// Dashboard: islands, plan routes and live status from the service's own API. No CDN, no tiles.
import { api as apiWithKey, storedKey as keptKey } from "./shared/api.js";
import { $, html, svg as el, translatePage } from "./shared/dom.js";
import { keepLang, named, storedLang, translator, wordsOf } from "./shared/text.js";
import { clock as clockIn, day as dayIn, wib as wibIn } from "./shared/time.js";
import { drawChart } from "./dashboard/histogram.js";
import { latAt, metresPerUnit, pathOf, project, px } from "./dashboard/projection.js";

const PARAMS = new URLSearchParams(location.search);
const POLL_MS = Number(PARAMS.get("poll_ms")) || 3000;
// The status comes by the server's stream (SSE) where it can; polling takes over when the stream
// fails (an answer other than 200, a network error, or nothing heard for STREAM_IDLE_MS: the
// server sends a keep-alive every 15 s), and the stream is tried again after STREAM_RETRY_MS.
const STREAM_IDLE_MS = Number(PARAMS.get("stream_idle_ms")) || 40000;
const STREAM_RETRY_MS = Number(PARAMS.get("stream_retry_ms")) || 30000;
// A risk run (Monte Carlo of the open plan): how many runs the button asks for, and how often
// the page reads the run's progress until it completes or fails.
const RISK_RUNS = Number(PARAMS.get("risk_runs")) || 1000;
const RISK_POLL_MS = Number(PARAMS.get("risk_poll_ms")) || 1000;
// Everything people read, in both languages; "{name}" marks a value filled in at run time. The
// reason codes' labels and the words shared with the field page come from the text catalogue.
const TEXT = wordsOf({
  id: {
    title: "Distribusi logistik pemilu ke kepulauan Sumenep", key: "Kunci API",
    keyNeeded: "Masukkan kunci API untuk membuka peta dan rencana.",
    keyRefused: "Kunci API ditolak: tidak dikenal, sudah dicabut atau kedaluwarsa.",
    plan: "Rencana", noPlans: "belum ada rencana", scenario: "Skenario", seconds: "Waktu hitung (detik)",
    start: "Buat rencana", startFailed: "Rencana tidak dapat dibuat", startForbidden: "kunci ini bukan kunci perencana",
    solvingNew: "Rencana baru sedang dihitung…", noResult: "Rencana ini belum punya hasil ({phase}).",
    heard: "Terakhir terhubung", offline: "Server tidak dapat dihubungi",
    live: "langsung", liveNote: "Server mengirim setiap perubahan saat terjadi",
    polling: "memeriksa tiap {s} dtk", pollingNote: "Siaran langsung tidak tersedia: halaman menanyakan status berkala",
    kind_plan: "rencana",
    replanOf: "rencana ulang dari {id}",
    phase_queued: "antre", phase_building_matrix: "menyusun matriks jarak", phase_solving: "sedang dihitung",
    phase_completed: "selesai", phase_infeasible: "tidak semua terlayani", phase_failed: "gagal",
    phase_cancelled: "dibatalkan",
    map: "Peta kepulauan Sumenep", mapHelp: "Gulir atau tombol + dan − untuk memperbesar, seret untuk menggeser.",
    zoom: "Perbesaran peta", zoomIn: "Perbesar", zoomOut: "Perkecil", zoomReset: "Tampilkan seluruh peta",
    scale: "Skala", nmi: "mil laut",
    scaleNote: "Skala mendatar pada {lat}° LS (tengah tampilan). Proyeksi ekuirektangular: jarak di tampilan ini menyimpang paling banyak {err}%.",
    mainland: "Madura (daratan)", islandDistricts: "Kecamatan: {names}", depot: "Depo",
    landings: "Pendaratan", planned: "direncanakan", underway: "dalam perjalanan", delivered: "diterima",
    risk: "terlambat / berisiko",
    districts: "Kecamatan", tps: "TPS diterima", eta: "Perkiraan tiba",
    deadline: "Batas waktu", status: "Status", ok: "aman", atrisk: "berisiko",
    vessels: "Kapal", where: "Posisi", state: "Keadaan",
    state_planned: "Direncanakan", state_finished: "Selesai",
    trip: "perjalanan {n}", trips: "{n} perjalanan", trips1: "1 perjalanan",
    late: "terlambat {h}", hours: "{n} jam",
    ignored: "laporan diabaikan", ignoredOne: "Laporan {id} diabaikan: melanggar urutan atau waktu laporan",
    timeline: "Jadwal (WIB)", loading: "memuat", sailing: "berlayar", waiting: "menunggu siang",
    unloading: "bongkar", weather_hold: "tertahan cuaca", deadlines: "batas waktu kecamatan",
    note_daylight: "menunggu siang", note_berth: "sandar di dermaga", note_tender: "dengan perahu kecil",
    note_depot: "di depo",
    waves: "gelombang", boxes: "{n} kotak", arrives: "Tiba", handover: "Serah terima",
    handovers: "Serah terima tercatat", landing: "Pendaratan", receiver: "Penerima",
    recordedBy: "Dicatat oleh", happened: "Waktu kejadian", reached: "Sampai di server",
    keyOf: "kunci {id}", handoverOf: "{boxes}, kondisi {condition}",
    cond_good: "baik", cond_damaged: "rusak",
    unassigned: "Desa belum terlayani",
    onTime: "Peluang tepat waktu", byH5: "Sampai H-5",
    onTimeNote: "Peluang semua desa di kecamatan menerima logistik sebelum batas waktunya, dari simulasi cuaca, kecepatan dan kerusakan kapal",
    byH5Note: "Peluang semua desa di kecamatan menerima logistik sampai akhir H-5 (lima hari sebelum hari pemungutan suara)",
    levelLow: "rendah", levelMid: "sedang",
    riskCell: "Tepat waktu pada {p} dari {runs} simulasi; sampai H-5 ({h5}): {byh5}. Klik untuk histogram waktu selesai.",
    riskStart: "Hitung risiko", riskStartNote: "Simulasikan rencana ini {runs} kali (perlu kunci perencana)",
    riskQueued: "{runs} simulasi: menunggu giliran", riskProgress: "{runs} simulasi: {done} selesai",
    riskDone: "Risiko dihitung {time}: {runs} simulasi; semua kecamatan tepat waktu {p}",
    riskForbidden: "Perlu kunci perencana untuk menghitung risiko.",
    riskFailed: "Perhitungan risiko gagal: {why}",
    riskErr_not_finished: "rencana belum selesai dihitung", riskErr_capacity_plan: "rencana kapasitas tidak punya pelayaran untuk disimulasikan",
    riskErr_replan: "rencana ulang dimulai di tengah jalan; simulasikan rencana asalnya",
    riskErr_internal_error: "simulasi gagal", riskCancelled: "Perhitungan risiko dibatalkan.",
    riskErr_too_many_risk_runs_of_plan: "rencana ini sudah punya perhitungan risiko yang antre atau berjalan",
    riskErr_too_many_risk_runs: "terlalu banyak perhitungan risiko antre atau berjalan; coba lagi nanti",
    histTitle: "Waktu selesai {district}",
    histAria: "Histogram waktu selesai {district} terhadap batas waktu {deadline} dari {runs} simulasi: {ontime} tepat waktu ({p}), {late} terlambat, {none} tidak terkirim",
    histX: "Jam terhadap batas waktu", histY: "Simulasi", histDeadline: "batas waktu",
    histBefore: "lebih awal", histAfter: "lebih lambat", histNone: "tidak terkirim",
    histOnTime: "tepat waktu", histLate: "terlambat",
    barBin: "{from} s.d. {to} jam: {n} simulasi ({p})",
    barBefore: "lebih dari {h} jam sebelum batas waktu: {n} simulasi ({p})",
    barAfter: "lebih dari {h} jam setelah batas waktu: {n} simulasi ({p})",
    barNone: "tidak terkirim: {n} simulasi ({p})",
    percentiles: "Selesai: median {p50}, persentil ke-90 {p90}, ke-95 {p95}",
    lateStops: "Persinggahan paling sering terlambat", lateStop: "{vessel} → {landing}: terlambat pada {p} simulasi",
    noLateStops: "Tidak ada persinggahan yang terlambat dalam simulasi.",
  },
  en: {
    title: "Election logistics to the Sumenep islands", key: "API key",
    keyNeeded: "Enter an API key to open the map and the plans.",
    keyRefused: "The API key was refused: unknown, revoked or expired.",
    plan: "Plan", noPlans: "no plans yet", scenario: "Scenario", seconds: "Solving time (seconds)",
    start: "Start plan", startFailed: "The plan could not be started", startForbidden: "this is not a planner key",
    solvingNew: "Solving the new plan…", noResult: "This plan has no result yet ({phase}).",
    heard: "Last heard", offline: "Cannot reach the server",
    live: "live", liveNote: "The server sends each change as it happens",
    polling: "polling every {s} s", pollingNote: "The live stream is unavailable: the page asks for the status at intervals",
    kind_plan: "plan",
    replanOf: "re-plan of {id}",
    phase_queued: "queued", phase_building_matrix: "building the distance matrix", phase_solving: "solving",
    phase_completed: "completed", phase_infeasible: "not all served", phase_failed: "failed",
    phase_cancelled: "cancelled",
    map: "Map of the Sumenep islands", mapHelp: "Scroll or use the + and − buttons to zoom, drag to pan.",
    zoom: "Map zoom", zoomIn: "Zoom in", zoomOut: "Zoom out", zoomReset: "Show the whole map",
    scale: "Scale", nmi: "nmi",
    scaleNote: "Horizontal scale at {lat}° S (centre of the view). Equirectangular projection: distances in this view are off by at most {err}%.",
    mainland: "Madura (mainland)", islandDistricts: "Districts: {names}", depot: "Depot",
    landings: "Landings", planned: "planned", underway: "under way", delivered: "delivered",
    risk: "late / at risk",
    districts: "Districts", tps: "TPS delivered", eta: "ETA",
    deadline: "Deadline", status: "Status", ok: "on track", atrisk: "at risk",
    vessels: "Vessels", where: "Where", state: "State",
    state_planned: "Planned", state_finished: "Finished",
    trip: "trip {n}", trips: "{n} trips", trips1: "1 trip",
    late: "{h} late", hours: "{n} h",
    ignored: "reports ignored", ignoredOne: "Report {id} ignored: it breaks the order or timing of the reports",
    timeline: "Timeline (WIB)", loading: "loading", sailing: "sailing", waiting: "waiting for daylight",
    unloading: "unloading", weather_hold: "weather hold", deadlines: "district deadlines",
    note_daylight: "waiting for daylight", note_berth: "alongside a pier", note_tender: "by small boat",
    note_depot: "at the depot",
    waves: "waves", boxes: "{n} boxes", arrives: "Arrives", handover: "Handover",
    handovers: "Recorded handovers", landing: "Landing", receiver: "Receiver",
    recordedBy: "Recorded by", happened: "Happened", reached: "Reached the service",
    keyOf: "key {id}", handoverOf: "{boxes}, condition {condition}",
    cond_good: "good", cond_damaged: "damaged",
    unassigned: "Villages not served",
    onTime: "Chance on time", byH5: "By H-5",
    onTimeNote: "Chance that every village of the district is served by its deadline, over runs that sample the weather, speeds and breakdowns",
    byH5Note: "Chance that every village of the district is served by the end of H-5 (five days before polling day)",
    levelLow: "low", levelMid: "moderate",
    riskCell: "On time in {p} of {runs} runs; by H-5 ({h5}): {byh5}. Click for the histogram of completion times.",
    riskStart: "Compute risk", riskStartNote: "Simulate this plan {runs} times (needs a planner key)",
    riskQueued: "{runs} runs: queued", riskProgress: "{done} of {runs} runs",
    riskDone: "Risk computed {time}: {runs} runs; every district on time {p}",
    riskForbidden: "A planner key is needed to compute the risk.",
    riskFailed: "The risk computation failed: {why}",
    riskErr_not_finished: "the plan is not finished", riskErr_capacity_plan: "a capacity plan has no voyages to simulate",
    riskErr_replan: "a re-plan starts under way; simulate the plan it continues",
    riskErr_internal_error: "the simulation failed", riskCancelled: "The risk computation was cancelled.",
    riskErr_too_many_risk_runs_of_plan: "this plan already has risk computations queued or running",
    riskErr_too_many_risk_runs: "too many risk computations are queued or running; try again later",
    histTitle: "Completion time, {district}",
    histAria: "Histogram of completion times, {district}, against the deadline {deadline} over {runs} runs: {ontime} on time ({p}), {late} late, {none} not delivered",
    histX: "Hours from the deadline", histY: "Runs", histDeadline: "deadline",
    histBefore: "earlier", histAfter: "later", histNone: "not delivered",
    histOnTime: "on time", histLate: "late",
    barBin: "{from} to {to} h: {n} runs ({p})",
    barBefore: "more than {h} h before the deadline: {n} runs ({p})",
    barAfter: "more than {h} h after the deadline: {n} runs ({p})",
    barNone: "not delivered: {n} runs ({p})",
    percentiles: "Completion: median {p50}, 90th percentile {p90}, 95th {p95}",
    lateStops: "Stops most often late", lateStop: "{vessel} → {landing}: late in {p} of runs",
    noLateStops: "No stop was late in any run.",
  },
});
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"];
const ACTIVE = ["queued", "building_matrix", "solving"];
const state = {
  lang: storedLang(),
  plan: null, geo: null, timeline: null, listing: [], etag: null, status: null, stops: [], labels: [],
  version: null,  // the status's version: its ETag's value, the stream's event id
  path: null, stream: null, lastEventId: null, retry: null,  // "stream" or "poll"; the open stream
  events: [],  // the plan's field events (GET /plans/{id}/events), read again when the status moves
  districtNames: {}, eventLabels: {},  // event type -> {id, en}, from GET /event-types
  home: null, view: null, villages: [], islands: [], depots: [],
  islandBoxes: [], legLines: [],  // in map units: the islands' boxes, the plan's routes (for the labels)
  heardAt: null,  // when the server last answered (ISO), redrawn in the chosen language
  // The open plan's risk: its latest completed run (with the report), the run being followed, the
  // last refusal or failure ({key, why}) and the district whose histogram is open.
  risk: { planId: null, report: null, active: null, problem: null, district: null },
};
const { t, fill, num } = translator(TEXT, () => state.lang, 1);
const tripOf = (n) => (n === 1 ? t("trips1") : fill("trips", { n }));

// --- local time (WIB) ---------------------------------------------------------------------------

const wib = (iso) => wibIn(iso, state.lang);
const clock = (iso) => clockIn(iso, state.lang);

// --- the API --------------------------------------------------------------------------------------

const storedKey = () => keptKey("ballotKey");
const api = (path, opts = {}) => apiWithKey(path, storedKey(), opts);

function notice(text) {
  $("notice").textContent = text || "";
  $("notice").hidden = !text;
}

// --- pan and zoom on the map's viewBox ------------------------------------------------------------

const MIN_ZOOM = 1, MAX_ZOOM = 64;
const SCALE_PX = 44;  // the scale's height over the map's bottom, and its margin
const zoomOf = () => state.home.w / state.view.w;
const unitsPerPx = () => state.view.w / Math.max(1, $("map").clientWidth);

// The view that shows `bounds` whole, clear of the help drawn over the map's top and of the scale over its
// bottom (the islands lie in the south: under the scale they would be hidden).
function fitView(bounds) {
  const map = $("map");
  const W = Math.max(1, map.clientWidth), H = Math.max(1, map.clientHeight);
  const frame = map.getBoundingClientRect();
  const help = $("map-help").getBoundingClientRect();
  const top = Math.min(H / 4, help.height ? help.bottom - frame.top + 2 : 0);
  const bottom = Math.min(H / 4, SCALE_PX);
  const [x0, y0, x1, y1] = bounds;
  const k = Math.max((x1 - x0) / W, (y1 - y0) / Math.max(1, H - top - bottom));  // map units per pixel
  const w = W * k, h = H * k;
  const slack = (H - top - bottom) * k - (y1 - y0);  // left over between the help and the scale
  return { x: (x0 + x1 - w) / 2, y: y0 - (top * k + slack / 2), w, h };
}

function setView(view) {
  const home = state.home;
  const w = Math.min(home.w / MIN_ZOOM, Math.max(home.w / MAX_ZOOM, view.w));
  const h = (w * home.h) / home.w;
  const cx = Math.min(home.x + home.w, Math.max(home.x, view.x + view.w / 2));
  const cy = Math.min(home.y + home.h, Math.max(home.y, view.y + view.h / 2));
  state.view = { x: cx - w / 2, y: cy - h / 2, w, h };
  const v = state.view;
  $("map").setAttribute("viewBox", `${v.x.toFixed(1)} ${v.y.toFixed(1)} ${v.w.toFixed(1)} ${v.h.toFixed(1)}`);
  scheduleRedraw();
}

let redrawPending = false;
function scheduleRedraw() {
  if (redrawPending) return;
  redrawPending = true;
  requestAnimationFrame(() => {
    redrawPending = false;
    sizeMarkers();
    placeLabels();
    drawScale();
  });
}

// Zoom by a factor around a point of the map given in screen pixels (the centre by default).
function zoomBy(factor, clientX, clientY) {
  if (!state.view) return;  // no map yet (no key)
  const box = $("map").getBoundingClientRect();
  const fx = clientX === undefined ? 0.5 : (clientX - box.left) / box.width;
  const fy = clientY === undefined ? 0.5 : (clientY - box.top) / box.height;
  const v = state.view;
  const ux = v.x + fx * v.w, uy = v.y + fy * v.h;
  const w = v.w / factor, h = v.h / factor;
  setView({ x: ux - fx * w, y: uy - fy * h, w, h });
}

// Where the islands and the plan's landings are, in map units: what the zoom buttons zoom towards.
function landmarks() {
  const points = state.labels.filter((l) => l.island !== null).map((l) => l.at);
  for (const { node } of state.stops) points.push([Number(node.getAttribute("cx")), Number(node.getAttribute("cy"))]);
  return points;
}

// Zoom in (factor > 1) by the buttons or keys: towards the islands and landings on screen. The new view's
// middle is a point of the view on screen, chosen so that it shows the most of them clear of the help and the
// scale drawn over the map, and has them nearest its middle; so "+" never dives into open sea while the view
// holds land. Zooming out keeps the middle.
function zoomStep(factor) {
  if (!state.view) return;
  if (factor <= 1) { zoomBy(factor); return; }
  const v = state.view;
  const w = v.w / factor, h = v.h / factor;
  const k = w / Math.max(1, $("map").clientWidth);  // map units per pixel once zoomed
  const frame = $("map").getBoundingClientRect(), help = $("map-help").getBoundingClientRect();
  const top = (help.height ? help.bottom - frame.top : 0) * k, bottom = SCALE_PX * k;
  const points = landmarks().filter(([x, y]) => x >= v.x && x <= v.x + v.w && y >= v.y && y <= v.y + v.h);
  const mid = [v.x + v.w / 2, v.y + v.h / 2];
  let best = { count: -1, d: Infinity, at: mid };
  const n = 12;
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= n; j++) {
      const cx = v.x + (v.w * i) / n, cy = v.y + (v.h * j) / n;  // its middle anywhere on screen
      let count = 0, sx = 0, sy = 0;
      for (const [x, y] of points) {
        if (Math.abs(x - cx) <= w / 2 && y >= cy - h / 2 + top && y <= cy + h / 2 - bottom) { count++; sx += x; sy += y; }
      }
      // Of the views that show as many, the one that has them nearest its (clear) middle.
      const d = count ? Math.hypot(cx - sx / count, cy + (bottom - top) / 2 - sy / count) : Math.hypot(cx - mid[0], cy - mid[1]);
      if (count > best.count || (count === best.count && d < best.d)) best = { count, d, at: [cx, cy] };
    }
  }
  setView({ x: best.at[0] - w / 2, y: best.at[1] - h / 2, w, h });
}

function panBy(dxPx, dyPx) {
  if (!state.view) return;
  const k = unitsPerPx();
  const v = state.view;
  setView({ ...v, x: v.x - dxPx * k, y: v.y - dyPx * k });
}

// The whole map: its home view, worked out again only when the map's size has changed.
function resetView() {
  if (!state.bounds) return;
  const size = `${$("map").clientWidth}x${$("map").clientHeight}`;
  if (!state.home || state.homeSize !== size) state.home = fitView(state.bounds);
  state.homeSize = size;
  setView(state.home);
}

function bindPanZoom() {
  const map = $("map");
  map.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    zoomBy(Math.exp(-ev.deltaY * 0.002), ev.clientX, ev.clientY);
  }, { passive: false });
  let drag = null;
  map.addEventListener("pointerdown", (ev) => {
    if (ev.button === 0) drag = { x: ev.clientX, y: ev.clientY, id: ev.pointerId, moved: false };
  });
  map.addEventListener("pointermove", (ev) => {
    if (!drag || ev.pointerId !== drag.id) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) { drag.moved = true; map.setPointerCapture(ev.pointerId); map.classList.add("dragging"); }
    drag.x = ev.clientX;
    drag.y = ev.clientY;
    panBy(dx, dy);
  });
  const end = () => { state.dragged = drag && drag.moved; drag = null; map.classList.remove("dragging"); };
  map.addEventListener("pointerup", end);
  map.addEventListener("pointercancel", end);
  map.addEventListener("keydown", (ev) => {
    const keys = { "+": () => zoomStep(1.5), "=": () => zoomStep(1.5), "-": () => zoomStep(1 / 1.5), "0": resetView,
      ArrowLeft: () => panBy(60, 0), ArrowRight: () => panBy(-60, 0), ArrowUp: () => panBy(0, 60), ArrowDown: () => panBy(0, -60) };
    if (keys[ev.key]) { ev.preventDefault(); keys[ev.key](); }
  });
  $("zoom-in").addEventListener("click", () => zoomStep(1.5));
  $("zoom-out").addEventListener("click", () => zoomStep(1 / 1.5));
  $("zoom-reset").addEventListener("click", resetView);
  $("timeline-box").addEventListener("scroll", stickNames, { passive: true });
  window.addEventListener("resize", () => {
    // The timeline is drawn at its box's width: again when that changes.
    if (state.plan && state.timeline && $("timeline-box").clientWidth !== state.timelineWidth) {
      drawTimeline(state.plan, state.timeline);
    }
  });
  // The map's size follows the window and, on a wide screen, the board beside it (as wide as its tables
  // need): its home view follows, the zoom and the middle kept.
  const resized = () => {
    const size = `${map.clientWidth}x${map.clientHeight}`;
    if (!state.home || size === state.homeSize) return;
    const zoom = zoomOf(), v = state.view;
    state.home = fitView(state.bounds);
    state.homeSize = size;
    const w = state.home.w / zoom, h = state.home.h / zoom;
    if (zoom < 1.001) setView(state.home);  // the whole map stays the whole map
    else setView({ x: v.x + v.w / 2 - w / 2, y: v.y + v.h / 2 - h / 2, w, h });
  };
  if (window.ResizeObserver) new ResizeObserver(resized).observe(map);
  else window.addEventListener("resize", resized);
}

// Markers keep their size on screen whatever the zoom.
function sizeMarkers() {
  const k = unitsPerPx();
  for (const { node } of state.stops) node.setAttribute("r", (4 * k).toFixed(2));
  for (const node of document.querySelectorAll("#places rect.depot")) {
    const [x, y] = node.dataset.at.split(",").map(Number);
    const s = 9 * k;
    for (const [a, v] of Object.entries({ x: x - s / 2, y: y - s / 2, width: s, height: s })) node.setAttribute(a, v.toFixed(2));
  }
  $("labels").setAttribute("font-size", (12 * k).toFixed(2));
}

// A scale bar of a round length no longer than maxPx, in metres per unit of length.
function scaleBar(bar, label, metresPerPx, unitM, unitName) {
  const maxUnits = (110 * metresPerPx) / unitM;
  const step = 10 ** Math.floor(Math.log10(maxUnits));
  const length = [5, 2, 1].map((m) => m * step).find((l) => l <= maxUnits);
  bar.style.width = `${((length * unitM) / metresPerPx).toFixed(1)}px`;
  label.textContent = `${num(length, 3)} ${unitName}`;
}

function drawScale() {
  if (!state.view) return;
  $("scale").hidden = false;
  const v = state.view;
  const lat = latAt(v.y + v.h / 2);
  const centre = metresPerUnit(lat).x;
  const metresPerPx = centre * unitsPerPx();
  scaleBar($("scale-km"), $("scale-km-label"), metresPerPx, 1000, "km");
  scaleBar($("scale-nmi"), $("scale-nmi-label"), metresPerPx, 1852, t("nmi"));
  // How far the bar is off anywhere in the view: east-west at the top and bottom, north-south.
  const err = Math.max(...[latAt(v.y), latAt(v.y + v.h)].flatMap((l) => {
    const m = metresPerUnit(l);
    return [Math.abs(m.x / centre - 1), Math.abs(m.y / centre - 1)];
  }));
  $("scale").title = fill("scaleNote", { lat: num(Math.abs(lat), 2), err: num(err * 100, 1) });
}

// --- labels that appear as one zooms in ------------------------------------------------------------

// A point inside a ring: the middle of the widest stretch of land along a few horizontal lines.
function inside(points) {
  const ys = points.map((p) => p[1]);
  const top = Math.min(...ys), height = Math.max(...ys) - top;
  let best = { width: -1, at: points[0] };
  for (const f of [0.5, 0.4, 0.6, 0.3, 0.7]) {
    const y = top + f * height + 0.01;
    const xs = [];
    for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
      const [x1, y1] = points[i], [x2, y2] = points[j];
      if ((y1 > y) !== (y2 > y)) xs.push(x1 + ((y - y1) * (x2 - x1)) / (y2 - y1));
    }
    xs.sort((a, b) => a - b);
    for (let i = 0; i + 1 < xs.length; i += 2) {
      if (xs[i + 1] - xs[i] > best.width) best = { width: xs[i + 1] - xs[i], at: [(xs[i] + xs[i + 1]) / 2, y] };
    }
  }
  return best.at;
}

function anchorOf(geometry) {
  if (geometry.type === "Point") return project(geometry.coordinates);
  const rings = geometry.type === "Polygon" ? [geometry.coordinates[0]] : geometry.coordinates.map((p) => p[0]);
  const size = (r) => { const xs = r.map((p) => p[0]); return Math.max(...xs) - Math.min(...xs); };
  const largest = rings.reduce((a, b) => (size(b) > size(a) ? b : a));
  return inside(largest.map(project));
}

// The name on the map: "Pulau Kangean" reads "Kangean" (the tooltip keeps the whole name).
const shortName = (name) => name.replace(/^(Pulau|Island of)\s+/i, "");

// A geometry's box in map units: [x0, y0, x1, y1].
function boxOf(geometry) {
  const g = geometry;
  const coords = { Point: [g.coordinates], Polygon: g.coordinates.flat(), MultiPolygon: g.coordinates.flat(2) }[g.type] || [];
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  for (const c of coords) {
    const [x, y] = project(c);
    box[0] = Math.min(box[0], x); box[1] = Math.min(box[1], y);
    box[2] = Math.max(box[2], x); box[3] = Math.max(box[3], y);
  }
  if (g.type === "Point") { box[0] -= 4; box[1] -= 4; box[2] += 4; box[3] += 4; }  // the disc pathOf draws
  return box;
}

// A label names what lies at `at` (map units) within `target` (its box: an island's, a district's landings',
// or the point itself). A district's or village's name is left out where it would hide more than `maxCost`
// (see hiddenBy). `inside` says whether it may sit on what it names: "always" (the mainland), "fits"
// (an island large enough on screen to carry its name without being hidden by it), "maybe" (a district's
// middle, usually open sea) or "never" (a depot, a landing: the label goes beside the mark).
function addLabel(text, at, cls, minZoom, priority, { target = null, inside = "never", island = null, title = null, maxCost = Infinity } = {}) {
  const node = el("text", { x: at[0].toFixed(1), y: at[1].toFixed(1), class: `label ${cls}` }, $("labels"));
  node.textContent = text;
  if (island !== null) node.dataset.island = state.islands[island].properties.code;
  if (title) el("title", {}, node).textContent = title;
  state.labels.push({ node, minZoom, priority, at, target: target || [at[0], at[1], at[0], at[1]], inside, island, maxCost, size: null });
  return node;
}

function buildLabels() {
  $("labels").replaceChildren();
  state.labels = [];
  state.islandBoxes = state.islands.map((f) => boxOf(f.geometry));
  state.islands.forEach((f, i) => {
    const p = f.properties;
    const area = p.area_km2 || p.area_km2_gazetteer || 0.05;
    const target = state.islandBoxes[i];
    if (p.is_madura_mainland) {
      addLabel("Madura", anchorOf(f.geometry), "island mainland", 1, 0, { target, inside: "always", island: i });
      return;
    }
    const minZoom = 4.5 / Math.sqrt(area);
    addLabel(shortName(p.name), anchorOf(f.geometry), "island", minZoom, area >= 100 ? 1 : 3 + minZoom,
      { target, inside: "fits", island: i });
  });
  for (const f of state.depots) addLabel(f.properties.name, project(f.geometry.coordinates), "depot-label", 1, 1);
  for (const [, d] of Object.entries(districtCentres())) addLabel(d.name, d.at, "district", 1, 2, { inside: "maybe", maxCost: 1.5 });
  for (const v of state.villages) {
    if (!v.landing_point) continue;
    addLabel(v.name, project([v.landing_point.lon, v.landing_point.lat]), "village", 6, 20, { maxCost: 2.5 });
  }
  state.labels.sort((a, b) => a.priority - b.priority);
  scheduleRedraw();
}

// Where a district's name goes: the middle of its sea-served villages' landings.
function districtCentres() {
  const out = {};
  for (const v of state.villages) {
    if (!v.landing_point) continue;
    const d = (out[v.district_code] ||= { name: v.district, xs: [], ys: [] });
    const [x, y] = project([v.landing_point.lon, v.landing_point.lat]);
    d.xs.push(x);
    d.ys.push(y);
  }
  const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
  for (const d of Object.values(out)) d.at = [mean(d.xs), mean(d.ys)];
  return out;
}

// Whether the segment a-b crosses the box [x0, y0, x1, y1] (Liang-Barsky).
function segmentHits([ax, ay], [bx, by], [x0, y0, x1, y1]) {
  let t0 = 0, t1 = 1;
  const dx = bx - ax, dy = by - ay;
  for (const [p, q] of [[-dx, ax - x0], [dx, x1 - ax], [-dy, ay - y0], [dy, y1 - ay]]) {
    if (p === 0) { if (q < 0) return false; continue; }
    const r = q / p;
    if (p < 0) { if (r > t1) return false; if (r > t0) t0 = r; } else { if (r < t0) return false; if (r < t1) t1 = r; }
  }
  return true;
}

const overlapArea = (a, b) => Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
const boxesMeet = (a, b, m = 0) => a[0] < b[2] + m && b[0] < a[2] + m && a[1] < b[3] + m && b[1] < a[3] + m;

// What the labels should leave in sight, in pixels of the map's frame: the plan's landings and the depots,
// the small islands (those a label could hide), the routes' segments; and what they must not go under: the
// frame's edges and the help, zoom buttons and scale drawn over the map.
function labelObstacles(toPx, width, height) {
  const frame = $("map").getBoundingClientRect();
  const covers = [];
  for (const sel of ["#map-help", ".map-frame .zoom", "#scale"]) {
    const n = document.querySelector(sel);
    if (!n || n.hidden) continue;
    const r = n.getBoundingClientRect();
    if (r.width && r.height) covers.push([r.left - frame.left, r.top - frame.top, r.right - frame.left, r.bottom - frame.top]);
  }
  const inFrame = ([x, y]) => x > -50 && y > -50 && x < width + 50 && y < height + 50;
  const marks = [];
  for (const { node } of state.stops) marks.push(toPx([Number(node.getAttribute("cx")), Number(node.getAttribute("cy"))]));
  for (const f of state.depots) marks.push(toPx(project(f.geometry.coordinates)));
  const islands = [];
  (state.islandBoxes || []).forEach((b, i) => {
    if (state.islands[i].properties.is_madura_mainland) return;
    const [x0, y0] = toPx([b[0], b[1]]), [x1, y1] = toPx([b[2], b[3]]);
    const box = [x0, y0, x1, y1];
    if (x1 < 0 || y1 < 0 || x0 > width || y0 > height) return;
    islands.push({ i, box, area: Math.max(1, (x1 - x0) * (y1 - y0)) });
  });
  const segments = [];
  for (const line of state.legLines || []) {
    const pts = line.map(toPx);
    for (let j = 1; j < pts.length; j++) {
      if (inFrame(pts[j - 1]) || inFrame(pts[j])) segments.push([pts[j - 1], pts[j]]);
    }
  }
  return { covers, marks: marks.filter(inFrame), islands, segments };
}

// How much a label in `box` would hide: landings and depots under it, small islands other than its own,
// route segments crossing it.
function hiddenBy(box, label, obstacles) {
  let cost = 0;
  const [x0, y0, x1, y1] = box;
  for (const [x, y] of obstacles.marks) if (x > x0 - 4 && x < x1 + 4 && y > y0 - 4 && y < y1 + 4) cost += 1;
  const labelArea = (x1 - x0) * (y1 - y0);
  for (const isl of obstacles.islands) {
    if (isl.i === label.island || isl.area > 4 * labelArea || !boxesMeet(box, isl.box)) continue;
    cost += 1.5 * Math.min(1, overlapArea(box, isl.box) / isl.area + 0.2);
  }
  for (const [a, b] of obstacles.segments) if (segmentHits(a, b, box)) cost += 0.4;
  return cost;
}

// The places a label may go, as the middle of its box in pixels: on what it names where allowed, else
// below, above, beside and at the corners of its target, clear of it by a gap.
function labelSpots(label, toPx, w, h) {
  const [L, T] = toPx([label.target[0], label.target[1]]);
  const [R, B] = toPx([label.target[2], label.target[3]]);
  const [ax, ay] = toPx(label.at);
  const point = R - L < 1 && B - T < 1;
  const g = point ? 6 : 2;  // a landing's or depot's mark is drawn about 4 px around its point
  const cx = (L + R) / 2, cy = (T + B) / 2;
  const spots = [];
  const fits = R - L >= 1.6 * w + 6 && B - T >= 2.5 * h;
  if (label.inside === "always" || label.inside === "maybe" || (label.inside === "fits" && fits)) spots.push([ax, ay]);
  const below = [cx, B + g + h / 2], above = [cx, T - g - h / 2];
  const right = [R + g + w / 2, cy], left = [L - g - w / 2, cy];
  if (label.node.classList.contains("depot-label")) spots.push(above, right, left, below);
  else spots.push(below, above, right, left);
  spots.push([R + g / 2 + w / 2, B + g / 2 + h / 2], [L - g / 2 - w / 2, B + g / 2 + h / 2],
    [R + g / 2 + w / 2, T - g / 2 - h / 2], [L - g / 2 - w / 2, T - g / 2 - h / 2]);
  return spots;
}

// Show the labels the zoom allows, most important first, each where it hides least of the islands,
// landings and routes it could cover, leaving out any that would overlap another label or the frame.
function placeLabels() {
  if (!state.view) return;
  const zoom = zoomOf();
  const map = $("map");
  const width = map.clientWidth, height = map.clientHeight;
  const v = state.view, k = unitsPerPx();
  const toPx = ([x, y]) => [(x - v.x) / k, (y - v.y) / k];
  const wanted = state.labels.filter((l) => l.minZoom <= zoom * 1.001);
  const shown = new Set(wanted);
  for (const l of state.labels) l.node.classList.toggle("off", !shown.has(l));
  for (const l of wanted) {  // sizes on screen do not change with the zoom: measured once
    if (l.size) continue;
    const r = l.node.getBoundingClientRect();
    if (r.width > 0) l.size = { w: r.width + 2, h: r.height };
  }
  const obstacles = labelObstacles(toPx, width, height);
  const placed = [];
  for (const l of wanted) {
    let best = null;
    if (l.size) {
      const { w, h } = l.size;
      labelSpots(l, toPx, w, h).forEach(([x, y], i) => {
        const box = [x - w / 2, y - h / 2, x + w / 2, y + h / 2];
        if (box[0] < 2 || box[1] < 2 || box[2] > width - 2 || box[3] > height - 2) return;
        if (obstacles.covers.some((c) => boxesMeet(box, c, 2)) || placed.some((p) => boxesMeet(box, p, 2))) return;
        // The mainland's name goes on it wherever it can: it hides little of so much land.
        const cost = l.inside === "always" && i === 0 ? -1 : hiddenBy(box, l, obstacles) + 0.05 * i;
        if (cost <= l.maxCost && (!best || cost < best.cost)) best = { cost, box, x, y };
      });
    }
    l.node.classList.toggle("off", !best);
    if (!best) continue;
    placed.push(best.box);
    l.node.setAttribute("x", (v.x + best.x * k).toFixed(1));
    l.node.setAttribute("y", (v.y + best.y * k).toFixed(1));
  }
}

// --- the map ---------------------------------------------------------------------------------------

function islandTitle(p) {
  const name = p.is_madura_mainland ? t("mainland") : p.name;
  const districts = (p.districts || []).length ? `\n${fill("islandDistricts", { names: p.districts.join(", ") })}` : "";
  return `${named(name, p.code)}${districts}`;
}

function drawIslands() {
  const map = $("map");
  map.replaceChildren();
  el("g", { id: "areas" }, map);  // sea areas with a wave forecast, under the islands
  const g = el("g", { id: "islands" }, map);
  for (const f of state.islands) {
    const p = el("path", { d: pathOf(f.geometry), class: "island", "data-code": f.properties.code }, g);
    el("title", {}, p);
  }
  el("g", { id: "legs" }, map);
  const places = el("g", { id: "places" }, map);
  for (const f of state.depots) {
    const node = el("rect", { class: "depot", "data-at": px(f.geometry.coordinates) }, places);
    el("title", {}, node);
  }
  el("g", { id: "stops" }, map);
  el("g", { id: "labels" }, map);
  titleIslands();
}

function titleIslands() {
  document.querySelectorAll("#islands path").forEach((node, i) => {
    node.firstChild.textContent = islandTitle(state.islands[i].properties);
  });
  document.querySelectorAll("#places rect.depot").forEach((node, i) => {
    const p = state.depots[i].properties;
    node.firstChild.textContent = `${t("depot")}: ${named(p.name, p.id)}`;
  });
}

function mapBounds() {
  const xs = [], ys = [];
  for (const f of state.islands) {
    const g = f.geometry;
    const coords = { Point: [g.coordinates], Polygon: g.coordinates.flat(), MultiPolygon: g.coordinates.flat(2) }[g.type];
    for (const c of coords) { const [x, y] = project(c); xs.push(x); ys.push(y); }
  }
  const pad = 0.03 * (Math.max(...xs) - Math.min(...xs));
  return [Math.min(...xs) - pad, Math.min(...ys) - pad, Math.max(...xs) + pad, Math.max(...ys) + pad];
}

function stopClass(key, stop) {
  const s = state.status;
  const st = s && s.stop_states ? s.stop_states[key] : undefined;
  if (st === "handed_over" || (stop.kind === "landing" && st === "departed")) return "delivered";
  const districts = new Set(stop.manifest.map((m) => m.district_code || m.village_code.slice(0, 8)));
  const risky = s && s.districts && s.districts.some((d) => districts.has(d.district_code) && d.at_risk);
  if (risky) return "risk";
  if (st) return "underway";
  return "planned";
}

function waveText(w) {
  return `${t("waves")} ${num(w.wave_m)} m: ${wib(w.start)} – ${wib(w.end)}`;
}

function drawAreas(plan) {
  // Sea areas that the plan's forecast closes to some vessels, with the forecasts as a tooltip.
  const g = $("areas");
  g.replaceChildren();
  const areas = (plan.weather && plan.weather.sea_areas && plan.weather.sea_areas.features) || [];
  for (const f of areas.filter((a) => a.properties.forecast.length)) {
    const p = el("path", { d: pathOf(f.geometry), class: "area-closed", "data-area": f.properties.id }, g);
    el("title", {}, p).textContent = [named(f.properties.name, f.properties.id), ...f.properties.forecast.map(waveText)].join("\n");
  }
}

const vesselName = (v) => v.vessel_name || v.vessel_id;
const placeName = (p) => p.name || p.id;

function colours(plan) {
  const out = {};
  plan.voyages.forEach((v, i) => { out[v.vessel_id] = PALETTE[i % PALETTE.length]; });
  return out;
}

function drawPlan(plan, geo) {
  const legs = $("legs");
  const stops = $("stops");
  legs.replaceChildren();
  stops.replaceChildren();
  drawAreas(plan);
  const colour = colours(plan);
  state.legLines = [];
  for (const f of geo.features.filter((x) => x.properties.kind === "leg")) {
    const q = f.properties;
    state.legLines.push(f.geometry.coordinates.map(project));
    const d = "M" + f.geometry.coordinates.map(px).join("L");
    const p = el("path", { d, class: "leg", stroke: colour[q.vessel_id], "data-vessel": q.vessel_id, "data-leg": q.leg }, legs);
    el("title", {}, p).textContent = `${named(q.vessel_name, q.vessel_id)}, ${fill("trip", { n: q.trip })}: ` +
      `${named(q.from_name, q.from)} → ${named(q.to_name, q.to)}, ${num(q.distance_nm)} ${t("nmi")}`;
  }
  state.stops = [];
  const byId = {};
  for (const f of geo.features.filter((x) => x.properties.kind === "stop")) byId[f.properties.id] = f.geometry.coordinates;
  plan.voyages.forEach((v) => v.stops.forEach((s, i) => {
    if (s.kind !== "landing") return;
    const [x, y] = px(byId[s.id]).split(",");
    const key = `${v.vessel_id}/${i}`;
    const c = el("circle", { cx: x, cy: y, r: 9, class: "stop planned", "data-key": key, "data-vessel": v.vessel_id }, stops);
    c.addEventListener("mouseenter", (ev) => showTip(ev, v, s, i));
    c.addEventListener("click", (ev) => { if (!state.dragged) showTip(ev, v, s, i); });
    c.addEventListener("mouseleave", () => { $("tip").hidden = true; });
    state.stops.push({ key, node: c, stop: s });
  }));
  drawVesselLegend(plan, colour);
  recolour();
  scheduleRedraw();
}

function drawVesselLegend(plan, colour) {
  const box = $("vessel-legend");
  box.replaceChildren(html("b", {}, t("vessels")));
  for (const v of plan.voyages) {
    const item = html("span", { class: "vessel-item", "data-vessel": v.vessel_id });
    const swatch = html("span", { class: "line-swatch" });
    swatch.style.background = colour[v.vessel_id];
    item.append(swatch, `${vesselName(v)} · ${tripOf(v.trips)}`);
    item.addEventListener("mouseenter", () => highlight(v.vessel_id));
    item.addEventListener("mouseleave", () => highlight(null));
    box.append(item);
  }
  box.hidden = false;
}

function highlight(vesselId) {
  for (const node of document.querySelectorAll("#legs path, #stops circle")) {
    node.classList.toggle("dim", vesselId !== null && node.dataset.vessel !== vesselId);
  }
}

const districtName = (code, ...names) => names.find(Boolean) || state.districtNames[code] || code;

function manifestLine(m) {
  const district = fill("districtOf", { name: districtName(m.district_code, m.district_name) });
  return `${named(m.village_name, m.village_code)}, ${district}: ${m.tps} TPS, ${fill("boxes", { n: m.ballot_boxes })}, ` +
    `${num(m.weight_kg)} kg, ${num(m.volume_m3, 2)} m³`;
}

// --- handovers: who received, who recorded it, when it happened and when it reached the service ---

const handovers = () => state.events.filter((e) => e.type === "handed_over");
const recorder = (e) => e.recorded_by_name || (e.recorded_by ? fill("keyOf", { id: e.recorded_by }) : "-");

// Who received the kits: "Name (Position)"; the name alone in a report without a position.
function receiverText(e) {
  if (!e.receiver) return "-";
  return e.receiver_position ? `${e.receiver} (${e.receiver_position})` : e.receiver;
}

function handoverLines(e) {
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
  const voyages = {};
  for (const v of (state.plan && state.plan.voyages) || []) voyages[v.vessel_id] = v;
  const rows = handovers().slice().reverse();  // the newest first
  for (const e of rows) {
    const v = voyages[e.vessel_id];
    const s = v && v.stops[e.stop];
    const villages = s ? [...new Set(s.manifest.map((m) => m.village_name || m.village_code))].join(", ") : "";
    const where = s ? `${placeName(s)}${villages ? `: ${villages}` : ""}` : String(e.stop);
    const tr = row(body, [
      { content: [where, html("br"), html("span", { class: "code" }, v ? vesselName(v) : e.vessel_id)] },
      { content: receiverText(e) },
      { content: recorder(e) },
      { content: wib(e.at), cls: "time" },
      { content: wib(e.recorded_at), cls: "time" },
    ]);
    tr.dataset.event = e.id;
    tr.dataset.key = `${e.vessel_id}/${e.stop}`;
  }
  box.hidden = rows.length === 0;
}

async function loadEvents() {
  if (!state.plan) return;
  try {
    const r = await api(`/plans/${state.plan.id}/events`);
    state.events = r.body.events || [];
  } catch (e) {
    console.warn("the plan's events could not be read", e);  // the board keeps the last ones
  }
}

function showTip(ev, v, s, index) {
  const tip = $("tip");
  const island = s.island_name ? `, ${s.island_name}` : "";
  const done = handovers().filter((e) => e.vessel_id === v.vessel_id && e.stop === index);
  const lines = [
    `${named(s.name, s.id)}${island}`,
    `${t("arrives")} ${wib(s.arrival)} · ${t("handover")} ${clock(s.work_start)}–${clock(s.work_end)} WIB` +
      (TEXT.id[`note_${s.access}`] ? ` · ${t(`note_${s.access}`)}` : ""),
    ...s.manifest.map(manifestLine),
    ...done.flatMap(handoverLines),
  ];
  const head = html("b", {}, vesselName(v));
  tip.replaceChildren(head, ` · ${fill("trip", { n: s.trip })}`, ...lines.flatMap((l) => [html("br"), l]));
  tip.hidden = false;
  // Beside the stop, on the side of the map where it fits.
  const box = $("map").getBoundingClientRect();
  const at = ev.target.getBoundingClientRect();
  const x = at.left + at.width / 2 - box.left, y = at.top + at.height / 2 - box.top;
  tip.style.left = `${x + 12 + tip.offsetWidth > box.width ? Math.max(0, x - 12 - tip.offsetWidth) : x + 12}px`;
  tip.style.top = `${y + 12 + tip.offsetHeight > box.height ? Math.max(0, y - 12 - tip.offsetHeight) : y + 12}px`;
}

function recolour() {
  for (const { key, node, stop } of state.stops) {
    const dim = node.classList.contains("dim") ? " dim" : "";
    node.setAttribute("class", `stop ${stopClass(key, stop)}${dim}`);
  }
}

// --- the board -------------------------------------------------------------------------------------

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

function drawBoard() {
  const s = state.status;
  if (!s || !s.districts) return;
  drawDistricts(s);
  drawVoyages(s);
  drawHandovers();
  drawUnassigned();
}

// --- the timeline ----------------------------------------------------------------------------------

function noteText(r) {
  if (!r.note) return "";
  if (r.activity === "weather_hold") return r.note.replace(/\bwaves\b/, t("waves"));
  return TEXT.id[`note_${r.note}`] ? t(`note_${r.note}`) : r.note;
}

function drawTimeline(plan, rows) {
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

// --- risk: the chance that the plan holds, from Monte Carlo runs (POST /plans/{id}/risk) ----------

const pct = (x) => (x === null || x === undefined ? "—" : `${num(x * 100, 1)} %`);
// A chance below 0.5 is marked low (red), below 0.8 moderate (amber): in words as well as colour.
const riskLevel = (x) => (x === null || x === undefined ? null : x < 0.5 ? "low" : x < 0.8 ? "mid" : null);
let riskTimer = null;

// The latest completed run's report for a district, if any.
function riskOf(code) {
  const r = state.risk.report;
  return (r && r.result && r.result.districts.find((d) => d.district_code === code)) || null;
}

function riskCells(code) {
  const d = riskOf(code);
  if (!d) return [{ content: "—", cls: "risk-on-time" }, { content: "—", cls: "risk-h5" }];
  const result = state.risk.report.result;
  const level = riskLevel(d.on_time);
  const button = html("button", {
    type: "button", class: "risk-open", "aria-controls": "risk-panel",
    "aria-expanded": String(state.risk.district === d.district_code),
  }, pct(d.on_time));
  button.title = fill("riskCell", { p: pct(d.on_time), runs: num(result.runs, 0), h5: wib(result.h5), byh5: pct(d.by_h5) });
  const cell = [button];
  if (level) cell.push(" ", html("span", { class: "risk-level" }, t(level === "low" ? "levelLow" : "levelMid")));
  return [
    { content: cell, cls: `risk-on-time${level ? ` risk-${level}` : ""}` },
    { content: pct(d.by_h5), cls: "risk-h5" },
  ];
}

// What the page says about a refused request or a failed run: kept as a key and the errors, so
// that it follows the language switch.
function riskRefusal(e) {
  if (e.status === 403) return { key: "riskForbidden" };
  if (e.status === 401) return { key: "keyRefused" };
  if (!e.status) return { key: "riskFailed", errors: [{ code: "", message: t("offline") }] };
  return { key: "riskFailed", errors: (e.problem && e.problem.errors) || [{ code: "", message: String(e.status) }] };
}

function riskProblemText(p) {
  if (p.key !== "riskFailed") return t(p.key);
  const why = (p.errors || []).map((x) => (TEXT.id[`riskErr_${x.code}`] ? t(`riskErr_${x.code}`) : x.message || x.code));
  return fill("riskFailed", { why: why.join("; ") });
}

function drawRiskState() {
  const r = state.risk;
  const note = $("risk-state");
  const bar = $("risk-progress");
  $("risk-start").disabled = !state.plan || Boolean(r.active);
  $("risk-start").title = fill("riskStartNote", { runs: num(RISK_RUNS, 0) });
  let text = "", phase = "";
  if (r.active) {
    const { runs, runs_done: done } = r.active.progress;
    phase = r.active.phase;
    text = phase === "queued" && !done ? fill("riskQueued", { runs: num(runs, 0) })
      : fill("riskProgress", { runs: num(runs, 0), done: num(done, 0) });
    bar.max = runs;
    bar.value = done;
  } else if (r.problem) {
    phase = "problem";
    text = riskProblemText(r.problem);
  } else if (r.report) {
    phase = "completed";
    const result = r.report.result;
    text = fill("riskDone", { time: wib(r.report.updated_at), runs: num(result.runs, 0), p: pct(result.every_district_on_time) });
  }
  bar.hidden = !r.active;
  note.textContent = text;
  note.dataset.phase = phase;
}

function drawRisk() {
  drawRiskState();
  drawHistogram();
}

function stopRisk() {
  clearTimeout(riskTimer);
  riskTimer = null;
}

// The open plan's risk runs: the latest completed one's report fills the board; a run still going
// is followed; a newest run that failed says why.
async function loadRisk(planId) {
  stopRisk();
  state.risk = { planId, report: null, active: null, problem: null, district: null };
  drawRisk();
  try {
    const { body } = await api(`/plans/${planId}/risk`);
    if (state.risk.planId !== planId) return;
    const runs = body.risk_runs || [];
    const done = runs.find((x) => x.phase === "completed");
    if (done) {
      const r = await api(`/risk/${done.id}`);
      if (state.risk.planId !== planId) return;
      if (r.body.result) state.risk.report = r.body;
    }
    const newest = runs[0];
    if (newest && (newest.phase === "queued" || newest.phase === "running")) followRisk(planId, newest);
    else if (newest && newest.phase === "failed") state.risk.problem = { key: "riskFailed", errors: newest.errors || [] };
    else if (newest && newest.phase === "cancelled") state.risk.problem = { key: "riskCancelled" };
  } catch (e) {
    console.warn("the plan's risk runs could not be read", e);  // the board goes without them
  }
  if (state.risk.planId !== planId) return;
  drawBoard();
  drawRisk();
}

function followRisk(planId, run) {
  state.risk.active = run;
  state.risk.problem = null;
  drawRiskState();
  stopRisk();
  riskTimer = setTimeout(() => pollRisk(planId, run.id), RISK_POLL_MS);
}

// Read a run's progress every RISK_POLL_MS until it completes (its report replaces the last one),
// fails (its errors are shown) or is cancelled; a network error only means trying again.
async function pollRisk(planId, riskId) {
  if (state.risk.planId !== planId) return;
  let body;
  try {
    body = (await api(`/risk/${riskId}`)).body;
  } catch (e) {
    if (state.risk.planId !== planId) return;
    if (e.status) {
      state.risk.active = null;
      state.risk.problem = riskRefusal(e);
      drawRiskState();
    } else {
      riskTimer = setTimeout(() => pollRisk(planId, riskId), RISK_POLL_MS);
    }
    return;
  }
  if (state.risk.planId !== planId) return;
  if (body.phase === "completed") {
    if (body.result) state.risk.report = body;
    state.risk.active = null;
    drawBoard();
    drawRisk();
  } else if (body.phase === "failed") {
    state.risk.active = null;
    state.risk.problem = { key: "riskFailed", errors: body.errors || [] };
    drawRiskState();
  } else if (body.phase === "cancelled") {  // cancelled through the API: the board stops asking
    state.risk.active = null;
    state.risk.problem = { key: "riskCancelled" };
    drawRiskState();
  } else {
    state.risk.active = body;
    drawRiskState();
    riskTimer = setTimeout(() => pollRisk(planId, riskId), RISK_POLL_MS);
  }
}

async function startRisk() {
  if (!state.plan) return;
  const planId = state.plan.id;
  state.risk.problem = null;
  $("risk-start").disabled = true;
  try {
    const r = await api(`/plans/${planId}/risk`, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ runs: RISK_RUNS, seed: 0 }) });
    if (state.risk.planId === planId) followRisk(planId, r.body);
  } catch (e) {
    if (state.risk.planId === planId) state.risk.problem = riskRefusal(e);
  }
  drawRiskState();
}

// Open a district's histogram below the table (or close it: the same district again, or null).
function toggleHistogram(code) {
  state.risk.district = code && state.risk.district !== code ? code : null;
  for (const tr of $("districts").tBodies[0].rows) {
    const open = tr.dataset.district === state.risk.district;
    tr.classList.toggle("selected", open);
    const button = tr.querySelector("button.risk-open");
    if (button) button.setAttribute("aria-expanded", String(open));
  }
  drawHistogram();
  if (state.risk.district) $("risk-panel").scrollIntoView({ block: "nearest" });
}

function drawHistogram() {
  const d = state.risk.district ? riskOf(state.risk.district) : null;
  $("risk-panel").hidden = !d;
  if (!d) return;
  const result = state.risk.report.result;
  const district = `${fill("districtOf", { name: districtName(d.district_code, d.district_name) })} (${d.district_code})`;
  $("risk-heading").textContent = fill("histTitle", { district });
  drawChart($("risk-chart"), d, result.runs, district, { t, fill, num, pct, wib });
  const c = d.completion || {};
  $("risk-percentiles").textContent = fill("percentiles", { p50: wib(c.p50), p90: wib(c.p90), p95: wib(c.p95) });
  const list = $("late-stops");
  list.replaceChildren();
  for (const s of result.late_stops || []) {
    const text = fill("lateStop", { vessel: s.vessel_name || s.vessel_id, landing: named(s.landing_name, s.landing_id), p: pct(s.late) });
    list.append(html("li", { "data-vessel": s.vessel_id, "data-landing": s.landing_id, "data-late": s.late }, text));
  }
  list.hidden = list.children.length === 0;
  $("no-late-stops").hidden = list.children.length > 0;
}

// --- following the status: the stream, else polling ----------------------------------------------

// An ETag's value without W/ and quotes: the stream's event id for the same status.
const tagValue = (tag) => (tag ? tag.replace(/^W\//, "").replace(/^"|"$/g, "") : null);

// The moment the server was last heard from, kept so that a change of language redraws it.
function heard() {
  state.heardAt = new Date().toISOString();
  drawHeard();
  $("offline").hidden = true;
}

function drawHeard() {
  $("heard").textContent = state.heardAt ? wib(state.heardAt) : "-";
}

// A new status for the open plan, from a poll's 200 or a stream's frame: drawn once per version.
async function applyStatus(planId, body, version, etag) {
  if (!state.plan || state.plan.id !== planId || version === state.version) return;
  state.status = body;
  state.version = version;
  state.etag = etag;
  await loadEvents();  // the status moved: a new event, perhaps a handover
  if (!state.plan || state.plan.id !== planId) return;
  drawBoard();
  recolour();
}

async function poll() {
  if (!state.plan || state.path === "stream") return;
  const id = state.plan.id;
  try {
    const r = await api(`/plans/${id}/status`, { headers: state.etag ? { "If-None-Match": state.etag } : {} });
    if (r.status !== 304) await applyStatus(id, r.body, tagValue(r.etag), r.etag);
    heard();
  } catch (e) {
    if (e.status === 401) askForKey();  // revoked or expired meanwhile: its stream ended too
    else $("offline").hidden = false;
  }
}

// The key was refused (revoked or expired while the board was open): say so and ask for one.
function askForKey() {
  $("key-prompt").dataset.i18n = "keyRefused";
  $("key-prompt").textContent = t("keyRefused");
  $("key-prompt").hidden = false;
  $("key").focus();
}

function drawPath() {
  const node = $("path");
  node.hidden = !state.path;
  if (!state.path) return;
  node.dataset.path = state.path;
  node.className = `badge path-${state.path}`;
  node.textContent = state.path === "stream" ? t("live") : fill("polling", { s: num(POLL_MS / 1000) });
  node.title = state.path === "stream" ? t("liveNote") : t("pollingNote");
}

function setPath(path) {
  state.path = path;
  drawPath();
}

function stopStream() {
  clearTimeout(state.retry);
  if (state.stream) state.stream.abort();
  state.stream = null;
}

// Follow the open plan's status: by its stream where the browser can read one, else by polling.
function follow() {
  stopStream();
  state.lastEventId = null;
  if (!state.plan) return;
  if (!window.fetch || !window.ReadableStream || !window.AbortController || !window.TextDecoder) {
    setPath("poll");
    return;
  }
  openStream(state.plan.id);
}

// One SSE frame: "id:", "event:", "data:" lines; a line starting with ":" is a keep-alive.
async function onFrame(planId, frame) {
  let id = null, event = "message";
  const data = [];
  for (const line of frame.split(/\r\n|\r|\n/)) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (name === "id") id = value;
    else if (name === "event") event = value;
    else if (name === "data") data.push(value);
  }
  if (event !== "status" || !data.length) return;
  if (id) state.lastEventId = id;
  let body;
  try {
    body = JSON.parse(data.join("\n"));
  } catch (e) {
    console.warn("a status frame that is not JSON", e);
    return;
  }
  // Polling, should it take over, sends this version back in either form of ETag.
  await applyStatus(planId, body, id || `frame ${Date.now()}`, id ? `W/"${id}", "${id}"` : null);
}

const FRAME_END = /\r\n\r\n|\n\n|\r\r/;

// Read the plan's status stream (fetch, for EventSource cannot send the X-API-Key header) until it
// fails or another plan is opened; then polling takes over and the stream is tried again later.
async function openStream(planId) {
  const ctl = new AbortController();
  state.stream = ctl;
  let idle = null, liveSince = null, ended = false;
  const watch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => ctl.abort(), STREAM_IDLE_MS);
  };
  try {
    watch();
    const headers = { "X-API-Key": storedKey(), Accept: "text/event-stream" };
    if (state.lastEventId) headers["Last-Event-ID"] = state.lastEventId;
    const r = await fetch(`/plans/${planId}/status/stream`, { headers, signal: ctl.signal, cache: "no-store" });
    if (r.status !== 200 || !r.body || !(r.headers.get("content-type") || "").includes("text/event-stream")) {
      throw new Error(`the status stream answered ${r.status}`);
    }
    liveSince = Date.now();
    setPath("stream");
    heard();
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done || state.stream !== ctl) break;
      watch();
      heard();
      buf += decoder.decode(value, { stream: true });
      for (let m = FRAME_END.exec(buf); m && state.stream === ctl; m = FRAME_END.exec(buf)) {
        const frame = buf.slice(0, m.index);
        buf = buf.slice(m.index + m[0].length);
        await onFrame(planId, frame);
      }
    }
    ended = true;
  } catch (e) {
    if (state.stream === ctl) console.warn("the status stream failed; polling instead", e);
  } finally {
    clearTimeout(idle);
  }
  if (state.stream !== ctl) return;  // another plan was opened meanwhile
  ctl.abort();
  state.stream = null;
  setPath("poll");
  poll();
  // A stream the server closed after a good while (a restart, a proxy's limit) is resumed at once.
  const again = ended && liveSince && Date.now() - liveSince > STREAM_RETRY_MS ? 1000 : STREAM_RETRY_MS;
  state.retry = setTimeout(() => {
    if (state.plan && state.plan.id === planId && !state.stream) openStream(planId);
  }, again);
}

// --- plans -----------------------------------------------------------------------------------------

function drawOpenPlan() {
  if (!state.plan) return;
  drawPlan(state.plan, state.geo);
  drawTimeline(state.plan, state.timeline);
  drawBoard();
}

async function openPlan(id) {
  const { body } = await api(`/plans/${id}`);
  drawPlanKind(body);
  if (!body.result) { notice(fill("noResult", { phase: t(`phase_${body.phase}`) })); return; }
  notice("");
  const plan = body.result.plan || body.result;
  const [geo, timeline] = await Promise.all([api(`/plans/${id}/geojson`), api(`/plans/${id}/timeline`)]);
  state.plan = { id, ...plan };
  state.geo = geo.body;
  state.timeline = timeline.body.rows;
  state.status = null;
  state.etag = null;
  state.version = null;
  state.events = [];
  drawOpenPlan();
  stopStream();  // the last plan's
  setPath("poll");
  await poll();
  follow();
  await loadRisk(id);
}

function kindText(p) {
  if (p.kind === "replan") return p.parent_id ? fill("replanOf", { id: p.parent_id.slice(0, 8) }) : t("kind_replan");
  return t(`kind_${p.kind || "plan"}`);
}

function drawPlanKind(p) {
  const badge = $("plan-kind");
  const marked = p && p.kind && p.kind !== "plan";
  badge.hidden = !marked;
  badge.className = `badge kind-${p ? p.kind : "plan"}`;
  badge.textContent = marked ? kindText(p) : "";
}

function drawPicker() {
  const sel = $("plans");
  const chosen = sel.value;
  sel.replaceChildren();
  if (!state.listing.length) sel.append(html("option", { value: "" }, t("noPlans")));
  for (const p of state.listing) {
    const kind = p.kind && p.kind !== "plan" ? `[${kindText(p)}] ` : "";
    const text = `${kind}${p.scenario || p.scenario_id || "-"} · ${t(`phase_${p.phase}`)} · ${wib(p.created_at)} · ${p.id.slice(0, 8)}`;
    sel.append(html("option", { value: p.id, "data-kind": p.kind || "plan" }, text));
  }
  if (chosen) sel.value = chosen;
  drawPlanKind(state.listing.find((p) => p.id === sel.value));
}

async function listPlans(selectId) {
  const { body } = await api("/plans?limit=100");
  state.listing = body.plans;
  drawPicker();
  const done = body.plans.find((p) => p.id === selectId) || body.plans.find((p) => p.kpis);
  if (done) { $("plans").value = done.id; await openPlan(done.id); }
}

function problemText(e) {
  if (e.status === 403) return t("startForbidden");
  const codes = ((e.problem && e.problem.errors) || []).map((x) => x.code);
  return codes.length ? codes.join(", ") : String(e.status || "");
}

async function startPlan() {
  const seconds = Number($("seconds").value) || 30;
  try {
    const r = await api("/plans", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ bundled: $("scenarios").value, seconds, wait: 0 }) });
    notice(t("solvingNew"));
    const id = r.body.id;
    const timer = setInterval(async () => {
      const p = await api(`/plans/${id}`);
      if (!ACTIVE.includes(p.body.phase)) { clearInterval(timer); notice(""); await listPlans(id); }
    }, 2000);
  } catch (e) {
    notice(`${t("startFailed")}: ${problemText(e)}`);
  }
}

// --- language --------------------------------------------------------------------------------------

function applyLanguage() {
  translatePage(t, state.lang, "#lang button");
  $("tip").hidden = true;
  if (state.islands.length) titleIslands();
  if (state.listing.length) drawPicker();
  drawPath();
  drawHeard();
  drawOpenPlan();
  drawRisk();
  drawScale();
}

function setLanguage(lang) {
  state.lang = lang;
  keepLang(lang);
  applyLanguage();
}

// --- start -----------------------------------------------------------------------------------------

async function loadDataset() {
  const [islands, depots, events, villages] = await Promise.all(
    ["/islands", "/depots", "/event-types", "/villages?sea=true"].map((p) => api(p)));
  state.islands = islands.body.features;
  state.depots = depots.body.features;
  for (const e of events.body) state.eventLabels[e.type] = e.labels;
  state.villages = villages.body.villages;
  for (const v of state.villages) state.districtNames[v.district_code] = v.district;
  drawIslands();
  state.bounds = mapBounds();
  resetView();
  buildLabels();
}

async function loadScenarios() {
  const sc = await api("/scenarios");
  for (const name of sc.body.bundled) $("scenarios").append(html("option", { value: name }, name));
}

function bindControls() {
  $("key").value = storedKey();
  $("key-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    localStorage.setItem("ballotKey", $("key").value.trim());
    location.reload();
  });
  for (const b of document.querySelectorAll("#lang button")) b.addEventListener("click", () => setLanguage(b.dataset.lang));
  $("plans").addEventListener("change", () => openPlan($("plans").value));
  $("start").addEventListener("click", startPlan);
  $("risk-start").addEventListener("click", startRisk);
  $("risk-close").addEventListener("click", () => toggleHistogram(null));
  bindPanZoom();
}

async function main() {
  bindControls();
  applyLanguage();
  if (!storedKey()) {  // nothing to ask the server yet: every read needs a key
    $("key-prompt").hidden = false;
    $("key").focus();
    document.body.dataset.ready = "true";
    return;
  }
  try {
    await loadDataset();
    await loadScenarios();
    await listPlans(PARAMS.get("plan"));
  } catch (e) {
    if (e.status === 401) {
      askForKey();
    } else {
      $("offline").hidden = false;
      console.error(e);
    }
  }
  setInterval(poll, POLL_MS);
  document.body.dataset.ready = "true";
}

// The page's words and number form, for the browser's console (and the page's tests).
Object.assign(globalThis, { TEXT, num });

main();
