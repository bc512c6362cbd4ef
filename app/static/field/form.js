// Recording a step at a stop: at once where it needs no details, else through its form (handover,
// delay); each report kept on the phone before it is sent.
import { $, h } from "../shared/dom.js";
import { nowIso } from "../shared/time.js";
import { addAction } from "./queue.js";
import { refreshActions, sendQueue } from "./send.js";
import { state } from "./state.js";
import { eventType, label, manifestList, progress, render, stopFacts, stopTitle } from "./voyage.js";
import { fill, num, t, wib } from "./words.js";

export function tapStep(i, type) {
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

// The form's buttons: save and cancel; the dialog closed otherwise (Esc, the back gesture)
// forgets it too.
export function bindForm() {
  $("step-form").addEventListener("submit", saveForm);
  $("form-cancel").addEventListener("click", cancelForm);
  $("form-dialog").addEventListener("cancel", () => (formContext = null));
}
