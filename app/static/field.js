// The field page: one vessel's voyage on a crew's phone. Offline first: every report is kept in
// IndexedDB with its own Idempotency-Key and the moment it was tapped, and sent in order when the
// network allows. No framework, no third-party code but the vendored QR decoder (jsQR).
// Its parts are modules of field/ (the voyage, the forms, the scanner, the queue and its sending);
// this one wires them together: the key, the service worker and the start.
import { $ } from "./shared/dom.js";
import { keepLang } from "./shared/text.js";
import { bindForm } from "./field/form.js";
import { closeScanner, openCode, openScanner, parseHandover, readPhoto, startCamera, stopCamera } from "./field/scan.js";
import { refreshActions, sendQueue, setOnline } from "./field/send.js";
import { KEY_ITEM, state, storedKey } from "./field/state.js";
import { forgetVoyage, keptVoyage, loadVoyage, render, renderNet } from "./field/voyage.js";
import { TEXT } from "./field/words.js";

const PARAMS = new URLSearchParams(location.search);
const RETRY_MS = Number(PARAMS.get("retry_ms")) || 15000; // a periodic try of the queue
const VOYAGE_REFRESH_MS = 60000;

// --- the key --------------------------------------------------------------------------------------

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
  bindForm();
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
