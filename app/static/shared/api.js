// The service's API as the pages call it: with the key kept on the device (X-API-Key).

// The key kept under `item` ("" for none).
export const storedKey = (item) => localStorage.getItem(item) || "";

// The answer to a request with `key`: {status, body, etag}, {status: 304} for no change; an
// answer other than 2xx is thrown as an Error with its status and problem.
export async function api(path, key, opts = {}) {
  const headers = { ...(opts.headers || {}), "X-API-Key": key };
  const r = await fetch(path, { ...opts, headers });
  if (r.status === 304) return { status: 304 };
  const type = r.headers.get("content-type") || "";
  const body = type.includes("json") ? await r.json() : await r.text();
  if (!r.ok) throw Object.assign(new Error(body.detail || r.statusText), { status: r.status, problem: body });
  return { status: r.status, body, etag: r.headers.get("ETag") };
}

// The first error's code and message of a problem answer (RFC 9457 with errors[]).
export async function readProblem(response) {
  try {
    const body = await response.json();
    const first = body.errors && body.errors[0];
    return { code: (first && first.code) || "", message: (first && first.message) || body.detail || "" };
  } catch {
    return { code: "", message: response.statusText || String(response.status) };
  }
}
