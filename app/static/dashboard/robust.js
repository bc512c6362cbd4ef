// The dashboard's robust plan (a plan asked with target_on_time): how it was found and what it
// holds. Each district's simulated chance on time against the target (on seas the search never
// met, beside its estimate in the search), and for one below it the best any candidate reached and
// what would reach it; and every candidate the search tried on the same seas (its lever, cost,
// ship-hours and chances, and its check where it was checked), the chosen one marked.
import { $, html } from "../shared/dom.js";
import { named } from "../shared/text.js";
import { day as dayIn } from "../shared/time.js";
import { state } from "./state.js";
import { districtName, fill, num, t } from "./words.js";

const pct = (x) => (x === null || x === undefined ? "—" : `${num(x * 100, 1)} %`);

function vesselShown(id) {
  const v = (state.plan.voyages || []).find((x) => x.vessel_id === id);
  return named((v && v.vessel_name) || (state.plan.robust.vessel_names || {})[id], id);
}

// What a candidate changed, in the chosen language: its detail holds what every lever pulled so
// far (an earlier start keeps the round of deadlines or the vessels it was added to; the combined
// candidate, every lever that helped).
export function leverWords(c) {
  const d = c.detail || {};
  const parts = [];
  if (d.round !== undefined) parts.push(fill("robust_buffers", { round: d.round }));
  else if (c.lever === "combined" && d.planned_for && Object.keys(d.planned_for).length) parts.push(t("robust_combined"));
  if (d.districts && d.districts.length) {
    parts.push(fill("robust_dispatch", { districts: d.districts.map((c) => districtName(c)).join(", ") }));
  }
  if (d.added && d.added.length) parts.push(fill("robust_vessels", { vessels: d.added.map(vesselShown).join(", ") }));
  if (d.earlier_days) {
    parts.push(fill("robust_start", { k: d.earlier_days, day: dayIn(d.planning_start, state.lang) }));
  }
  return parts.length ? parts.join("; ") : t("robust_as_is");
}

export function drawRobust() {
  const r = state.plan && state.plan.robust;
  $("robust-box").hidden = !r;
  if (!r) return;
  const chosen = r.candidates[r.chosen];
  // A plan made before checks says only the search's runs.
  $("robust-state").textContent = fill(r.check_runs ? "robustStateChecked" : "robustState", {
    target: pct(r.target_on_time),
    climate: t(`climate_${r.climate}`),
    runs: num(r.runs, 0),
    seed: r.seed,
    check_runs: num(r.check_runs ?? 0, 0),
    check_seed: r.check_seed,
    check_bar: pct(r.check_bar),
    every: pct(r.every_district_on_time),
    how: leverWords(chosen),
  });
  const below = Object.fromEntries(r.below_target.map((b) => [b.district_code, b]));
  const body = $("robust-districts").tBodies[0];
  body.replaceChildren();
  for (const d of r.districts) {
    const tr = body.insertRow();
    tr.dataset.district = d.district_code;
    const b = below[d.district_code];
    tr.className = b ? "robust-below" : "robust-met";
    tr.insertCell().append(`${districtName(d.district_code, d.district_name)} `, html("span", { class: "code" }, d.district_code));
    tr.insertCell().textContent = pct(d.on_time);
    tr.insertCell().textContent = pct(d.searched);
    tr.insertCell().textContent = pct(d.by_h5);
    const what = tr.insertCell();
    if (!b) { what.textContent = t("robustMet"); continue; }
    const reach = b.would_reach.map((x) => fill("robustCandidate", { n: x.candidate, what: leverWords(x) }));
    what.textContent = fill("robustBest", { p: pct(b.best_on_time), n: b.best_candidate, how: leverWords(r.candidates[b.best_candidate]) })
      + " " + (reach.length ? fill("robustReach", { which: reach.join("; ") }) : fill(b.best_on_time >= r.target_on_time ? "robustNoMargin" : "robustNoReach", { target: pct(r.target_on_time) }));
  }
  const rows = $("robust-candidates").tBodies[0];
  rows.replaceChildren();
  r.candidates.forEach((c, i) => {
    const tr = rows.insertRow();
    tr.dataset.candidate = i;
    if (i === r.chosen) tr.className = "robust-chosen";
    tr.insertCell().textContent = i === r.chosen ? `${i} (${t("capChosen")})` : String(i);
    const lever = tr.insertCell();
    lever.dataset.lever = c.lever;
    lever.textContent = leverWords(c);
    tr.insertCell().textContent = num(c.cost_idr / 1e6, 0);
    tr.insertCell().textContent = num(c.ship_hours, 1);
    tr.insertCell().textContent = pct(c.every_district_on_time);
    tr.insertCell().textContent = pct(c.least_on_time);
    tr.insertCell().textContent = c.meets_target ? t("yes") : t("no");
    const check = tr.insertCell();
    check.textContent = c.check
      ? fill("robustCheckCell", { least: pct(c.check.least_on_time), meets: t(c.check.meets_target ? "yes" : "no") })
      : "—";
  });
}
