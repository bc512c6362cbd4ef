// The field page: one vessel's voyage on a crew's phone. Offline first: every report is kept in
// IndexedDB with its own Idempotency-Key and the moment it was tapped, and sent in order when the
// network allows. No framework, no third-party code but the vendored QR decoder (jsQR).
import { readProblem, storedKey as keptKey } from "./shared/api.js";
import { $, h, translatePage } from "./shared/dom.js";
import { keepLang, named, storedLang, translator, wordsOf } from "./shared/text.js";
import { nowIso, wibWithDay } from "./shared/time.js";
import { decodeImage, handoverCode, qrDetector } from "./field/qr.js";
import { addAction, deleteAction, getAction, loadActions, putAction } from "./field/queue.js";

const PARAMS = new URLSearchParams(location.search);
const RETRY_MS = Number(PARAMS.get("retry_ms")) || 15000; // a periodic try of the queue
const VOYAGE_REFRESH_MS = 60000;
const KEY_ITEM = "ballotFieldKey";
const VOYAGE_ITEM = "ballotFieldVoyage";
const DATA_CACHE = "ballot-field-data-v1"; // the service worker's copy of the voyage
const NEXT_SHOWN = 3; // stops shown in full from the current one

// Everything people read, in both languages; "{name}" marks a value filled in at run time. The
// event types' own labels come from the voyage (event_types); the words shared with the dashboard
// from the text catalogue.
const TEXT = wordsOf({
  id: {
    title: "Catatan lapangan kapal",
    keyNeededTitle: "Kunci lapangan diperlukan",
    keyNeeded: "Pindai kode QR kunci lapangan kapal ini dengan kamera ponsel, atau tempel kunci atau tautannya di bawah.",
    key: "Kunci lapangan",
    keyRefused: "Kunci ditolak (tidak dikenal, dicabut atau kedaluwarsa). Laporan tetap tersimpan di ponsel; minta kode QR kunci baru kepada perencana.",
    keyForbidden: "Kunci ini tidak boleh mengirim laporan untuk kapal atau rencana ini. Laporan tetap tersimpan di ponsel; minta kode QR kunci lapangan kapal ini kepada perencana.",
    planLine: "Rencana {plan} · {scenario}",
    online: "Terhubung", onlineSince: "Terhubung · data dari server {time}",
    offline: "Tanpa sinyal: laporan disimpan di ponsel dan dikirim saat sinyal kembali.",
    savedVoyage: "Perjalanan tersimpan di ponsel dari {time}.",
    voyageMissing: "Perjalanan kapal belum tersimpan di ponsel ini: sambungkan ke internet sekali untuk memuatnya.",
    voyageNone: "Kunci ini tidak membuka perjalanan kapal mana pun: minta kode QR kunci lapangan kapal ini kepada perencana.",
    offlineReady: "siap dipakai tanpa sinyal",
    scan: "Pindai QR", scanTitle: "Pindai kode QR serah terima", cameraStart: "Buka kamera",
    cameraStop: "Tutup kamera", photo: "Foto atau pilih gambar kode QR", code: "Atau ketik kode",
    codeOpen: "Buka serah terima",
    cameraNone: "Kamera tidak dapat dibuka di sini: foto kodenya atau ketik kodenya.",
    scanning: "Arahkan kamera ke kode QR…", reading: "Membaca gambar…",
    noCode: "Tidak ada kode QR yang terbaca pada gambar ini. Coba lagi lebih dekat dan terang, atau ketik kodenya.",
    badCode: "Ini bukan kode serah terima yang dikenal ({why}).",
    why_scheme: "harus diawali ballot:handover?", why_missing: "tidak ada {key}", why_twice: "{key} tertulis dua kali",
    why_version: "versi {v} tidak dikenal", why_number: "{key} harus bilangan bulat",
    otherVessel: "Kode ini untuk kapal lain ({vessel}).", otherPlan: "Kode ini dari rencana lain ({plan}).",
    noStop: "Persinggahan {n} tidak ada dalam perjalanan ini atau tidak punya serah terima.",
    alreadyHanded: "Serah terima di {stop} sudah dicatat.",
    stopClosed: "{stop} sudah terlewati: kapal sudah melapor dari persinggahan sesudahnya.",
    arriveFirst: "Kode terbaca: {stop}. Catat Tiba dahulu; formulir serah terima terbuka sesudahnya.",
    lastReported: "Terakhir dilaporkan", nextStops: "Persinggahan berikutnya", laterStops: "Persinggahan selanjutnya ({n})",
    doneStops: "Sudah lewat ({n})", voyageDone: "Semua persinggahan perjalanan ini sudah dilaporkan.",
    stopNo: "Persinggahan {n}", tripNo: "perjalanan {n}", current: "sekarang",
    kind_depot: "Depo", kind_landing: "Pendaratan", kind_start: "Posisi awal",
    access_berth: "sandar di dermaga", access_tender: "dengan perahu kecil", access_depot: "di depo",
    plannedArrival: "Rencana tiba", plannedDeparture: "Rencana berangkat",
    cargo: "{tps} TPS · {boxes} kotak suara", tpsN: "{n} TPS", boxesN: "{n} kotak suara",
    handsOver: "Serah terima di sini", consignment: "kiriman {id}",
    oneHandover: "Satu serah terima mencakup semua desa di persinggahan ini; kode QR kiriman mana pun dari persinggahan ini membukanya.",
    skipAhead: "Melapor di sini menutup persinggahan sebelumnya yang belum dilaporkan.",
    choose: "Lapor di persinggahan ini", complete: "Selesai", skipped: "tidak dilaporkan",
    done_server: "tercatat di server", done_sent: "terkirim", done_pending: "belum terkirim",
    formAt: "Waktu kejadian: {time}", receiverName: "Nama penerima", receiverPosition: "Jabatan penerima",
    receiverHint: "Contoh: Ketua PPS Desa …", boxesField: "Kotak suara diterima", condition: "Kondisi",
    condition_good: "Baik", condition_damaged: "Rusak", reason: "Alasan", reasonHint: "Contoh: gelombang tinggi",
    field: "Isian {name}", fromCode: "Dari kode QR: kiriman {id}, {boxes} kotak suara",
    required: "Wajib diisi: {field}.", boxesBad: "Jumlah kotak suara harus bilangan bulat 0 atau lebih.",
    save: "Simpan", cancel: "Batal",
    queue: "Antrean laporan", queueEmpty: "Belum ada laporan dari ponsel ini.",
    queueSummary: "{pending} belum terkirim · {sent} terkirim · {refused} ditolak",
    state_pending: "belum terkirim", state_sent: "terkirim", state_refused: "ditolak",
    tapped: "terjadi {time}", sentAt: "terkirim {time}", waitingKey: "menunggu kunci yang berlaku",
    refusedWhy: "Alasan: {reason}", sendNow: "Kirim sekarang", withdraw: "Batalkan laporan ini",
    sending: "Mengirim…", serverError: "Server belum menerima ({status}); dicoba lagi nanti.",
    receiverOf: "penerima {who}", conditionOf: "kondisi {c}", reasonOf: "alasan: {r}",
    saved: "{label} di {stop} disimpan di ponsel.",
    refuse_stop_passed: "persinggahan ini sudah terlewati: kapal sudah melapor dari persinggahan sesudahnya",
    refuse_before_previous_event: "waktunya lebih awal dari laporan kapal sebelumnya (periksa jam ponsel)",
    refuse_bad_transition: "langkah ini tidak sesuai urutan di persinggahan ini atau sudah dicatat",
    refuse_before_plan_start: "waktunya sebelum rencana dimulai (periksa jam ponsel)",
    refuse_in_the_future: "waktunya terlalu jauh di depan jam server (periksa jam ponsel)",
    refuse_unknown_vessel: "kapal ini tidak ada dalam rencana", refuse_unknown_stop: "persinggahan ini tidak ada dalam rencana",
    refuse_idempotency_conflict: "kunci laporan ini sudah dipakai untuk laporan lain",
    refuse_missing_field: "isian wajib tidak lengkap", refuse_other: "ditolak server ({status})",
  },
  en: {
    title: "Vessel field log",
    keyNeededTitle: "A field key is needed",
    keyNeeded: "Scan this vessel's field key QR code with the phone's camera, or paste the key or its link below.",
    key: "Field key",
    keyRefused: "The key was refused (unknown, revoked or expired). Reports stay on the phone; ask the planner for a new key QR code.",
    keyForbidden: "This key may not send reports for this vessel or plan. Reports stay on the phone; ask the planner for this vessel's field key QR code.",
    planLine: "Plan {plan} · {scenario}",
    online: "Online", onlineSince: "Online · data from the server {time}",
    offline: "No signal: reports are kept on the phone and sent when the signal returns.",
    savedVoyage: "Voyage as kept on the phone since {time}.",
    voyageMissing: "This phone has not kept the voyage yet: connect to the internet once to load it.",
    voyageNone: "This key opens no vessel's voyage: ask the planner for this vessel's field key QR code.",
    offlineReady: "ready to work without signal",
    scan: "Scan QR", scanTitle: "Scan a handover QR code", cameraStart: "Open camera",
    cameraStop: "Close camera", photo: "Take or pick a photo of the QR code", code: "Or type the code",
    codeOpen: "Open handover",
    cameraNone: "The camera cannot be opened here: take a photo of the code or type it.",
    scanning: "Point the camera at the QR code…", reading: "Reading the picture…",
    noCode: "No QR code could be read in this picture. Try again closer and in better light, or type the code.",
    badCode: "This is not a known handover code ({why}).",
    why_scheme: "it must start with ballot:handover?", why_missing: "no {key}", why_twice: "{key} given twice",
    why_version: "version {v} is not known", why_number: "{key} must be a whole number",
    otherVessel: "This code is for another vessel ({vessel}).", otherPlan: "This code is from another plan ({plan}).",
    noStop: "Stop {n} is not in this voyage or has no handover.",
    alreadyHanded: "The handover at {stop} is already recorded.",
    stopClosed: "{stop} is behind: the vessel has reported a later stop.",
    arriveFirst: "Code read: {stop}. Record the arrival first; the handover form opens after it.",
    lastReported: "Last reported", nextStops: "Next stops", laterStops: "Later stops ({n})",
    doneStops: "Behind ({n})", voyageDone: "Every stop of this voyage has been reported.",
    stopNo: "Stop {n}", tripNo: "trip {n}", current: "now",
    kind_depot: "Depot", kind_landing: "Landing", kind_start: "Starting position",
    access_berth: "alongside a pier", access_tender: "by small boat", access_depot: "at the depot",
    plannedArrival: "Planned arrival", plannedDeparture: "Planned departure",
    cargo: "{tps} TPS · {boxes} ballot boxes", tpsN: "{n} TPS", boxesN: "{n} ballot boxes",
    handsOver: "Handover here", consignment: "consignment {id}",
    oneHandover: "One handover covers every village at this stop; the QR code of any consignment of this stop opens it.",
    skipAhead: "Reporting here closes the earlier stops not reported.",
    choose: "Report at this stop", complete: "Done", skipped: "not reported",
    done_server: "recorded by the server", done_sent: "sent", done_pending: "not sent yet",
    formAt: "When it happened: {time}", receiverName: "Receiver's name", receiverPosition: "Receiver's position",
    receiverHint: "E.g. Chair of the PPS of …", boxesField: "Ballot boxes received", condition: "Condition",
    condition_good: "Good", condition_damaged: "Damaged", reason: "Reason", reasonHint: "E.g. high waves",
    field: "Field {name}", fromCode: "From the QR code: consignment {id}, {boxes} ballot boxes",
    required: "Required: {field}.", boxesBad: "The ballot boxes must be a whole number, 0 or more.",
    save: "Save", cancel: "Cancel",
    queue: "Report queue", queueEmpty: "No reports from this phone yet.",
    queueSummary: "{pending} not sent · {sent} sent · {refused} refused",
    state_pending: "not sent", state_sent: "sent", state_refused: "refused",
    tapped: "happened {time}", sentAt: "sent {time}", waitingKey: "waiting for a valid key",
    refusedWhy: "Reason: {reason}", sendNow: "Send now", withdraw: "Withdraw this report",
    sending: "Sending…", serverError: "The server did not take it yet ({status}); will try again.",
    receiverOf: "received by {who}", conditionOf: "condition {c}", reasonOf: "reason: {r}",
    saved: "{label} at {stop} kept on the phone.",
    refuse_stop_passed: "this stop is behind: the vessel has reported a later stop",
    refuse_before_previous_event: "its time is before the vessel's previous report (check the phone's clock)",
    refuse_bad_transition: "this step is out of order at this stop, or already recorded",
    refuse_before_plan_start: "its time is before the plan starts (check the phone's clock)",
    refuse_in_the_future: "its time is too far ahead of the server's clock (check the phone's clock)",
    refuse_unknown_vessel: "this vessel is not in the plan", refuse_unknown_stop: "this stop is not in the plan",
    refuse_idempotency_conflict: "this report's key was used for another report",
    refuse_missing_field: "a required field is missing", refuse_other: "refused by the server ({status})",
  },
});

