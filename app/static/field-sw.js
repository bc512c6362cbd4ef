// Service worker of the field page (served at /field/sw.js, scope /field): keeps the page, its
// script and the shared modules it imports, the text catalogue, its style and QR decoder, and the
// last voyage on the phone, so the page opens without signal.
// Reports (field events) are never handled here: the page keeps them in IndexedDB and sends them.
"use strict";

const SHELL_CACHE = "ballot-field-shell-v3"; // v3: the page's parts in modules of field/
const DATA_CACHE = "ballot-field-data-v1"; // the page clears it when its key changes
const SHELL = [
  "/field",
  "/static/field.js",
  "/static/field.css",
  "/static/field/form.js",
  "/static/field/qr.js",
  "/static/field/queue.js",
  "/static/field/scan.js",
  "/static/field/send.js",
  "/static/field/state.js",
  "/static/field/voyage.js",
  "/static/field/words.js",
  "/static/shared/text.js",
  "/static/shared/time.js",
  "/static/shared/api.js",
  "/static/shared/dom.js",
  "/static/text/catalogue.json",
  "/static/vendor/jsQR.js",
];
const VOYAGE = "/field/voyage";
const SHELL_WAIT_MS = 4000; // on a weak signal, the copy on the phone after this long
const VOYAGE_WAIT_MS = 8000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  const keep = new Set([SHELL_CACHE, DATA_CACHE]);
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => !keep.has(n)).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === VOYAGE) {
    event.respondWith(networkFirst(request, DATA_CACHE, VOYAGE, VOYAGE_WAIT_MS));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(networkFirst(request, SHELL_CACHE, url.pathname, SHELL_WAIT_MS));
  }
});

// The network's answer (kept for next time) or, when the network fails or is slow, the copy
// kept last time; a 503 problem when there is none.
async function networkFirst(request, cacheName, cacheKey, waitMs) {
  const cache = await caches.open(cacheName);
  const network = fetch(request).then(async (response) => {
    if (response.ok) await cache.put(cacheKey, response.clone());
    return response;
  });
  network.catch(() => {}); // a late failure after the kept copy was answered is no error
  try {
    return await withTimeout(network, waitMs);
  } catch (error) {
    const kept = await cache.match(cacheKey);
    if (kept) return markKept(kept);
    if (error && error.name === "Timeout") return network; // nothing kept: wait for the network
    return offlineProblem();
  }
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error("slow"), { name: "Timeout" })), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

// The kept copy, marked so that the page knows it did not come from the server just now.
function markKept(response) {
  const headers = new Headers(response.headers);
  headers.set("X-Field-Kept", "true");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function offlineProblem() {
  const body = {
    type: "about:blank",
    title: "Service Unavailable",
    status: 503,
    detail: "offline, and nothing kept on this phone",
    errors: [{ code: "offline", path: "", message: "offline, and nothing kept on this phone" }],
  };
  return new Response(JSON.stringify(body), {
    status: 503,
    headers: { "Content-Type": "application/problem+json" },
  });
}
