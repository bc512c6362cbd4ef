// Following the open plan's status: by the server's stream (SSE) where it can, else by polling;
// the badge that says which, when the server was last heard from, and each new status drawn on
// the board and the map. Its state: state.path, stream, lastEventId, retry, etag, version and
// heardAt.
import { $ } from "../shared/dom.js";
import { drawBoard, loadEvents } from "./board.js";
import { recolour } from "./map.js";
import { drawTimeline } from "./timeline.js";
import { PARAMS, api, state, storedKey } from "./state.js";
import { fill, num, t, wib } from "./words.js";

export const POLL_MS = Number(PARAMS.get("poll_ms")) || 3000;
// The status comes by the server's stream (SSE) where it can; polling takes over when the stream
// fails (an answer other than 200, a network error, or nothing heard for STREAM_IDLE_MS: the
// server sends a keep-alive every 15 s), and the stream is tried again after STREAM_RETRY_MS.
const STREAM_IDLE_MS = Number(PARAMS.get("stream_idle_ms")) || 40000;
const STREAM_RETRY_MS = Number(PARAMS.get("stream_retry_ms")) || 30000;

// An ETag's value without W/ and quotes: the stream's event id for the same status.
const tagValue = (tag) => (tag ? tag.replace(/^W\//, "").replace(/^"|"$/g, "") : null);

// The moment the server was last heard from, kept so that a change of language redraws it.
function heard() {
  state.heardAt = new Date().toISOString();
  drawHeard();
  $("offline").hidden = true;
}

export function drawHeard() {
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
  if (state.plan && state.plan.sailings && state.plan.sailings.length) drawTimeline(state.plan, state.timeline);  // a sailing's delay
}

export async function poll() {
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
export function askForKey() {
  $("key-prompt").dataset.i18n = "keyRefused";
  $("key-prompt").textContent = t("keyRefused");
  $("key-prompt").hidden = false;
  $("key").focus();
}

export function drawPath() {
  const node = $("path");
  node.hidden = !state.path;
  if (!state.path) return;
  node.dataset.path = state.path;
  node.className = `badge path-${state.path}`;
  node.textContent = state.path === "stream" ? t("live") : fill("polling", { s: num(POLL_MS / 1000) });
  node.title = state.path === "stream" ? t("liveNote") : t("pollingNote");
}

export function setPath(path) {
  state.path = path;
  drawPath();
}

export function stopStream() {
  clearTimeout(state.retry);
  if (state.stream) state.stream.abort();
  state.stream = null;
}

// Follow the open plan's status: by its stream where the browser can read one, else by polling.
export function follow() {
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