const state = {
  lang: storedLang(),
  voyage: null, // the last answer of GET /field/voyage
  savedAt: null, // when that answer was kept
  fresh: false, // whether it came from the server in this session
  actions: [], // the queue, oldest first
  online: navigator.onLine,
  sending: false,
  inFlight: null, // seq of the action being sent
  keyProblem: null, // a TEXT key: why the key does not serve
  focus: null, // a stop brought forward by a scanned code or by hand
  drafts: {}, // stop index -> what a scanned code says ({consignment, boxes})
  notice: null,
  offlineReady: false,
  camera: null,
};
const { t, fill, num } = translator(TEXT, () => state.lang);

// --- local time (WIB) -----------------------------------------------------------------------------

// "Sen, 12 Feb 08.30 WIB" / "Mon, 12 Feb 08:30 WIB".
const wib = (iso) => wibWithDay(iso, state.lang);

// --- the key --------------------------------------------------------------------------------------

const storedKey = () => keptKey(KEY_ITEM);

// A key from the link's fragment (#key=...) is kept on the phone and taken out of the address bar.
function takeKeyFromLink() {
  const key = new URLSearchParams(location.hash.slice(1)).get("key");
  if (!key) return;
  history.replaceState(null, "", location.pathname + location.search);
  setKey(key.trim());
}

