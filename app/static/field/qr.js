// QR codes on the field page: the handover code printed on the voyage papers, and reading a code
// from a camera frame or a photo (the browser's BarcodeDetector where it has one, else the
// vendored jsQR, loaded when first needed).

const HANDOVER_SCHEME = "ballot:handover";
const HANDOVER_KEYS = ["v", "plan", "vessel", "stop", "consignment", "boxes"];
const JSQR_URL = "/static/vendor/jsQR.js";

// The reader of routing.outputs.papers.handover_payload's text: {code}, or {problem, values}, the
// key of the words that name the first problem and what fills them in.
export function handoverCode(text) {
  const raw = String(text || "").trim();
  const q = raw.indexOf("?");
  if (q < 0 || raw.slice(0, q) !== HANDOVER_SCHEME) return { problem: "why_scheme", values: {} };
  const params = new URLSearchParams(raw.slice(q + 1));
  const code = {};
  for (const key of HANDOVER_KEYS) {
    const values = params.getAll(key);
    if (values.length > 1) return { problem: "why_twice", values: { key } };
    if (!values.length || !values[0]) return { problem: "why_missing", values: { key } };
    code[key] = values[0];
  }
  if (code.v !== "1") return { problem: "why_version", values: { v: code.v } };
  for (const key of ["stop", "boxes"]) {
    if (!/^\d+$/.test(code[key])) return { problem: "why_number", values: { key } };
    code[key] = Number(code[key]);
  }
  return { code };
}

let jsqrPromise = null;
function loadJsQr() {
  jsqrPromise ||= new Promise((resolve, reject) => {
    if (window.jsQR) return resolve(window.jsQR);
    const script = document.createElement("script");
    script.src = JSQR_URL;
    script.onload = () => resolve(window.jsQR);
    script.onerror = () => {
      jsqrPromise = null;
      reject(new Error("jsQR"));
    };
    document.head.append(script);
  });
  return jsqrPromise;
}

// A BarcodeDetector for QR codes where the browser has one, else null (jsQR then).
export async function qrDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch {
    return null;
  }
}

// The QR text in a picture (a camera frame or a photo) drawn on a canvas with a white margin.
export async function decodeImage(source, width, height, detector) {
  if (detector) {
    try {
      const found = await detector.detect(source);
      if (found.length) return found[0].rawValue;
    } catch {
      /* jsQR below */
    }
  }
  const jsQR = await loadJsQr();
  const scale = Math.min(1, 1280 / Math.max(width, height));
  const w = Math.round(width * scale);
  const hgt = Math.round(height * scale);
  const margin = Math.round(Math.max(w, hgt) * 0.1);
  const canvas = document.createElement("canvas");
  canvas.width = w + 2 * margin;
  canvas.height = hgt + 2 * margin;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(source, margin, margin, w, hgt);
  const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const found = jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
  return found ? found.data : null;
}
