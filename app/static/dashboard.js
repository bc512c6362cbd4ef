// Dashboard: islands, plan routes and live status from the service's own API. No CDN, no tiles.
// The widgets are modules of dashboard/ (map, board, timeline, risk, the status stream); this one
// wires them together: the plans, the language switch and the start.
import { $, html, translatePage } from "./shared/dom.js";
import { keepLang } from "./shared/text.js";
import { drawBoard } from "./dashboard/board.js";
import { drawCapacity } from "./dashboard/capacity.js";
import { bindPanZoom, buildLabels, drawIslands, drawPlan, drawScale, mapBounds, resetView, titleIslands } from "./dashboard/map.js";
import { drawRobust } from "./dashboard/robust.js";
import { drawRisk, loadRisk, startClosures, startRisk, toggleHistogram } from "./dashboard/risk.js";
import { PARAMS, api, state, storedKey } from "./dashboard/state.js";
import { POLL_MS, askForKey, drawHeard, drawPath, follow, poll, setPath, stopStream } from "./dashboard/stream.js";
import { bindTimeline, drawTimeline } from "./dashboard/timeline.js";
import { TEXT, fill, num, t, wib } from "./dashboard/words.js";

const ACTIVE = ["queued", "building_matrix", "solving"];

function notice(text) {
  $("notice").textContent = text || "";
  $("notice").hidden = !text;
}

// --- plans -----------------------------------------------------------------------------------------

function drawOpenPlan() {
  if (!state.plan) return;
  drawPlan(state.plan, state.geo);
  drawTimeline(state.plan, state.timeline);
  drawBoard();
  drawCapacity();
  drawRobust();
}

async function openPlan(id) {
  const { body } = await api(`/plans/${id}`);
  drawPlanKind(body);
  if (!body.result) { notice(fill("noResult", { phase: t(`phase_${body.phase}`) })); return; }
  notice("");
  const plan = body.result.plan || body.result;
  state.underRisk = body.result.under_risk || null;  // a capacity plan asked with a target
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
  $("closures-start").addEventListener("click", startClosures);
  $("risk-close").addEventListener("click", () => toggleHistogram(null));
  bindPanZoom();
  bindTimeline();
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