function setKey(key) {
  if (key && key !== storedKey()) {
    localStorage.setItem(KEY_ITEM, key);
    forgetVoyage();
  }
  state.keyProblem = null;
}

// A key pasted as itself or as the link that carries it.
function keyFromInput(text) {
  const value = text.trim();
  const at = value.indexOf("#");
  if (at >= 0) return new URLSearchParams(value.slice(at + 1)).get("key") || "";
  return value;
}

// --- the queue on the phone (IndexedDB) -----------------------------------------------------------

async function refreshActions() {
  state.actions = (await loadActions()).sort((a, b) => a.seq - b.seq);
}

// --- the voyage -----------------------------------------------------------------------------------

function keptVoyage() {
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

function forgetVoyage() {
  localStorage.removeItem(VOYAGE_ITEM);
  state.voyage = null;
  state.focus = null;
  if ("caches" in window) caches.open(DATA_CACHE).then((c) => c.delete("/field/voyage")).catch(() => {});
}

async function loadVoyage() {
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
const eventType = (type) => eventTypes().find((e) => e.type === type) || { type, required: [] };
const isNote = (type) => Boolean(eventType(type).note) || type === "delayed";

function label(type) {
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

function progress() {
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

function render() {
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
function renderNet() {
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

function renderNotice() {
  const box = $("notice");
  const text = state.notice ? state.notice() : !state.voyage && storedKey() && !state.keyProblem ? t("voyageMissing") : "";
  box.hidden = !text;
  box.textContent = text;
}

function stopTitle(s, i) {
  return `${fill("stopNo", { n: i })} · ${s.name || s.id}`;
}

function stopFacts(s) {
  const facts = [t(`kind_${s.kind}`)];
  if (s.island_name) facts.push(s.island_name);
  if (s.trip) facts.push(fill("tripNo", { n: s.trip }));
  if (TEXT.id[`access_${s.access}`] && s.kind !== "depot") facts.push(t(`access_${s.access}`));
  return facts.join(" · ");
}

function manifestList(s) {
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

function detailText(type, d) {
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

function renderQueue() {
  const mine = state.actions;
  $("queue-box").hidden = !state.voyage && !mine.length;
  const count = (s) => mine.filter((a) => a.state === s).length;
  $("queue-summary").textContent = mine.length
    ? fill("queueSummary", { pending: count("pending"), sent: count("sent"), refused: count("refused") })
    : t("queueEmpty");
  $("send-now").hidden = !count("pending");
  $("send-now").disabled = state.sending;
  const lastPending = [...mine].reverse().find((a) => a.state === "pending");
  $("queue").replaceChildren(...[...mine].reverse().map((a) => queueItem(a, a === lastPending)));
}

// Why the server refused an action, in the page's language where its code is known (the
// server's own message, in English, otherwise).
function refusalText(a) {
  if (TEXT.id[`refuse_${a.code}`]) return t(`refuse_${a.code}`);
  return a.reason || fill("refuse_other", { status: a.status });
}

function queueItem(a, withdrawable) {
  const stop = state.voyage && state.voyage.stops[a.body.stop];
  const where = stop ? stopTitle(stop, a.body.stop) : fill("stopNo", { n: a.body.stop });
  const item = h(
    "li",
    {
      class: `action state-${a.state}`, "data-seq": a.seq, "data-state": a.state, "data-type": a.body.type,
      "data-stop": a.body.stop, "data-at": a.body.at, "data-idem": a.idempotency_key,
    },
    h("span", { class: "badge" }, t(`state_${a.state}`)),
    h("b", {}, ` ${label(a.body.type)}`),
    ` · ${where}`,
    h("span", { class: "when" }, fill("tapped", { time: wib(a.body.at) })),
    a.sent_at ? h("span", { class: "when" }, fill("sentAt", { time: wib(a.sent_at) })) : null,
  );
  const details = detailText(a.body.type, a.body);
  if (details) item.append(h("span", { class: "details" }, details));
  if (a.state === "refused") item.append(h("p", { class: "reason" }, fill("refusedWhy", { reason: refusalText(a) })));
  if (a.state === "pending" && a.waiting) item.append(h("p", { class: "reason" }, fill(a.waiting, a)));
  if (withdrawable && !state.sending) {
    item.append(h("button", { type: "button", class: "secondary withdraw", onclick: () => withdraw(a) }, t("withdraw")));
  }
  return item;
}

// --- recording ------------------------------------------------------------------------------------

function tapStep(i, type) {
  const at = nowIso(); // when it happened: the moment of the tap
  const required = eventType(type).required || [];
  if (required.length) openForm(i, type, at);
  else record(i, type, at, {});
}

// A random UUID (v4) for an Idempotency-Key; crypto.randomUUID exists only in a secure context
// (HTTPS or localhost), getRandomValues everywhere.
function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function record(i, type, at, details) {
  const v = state.voyage;
  const action = {
    idempotency_key: newKey(),
    plan_id: v.plan_id,
    url: v.events_url || `/plans/${encodeURIComponent(v.plan_id)}/events`,
    body: { vessel_id: v.vessel_id, stop: i, type, at, ...details },
    state: "pending",
    created_at: at,
  };
  await addAction(action); // on the phone before anything else: nothing is lost
  await refreshActions();
  if (type !== "delayed" && state.focus !== null && state.focus <= i) state.focus = null;
  const stopName = stopTitle(v.stops[i], i);
  state.notice = () => fill("saved", { label: label(type), stop: stopName });
  render();
  afterStep(i, type);
  sendQueue();
}

// A scanned code waits at its stop for the arrival; once arrived, its handover opens.
function afterStep(i, type) {
  if (type !== "arrived" || !state.drafts[i]) return;
  const p = progress();
  if (p.next(i) === "handed_over") tapStep(i, "handed_over");
}

async function withdraw(a) {
  if (state.inFlight === a.seq || a.state !== "pending") return;
  await deleteAction(a.seq);
  await refreshActions();
  render();
}

// --- the form of a step with details (handover, delay) --------------------------------------------

let formContext = null;

function openForm(i, type, at) {
  const v = state.voyage;
  const s = v.stops[i];
  formContext = { i, type, at };
  $("form-title").textContent = `${label(type)} · ${stopTitle(s, i)}`;
  $("form-stop").textContent = `${stopFacts(s)} · ${fill("formAt", { time: wib(at) })}`;
  const draft = state.drafts[i];
  const manifest = $("form-manifest");
  manifest.replaceChildren();
  if (type === "handed_over") {
    if (draft) manifest.append(h("p", { class: "from-code" }, fill("fromCode", { id: draft.consignment, boxes: num(draft.boxes) })));
    manifest.append(h("p", { class: "label" }, t("handsOver")), manifestList(s));
    if ((s.manifest || []).length > 1) manifest.append(h("p", { class: "hint" }, t("oneHandover")));
  }
  $("form-fields").replaceChildren(...(eventType(type).required || []).map((name) => formField(name, s, draft)));
  $("form-error").hidden = true;
  $("form-dialog").showModal();
  const first = $("form-fields").querySelector("input:not([type=radio]), textarea");
  if (first) first.focus();
}

function formField(name, s, draft) {
  if (name === "receiver") {
    return h(
      "div",
      { class: "group" },
      h("label", { for: "f-receiver-name" }, t("receiverName")),
      h("input", { id: "f-receiver-name", name: "receiver_name", type: "text", required: true, maxlength: 120, autocomplete: "name" }),
      h("label", { for: "f-receiver-position" }, t("receiverPosition")),
      h("input", { id: "f-receiver-position", name: "receiver_position", type: "text", required: true, maxlength: 70, placeholder: t("receiverHint") }),
    );
  }
  if (name === "boxes") {
    const boxes = draft ? draft.boxes : s.ballot_boxes;
    return h(
      "div",
      { class: "group" },
      h("label", { for: "f-boxes" }, t("boxesField")),
      h("input", { id: "f-boxes", name: "boxes", type: "number", inputmode: "numeric", min: 0, step: 1, required: true, value: boxes ?? "" }),
    );
  }
  if (name === "condition") {
    const choice = (c) =>
      h(
        "label",
        { class: "choice" },
        h("input", { type: "radio", name: "condition", value: c, checked: c === "good" }),
        h("span", {}, t(`condition_${c}`)),
      );
    return h("fieldset", { class: "group" }, h("legend", {}, t("condition")), choice("good"), choice("damaged"));
  }
  if (name === "reason") {
    return h(
      "div",
      { class: "group" },
      h("label", { for: "f-reason" }, t("reason")),
      h("textarea", { id: "f-reason", name: "reason", rows: 3, required: true, maxlength: 500, placeholder: t("reasonHint") }),
    );
  }
  return h(
    "div",
    { class: "group" },
    h("label", { for: `f-${name}` }, fill("field", { name })),
    h("input", { id: `f-${name}`, name, type: "text", required: true, maxlength: 200 }),
  );
}

// The details the form gives, or the first problem with them.
function formDetails(form, required) {
  const data = new FormData(form);
  const value = (k) => String(data.get(k) || "").trim();
  const details = {};
  for (const name of required) {
    if (name === "receiver") {
      const who = value("receiver_name");
      const position = value("receiver_position");
      if (!who) return { error: fill("required", { field: t("receiverName") }) };
      if (!position) return { error: fill("required", { field: t("receiverPosition") }) };
      details.receiver = who;
      details.receiver_position = position;
    } else if (name === "boxes") {
      const n = value("boxes");
      if (!/^\d+$/.test(n)) return { error: t("boxesBad") };
      details.boxes = Number(n);
    } else if (name === "condition") {
      details.condition = value("condition") || "good";
    } else {
      if (!value(name)) return { error: fill("required", { field: name === "reason" ? t("reason") : name }) };
      details[name] = value(name);
    }
  }
  return { details };
}

async function saveForm(event) {
  event.preventDefault();
  if (!formContext) return;
  const { i, type, at } = formContext;
  const { details, error } = formDetails($("step-form"), eventType(type).required || []);
  if (error) {
    $("form-error").textContent = error;
    $("form-error").hidden = false;
    return;
  }
  formContext = null;
  $("form-dialog").close();
  if (type === "handed_over") delete state.drafts[i];
  await record(i, type, at, details);
}

function cancelForm() {
  formContext = null;
  $("form-dialog").close();
}

// --- sending, in order --------------------------------------------------------------------------

function setOnline(online) {
  if (state.online === online) return;
  state.online = online;
  renderNet();
}

// One round: every action still pending, oldest first. A refusal (409, 422, ...) marks that action
// refused and goes on; a network failure or a server error ends the round (tried again later).
async function sendQueue() {
  if (state.sending || !storedKey()) return;
  const run = () => sendRound();
  if (navigator.locks) await navigator.locks.request("ballot-field-send", { ifAvailable: true }, (lock) => (lock ? run() : null));
  else await run();
}

async function sendRound() {
  state.sending = true;
  let sent = 0;
  try {
    await refreshActions();
    for (const { seq } of state.actions.filter((a) => a.state === "pending")) {
      const action = await getAction(seq); // withdrawn meanwhile?
      if (!action || action.state !== "pending") continue;
      const outcome = await sendOne(action);
      if (outcome === "stop") break;
      if (outcome === "sent") sent += 1;
    }
  } finally {
    state.sending = false;
    state.inFlight = null;
    await refreshActions();
    render();
  }
  if (sent) {
    await loadVoyage();
    render();
  }
}

async function sendOne(action) {
  state.inFlight = action.seq;
  let response;
  try {
    response = await fetch(action.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-API-Key": storedKey(),
        "Idempotency-Key": action.idempotency_key, // the same on every try: never recorded twice
      },
      body: JSON.stringify(action.body),
      cache: "no-store",
    });
  } catch {
    setOnline(false);
    return "stop";
  }
  setOnline(true);
  if (response.ok) {
    state.keyProblem = null;
    const stored = await response.json().catch(() => ({}));
    await putAction({ ...action, state: "sent", sent_at: new Date().toISOString(), event_id: stored.id ?? null, waiting: null });
    return "sent";
  }
  const problem = await readProblem(response);
  // This report may never be posted with this key (another vessel's or another plan's stop):
  // refused, like a 409, so that it does not hold up the rest.
  const notForThisKey = response.status === 403 && ["other_vessel", "other_plan"].includes(problem.code);
  if (!notForThisKey && (response.status === 401 || response.status === 403)) {
    state.keyProblem = response.status === 401 ? "keyRefused" : "keyForbidden";
    await putAction({ ...action, waiting: "waitingKey" });
    return "stop";
  }
  if (response.status >= 400 && response.status < 500 && ![408, 425, 429].includes(response.status)) {
    await putAction({ ...action, state: "refused", status: response.status, code: problem.code, reason: problem.message || String(response.status), waiting: null });
    return "refused";
  }
  await putAction({ ...action, waiting: "serverError", status: response.status });
  return "stop";
}

// --- QR codes -------------------------------------------------------------------------------------

// The reader of routing.outputs.papers.handover_payload's text; {error} names the first problem.
function parseHandover(text) {
  const { code, problem, values } = handoverCode(text);
  return problem ? { error: fill(problem, values) } : { code };
}

function openCode(text) {
  if (!state.voyage) return scanStatus(t("voyageMissing"));
  const { code, error } = parseHandover(text);
  if (error) return scanStatus(fill("badCode", { why: error }));
  const v = state.voyage;
  if (code.vessel !== v.vessel_id) return scanStatus(fill("otherVessel", { vessel: code.vessel }));
  if (code.plan !== v.plan_id) return scanStatus(fill("otherPlan", { plan: code.plan }));
  const s = v.stops[code.stop];
  if (!s || !s.steps.includes("handed_over")) return scanStatus(fill("noStop", { n: code.stop }));
  const p = progress();
  const where = stopTitle(s, code.stop);
  if (p.done[code.stop].includes("handed_over")) return scanStatus(fill("alreadyHanded", { stop: where }));
  if (p.last > code.stop) return scanStatus(fill("stopClosed", { stop: where }));
  closeScanner();
  state.drafts[code.stop] = { consignment: code.consignment, boxes: code.boxes };
  focusStop(code.stop);
  if (p.next(code.stop) === "handed_over") tapStep(code.stop, "handed_over");
  else {
    state.notice = () => fill("arriveFirst", { stop: where });
    renderNotice();
  }
  return null;
}

function focusStop(i) {
  state.focus = i;
  render();
  const card = $(`stop-${i}`);
  if (card) card.scrollIntoView({ block: "start" });
}

function scanStatus(text) {
  $("scan-status").textContent = text;
  return text;
}

function openScanner() {
  $("scan-box").hidden = false;
  scanStatus("");
  $("camera-start").hidden = !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  $("scan-box").scrollIntoView({ block: "start" });
}

function closeScanner() {
  stopCamera();
  $("scan-box").hidden = true;
  $("code").value = "";
}

async function readPhoto(file) {
  if (!file) return;
  scanStatus(t("reading"));
  let text = null;
  try {
    const bitmap = await createImageBitmap(file);
    text = await decodeImage(bitmap, bitmap.width, bitmap.height, await qrDetector());
    bitmap.close();
  } catch {
    text = null;
  }
  $("photo").value = "";
  if (!text) return scanStatus(t("noCode"));
  $("code").value = text;
  return openCode(text);
}

async function startCamera() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    const video = $("video");
    video.srcObject = stream;
    await video.play();
    state.camera = { stream, detector: await qrDetector(), timer: null };
    $("camera").hidden = false;
    $("camera-start").hidden = true;
    scanStatus(t("scanning"));
    scanFrame();
  } catch {
    stopCamera();
    scanStatus(t("cameraNone"));
  }
}

async function scanFrame() {
  const camera = state.camera;
  if (!camera) return;
  const video = $("video");
  let text = null;
  if (video.videoWidth) {
    text = await decodeImage(video, video.videoWidth, video.videoHeight, camera.detector).catch(() => null);
  }
  if (state.camera !== camera) return;
  if (text && !openCode(text)) return;
  camera.timer = setTimeout(scanFrame, 250);
}

function stopCamera() {
  const camera = state.camera;
  state.camera = null;
  if (camera) {
    clearTimeout(camera.timer);
    for (const track of camera.stream.getTracks()) track.stop();
  }
  $("video").srcObject = null;
  $("camera").hidden = true;
  $("camera-start").hidden = !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

// --- offline: the service worker --------------------------------------------------------------

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("/field/sw.js", { scope: "/field" });
    await navigator.serviceWorker.ready;
    state.offlineReady = true;
    document.body.dataset.offlineReady = "true";
    renderNet();
  } catch {
    /* the page still works online; only opening it without signal needs the worker */
  }
}

// --- start ----------------------------------------------------------------------------------------

function bindControls() {
  for (const b of document.querySelectorAll(".lang button")) {
    b.addEventListener("click", () => {
      state.lang = b.dataset.lang;
      keepLang(state.lang);
      render();
    });
  }
  $("key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    setKey(keyFromInput($("key").value));
    $("key").value = "";
    await loadVoyage();
    render();
    sendQueue();
  });
  $("scan").addEventListener("click", openScanner);
  $("scan-close").addEventListener("click", closeScanner);
  $("camera-start").addEventListener("click", startCamera);
  $("camera-stop").addEventListener("click", stopCamera);
  $("photo").addEventListener("change", () => readPhoto($("photo").files[0]));
  $("code-form").addEventListener("submit", (event) => {
    event.preventDefault();
    openCode($("code").value);
  });
  $("step-form").addEventListener("submit", saveForm);
  $("form-cancel").addEventListener("click", cancelForm);
  $("form-dialog").addEventListener("cancel", () => (formContext = null));
  $("send-now").addEventListener("click", () => sendQueue());
  window.addEventListener("online", () => {
    setOnline(true);
    sendQueue().then(loadVoyage).then(render);
  });
  window.addEventListener("offline", () => setOnline(false));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") sendQueue();
  });
}

async function start() {
  takeKeyFromLink();
  const kept = keptVoyage();
  if (kept) {
    state.voyage = kept.voyage;
    state.savedAt = kept.saved_at;
  }
  bindControls();
  await refreshActions();
  render(); // what the phone keeps, at once, signal or not
  await loadVoyage();
  render();
  document.body.dataset.ready = "true";
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  registerWorker();
  sendQueue();
  setInterval(sendQueue, RETRY_MS);
  setInterval(() => loadVoyage().then(render), VOYAGE_REFRESH_MS);
}

// The page's words and its reading of a handover code, for the browser's console (and the page's
// tests).
Object.assign(globalThis, { TEXT, parseHandover });

start();
