// Scanning a handover QR code (qr.js reads it): with the camera, from a photo, or typed. A code of
// this voyage brings its stop forward and opens its handover once the vessel has arrived there.
import { $ } from "../shared/dom.js";
import { tapStep } from "./form.js";
import { decodeImage, handoverCode, qrDetector } from "./qr.js";
import { state } from "./state.js";
import { focusStop, progress, renderNotice, stopTitle } from "./voyage.js";
import { fill, t } from "./words.js";

// The reader of routing.outputs.papers.handover_payload's text; {error} names the first problem.
export function parseHandover(text) {
  const { code, problem, values } = handoverCode(text);
  return problem ? { error: fill(problem, values) } : { code };
}

export function openCode(text) {
  if (!state.voyage) return scanStatus(t("voyageMissing"));
  const { code, error } = parseHandover(text);
  if (error) return scanStatus(fill("badCode", { why: error }));
  const v = state.voyage;
  if (code.vessel !== v.vessel_id) return scanStatus(fill("otherVessel", { vessel: code.vessel }));
  if (code.plan !== v.plan_id) return scanStatus(fill("otherPlan", { plan: code.plan }));
  const s = v.stops[code.stop];
  if (!s || !s.steps.includes("handed_over")) return scanStatus(fill("noStop", { n: code.stop }));
  const p = progress();
  const where = stopTitle(s, code.stop);
  if (p.done[code.stop].includes("handed_over")) return scanStatus(fill("alreadyHanded", { stop: where }));
  if (p.last > code.stop) return scanStatus(fill("stopClosed", { stop: where }));
  closeScanner();
  state.drafts[code.stop] = { consignment: code.consignment, boxes: code.boxes };
  focusStop(code.stop);
  if (p.next(code.stop) === "handed_over") tapStep(code.stop, "handed_over");
  else {
    state.notice = () => fill("arriveFirst", { stop: where });
    renderNotice();
  }
  return null;
}

function scanStatus(text) {
  $("scan-status").textContent = text;
  return text;
}

export function openScanner() {
  $("scan-box").hidden = false;
  scanStatus("");
  $("camera-start").hidden = !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  $("scan-box").scrollIntoView({ block: "start" });
}

export function closeScanner() {
  stopCamera();
  $("scan-box").hidden = true;
  $("code").value = "";
}

export async function readPhoto(file) {
  if (!file) return;
  scanStatus(t("reading"));
  let text = null;
  try {
    const bitmap = await createImageBitmap(file);
    text = await decodeImage(bitmap, bitmap.width, bitmap.height, await qrDetector());
    bitmap.close();
  } catch {
    text = null;
  }
  $("photo").value = "";
  if (!text) return scanStatus(t("noCode"));
  $("code").value = text;
  return openCode(text);
}

export async function startCamera() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    const video = $("video");
    video.srcObject = stream;
    await video.play();
    state.camera = { stream, detector: await qrDetector(), timer: null };
    $("camera").hidden = false;
    $("camera-start").hidden = true;
    scanStatus(t("scanning"));
    scanFrame();
  } catch {
    stopCamera();
    scanStatus(t("cameraNone"));
  }
}

async function scanFrame() {
  const camera = state.camera;
  if (!camera) return;
  const video = $("video");
  let text = null;
  if (video.videoWidth) {
    text = await decodeImage(video, video.videoWidth, video.videoHeight, camera.detector).catch(() => null);
  }
  if (state.camera !== camera) return;
  if (text && !openCode(text)) return;
  camera.timer = setTimeout(scanFrame, 250);
}

export function stopCamera() {
  const camera = state.camera;
  state.camera = null;
  if (camera) {
    clearTimeout(camera.timer);
    for (const track of camera.stream.getTracks()) track.stop();
  }
  $("video").srcObject = null;
  $("camera").hidden = true;
  $("camera-start").hidden = !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}
