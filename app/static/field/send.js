// The reports kept on the phone as the page lists them (Send now, withdraw the last one not sent),
// and sending them in order, each with its own Idempotency-Key.
import { readProblem } from "../shared/api.js";
import { $, h } from "../shared/dom.js";
import { deleteAction, getAction, loadActions, putAction } from "./queue.js";
import { state, storedKey } from "./state.js";
import { detailText, label, loadVoyage, render, renderNet, stopTitle } from "./voyage.js";
import { TEXT, fill, t, wib } from "./words.js";

export async function refreshActions() {
  state.actions = (await loadActions()).sort((a, b) => a.seq - b.seq);
}

export function renderQueue() {
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

async function withdraw(a) {
  if (state.inFlight === a.seq || a.state !== "pending") return;
  await deleteAction(a.seq);
  await refreshActions();
  render();
}

// --- sending, in order --------------------------------------------------------------------------

export function setOnline(online) {
  if (state.online === online) return;
  state.online = online;
  renderNet();
}

// One round: every action still pending, oldest first. A refusal (409, 422, ...) marks that action
// refused and goes on; a network failure or a server error ends the round (tried again later).
export async function sendQueue() {
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
