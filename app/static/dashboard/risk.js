// The dashboard's risk: the chance that the open plan holds, from Monte Carlo runs (POST
// /plans/{id}/risk): the board's risk columns, the runs' progress, and a district's histogram of
// completion times (histogram.js) with its percentiles and the stops most often late; and the
// closures on record replayed through the re-planner (closures: "history"): per episode and
// start day, the districts that would miss their deadline.
import { $, html } from "../shared/dom.js";
import { day as dayIn } from "../shared/time.js";
import { named } from "../shared/text.js";
import { drawBoard } from "./board.js";
import { drawChart } from "./histogram.js";
import { PARAMS, api, state } from "./state.js";
import { TEXT, districtName, fill, num, t, wib } from "./words.js";

// A risk run (Monte Carlo of the open plan): how many runs the button asks for, and how often
// the page reads the run's progress until it completes or fails.
const RISK_RUNS = Number(PARAMS.get("risk_runs")) || 1000;
const RISK_POLL_MS = Number(PARAMS.get("risk_poll_ms")) || 1000;
// A replay of the closures on record: the iterations of each of its re-plans.
const CLOSURES_ITERATIONS = Number(PARAMS.get("closures_iterations")) || 100;

const pct = (x) => (x === null || x === undefined ? "—" : `${num(x * 100, 1)} %`);
// A chance below 0.5 is marked low (red), below 0.8 moderate (amber): in words as well as colour.
const riskLevel = (x) => (x === null || x === undefined ? null : x < 0.5 ? "low" : x < 0.8 ? "mid" : null);
let riskTimer = null;

// The latest completed run's report for a district, if any.
export function riskOf(code) {
  const r = state.risk.report;
  return (r && r.result && (r.result.districts || []).find((d) => d.district_code === code)) || null;
}

export function riskCells(code) {
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
  $("closures-start").disabled = !state.plan || Boolean(r.active);
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

export function drawRisk() {
  drawRiskState();
  drawHistogram();
  drawClosures();
}

// The closures on record: an episode a row, a start day a column; a cell says whether every
// district still makes its deadline, or how many do not (their names and last handovers as its
// title).
function drawClosures() {
  const report = state.risk.closures;
  const box = $("closures-box");
  box.hidden = !report;
  if (!report) return;
  const result = report.result;
  const days = result.start_days || [];
  const table = $("closures");
  const head = table.tHead;
  head.replaceChildren();
  const hr = head.insertRow();
  hr.append(html("th", {}, t("closuresEpisode")), ...days.map((d) => html("th", { "data-day": d }, dayIn(`${d}T12:00:00+07:00`, state.lang))));
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const e of result.episodes) {
    const tr = body.insertRow();
    tr.dataset.episode = e.id;
    const name = (state.lang === "en" && e.name_en) || e.name;
    const th = html("th", { scope: "row" }, name);
    th.title = `${wib(e.began)} · ${fill("hours", { n: num(e.days * 24, 0) })} · ${e.areas.join(", ")} · ${num(e.wave_m)} m`;
    tr.append(th);
    for (const s of e.starts) {
      const td = tr.insertCell();
      td.dataset.day = s.day;
      if (s.error) {
        td.className = "late";
        td.textContent = "!";
        td.title = fill("closuresError", { why: s.error });
      } else if (!s.late.length) {
        td.className = "on-time";
        td.textContent = "\u2713";
        td.title = t("closuresAll");
      } else {
        td.className = "late";
        td.textContent = fill("closuresLate", { n: s.late.length });
        td.title = fill("closuresLateList", {
          names: s.late.map((d) => `${named(districtName(d.district_code, d.district_name), d.district_code)} (${d.last_handover ? wib(d.last_handover) : t("histNone")})`).join(", "),
        });
      }
      td.dataset.late = s.late.map((d) => d.district_code).join(" ");
    }
  }
  $("closures-state").textContent = fill("closuresDone", { time: wib(report.updated_at), n: result.episodes.length, days: days.length });
}

function stopRisk() {
  clearTimeout(riskTimer);
  riskTimer = null;
}

// The open plan's risk runs: the latest completed one's report fills the board; a run still going
// is followed; a newest run that failed says why.
export async function loadRisk(planId) {
  stopRisk();
  state.risk = { planId, report: null, closures: null, active: null, problem: null, district: null };
  drawRisk();
  try {
    const { body } = await api(`/plans/${planId}/risk`);
    if (state.risk.planId !== planId) return;
    const runs = body.risk_runs || [];
    // The board shows a Monte Carlo's chances; a replay of the closures on record has none.
    const done = runs.find((x) => x.phase === "completed" && !(x.options && x.options.closures));
    if (done) {
      const r = await api(`/risk/${done.id}`);
      if (state.risk.planId !== planId) return;
      if (r.body.result) state.risk.report = r.body;
    }
    const replayed = runs.find((x) => x.phase === "completed" && x.options && x.options.closures);
    if (replayed) {
      const r = await api(`/risk/${replayed.id}`);
      if (state.risk.planId !== planId) return;
      if (r.body.result && r.body.result.episodes) state.risk.closures = r.body;
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
    if (body.result && body.result.districts) state.risk.report = body;
    if (body.result && body.result.episodes) state.risk.closures = body;
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

export const startRisk = () => start({ runs: RISK_RUNS, seed: 0 });
export const startClosures = () => start({ closures: "history", replan_iterations: CLOSURES_ITERATIONS });

async function start(request) {
  if (!state.plan) return;
  const planId = state.plan.id;
  state.risk.problem = null;
  $("risk-start").disabled = true;
  $("closures-start").disabled = true;
  try {
    const r = await api(`/plans/${planId}/risk`, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify(request) });
    if (state.risk.planId === planId) followRisk(planId, r.body);
  } catch (e) {
    if (state.risk.planId === planId) state.risk.problem = riskRefusal(e);
  }
  drawRiskState();
}

// Open a district's histogram below the table (or close it: the same district again, or null).
export function toggleHistogram(code) {
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
