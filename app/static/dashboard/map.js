// The dashboard's map: the islands, the sea areas closed by the forecast and the depots, the open
// plan's routes and landings (coloured by their state, a tooltip each), labels that appear as one
// zooms in, pan and zoom, and the scale.
import { $, html, svg as el } from "../shared/dom.js";
import { named } from "../shared/text.js";
import { handoverLines, handovers } from "./board.js";
import { latAt, metresPerUnit, pathOf, project, px } from "./projection.js";
import { colours, state } from "./state.js";
import { TEXT, clock, districtName, fill, num, t, vesselName, wib } from "./words.js";

const tripOf = (n) => (n === 1 ? t("trips1") : fill("trips", { n }));

// --- pan and zoom on the map's viewBox ------------------------------------------------------------

const MIN_ZOOM = 1, MAX_ZOOM = 64;
const SCALE_PX = 44;  // the scale's height over the map's bottom, and its margin
const zoomOf = () => state.home.w / state.view.w;
const unitsPerPx = () => state.view.w / Math.max(1, $("map").clientWidth);

// The view that shows `bounds` whole, clear of the help drawn over the map's top and of the scale over its
// bottom (the islands lie in the south: under the scale they would be hidden).
function fitView(bounds) {
  const map = $("map");
  const W = Math.max(1, map.clientWidth), H = Math.max(1, map.clientHeight);
  const frame = map.getBoundingClientRect();
  const help = $("map-help").getBoundingClientRect();
  const top = Math.min(H / 4, help.height ? help.bottom - frame.top + 2 : 0);
  const bottom = Math.min(H / 4, SCALE_PX);
  const [x0, y0, x1, y1] = bounds;
  const k = Math.max((x1 - x0) / W, (y1 - y0) / Math.max(1, H - top - bottom));  // map units per pixel
  const w = W * k, h = H * k;
  const slack = (H - top - bottom) * k - (y1 - y0);  // left over between the help and the scale
  return { x: (x0 + x1 - w) / 2, y: y0 - (top * k + slack / 2), w, h };
}

function setView(view) {
  const home = state.home;
  const w = Math.min(home.w / MIN_ZOOM, Math.max(home.w / MAX_ZOOM, view.w));
  const h = (w * home.h) / home.w;
  const cx = Math.min(home.x + home.w, Math.max(home.x, view.x + view.w / 2));
  const cy = Math.min(home.y + home.h, Math.max(home.y, view.y + view.h / 2));
  state.view = { x: cx - w / 2, y: cy - h / 2, w, h };
  const v = state.view;
  $("map").setAttribute("viewBox", `${v.x.toFixed(1)} ${v.y.toFixed(1)} ${v.w.toFixed(1)} ${v.h.toFixed(1)}`);
  scheduleRedraw();
}

let redrawPending = false;
function scheduleRedraw() {
  if (redrawPending) return;
  redrawPending = true;
  requestAnimationFrame(() => {
    redrawPending = false;
    sizeMarkers();
    placeLabels();
    drawScale();
  });
}

// Zoom by a factor around a point of the map given in screen pixels (the centre by default).
function zoomBy(factor, clientX, clientY) {
  if (!state.view) return;  // no map yet (no key)
  const box = $("map").getBoundingClientRect();
  const fx = clientX === undefined ? 0.5 : (clientX - box.left) / box.width;
  const fy = clientY === undefined ? 0.5 : (clientY - box.top) / box.height;
  const v = state.view;
  const ux = v.x + fx * v.w, uy = v.y + fy * v.h;
  const w = v.w / factor, h = v.h / factor;
  setView({ x: ux - fx * w, y: uy - fy * h, w, h });
}

// Where the islands and the plan's landings are, in map units: what the zoom buttons zoom towards.
function landmarks() {
  const points = state.labels.filter((l) => l.island !== null).map((l) => l.at);
  for (const { node } of state.stops) points.push([Number(node.getAttribute("cx")), Number(node.getAttribute("cy"))]);
  return points;
}

// Zoom in (factor > 1) by the buttons or keys: towards the islands and landings on screen. The new view's
// middle is a point of the view on screen, chosen so that it shows the most of them clear of the help and the
// scale drawn over the map, and has them nearest its middle; so "+" never dives into open sea while the view
// holds land. Zooming out keeps the middle.
function zoomStep(factor) {
  if (!state.view) return;
  if (factor <= 1) { zoomBy(factor); return; }
  const v = state.view;
  const w = v.w / factor, h = v.h / factor;
  const k = w / Math.max(1, $("map").clientWidth);  // map units per pixel once zoomed
  const frame = $("map").getBoundingClientRect(), help = $("map-help").getBoundingClientRect();
  const top = (help.height ? help.bottom - frame.top : 0) * k, bottom = SCALE_PX * k;
  const points = landmarks().filter(([x, y]) => x >= v.x && x <= v.x + v.w && y >= v.y && y <= v.y + v.h);
  const mid = [v.x + v.w / 2, v.y + v.h / 2];
  let best = { count: -1, d: Infinity, at: mid };
  const n = 12;
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= n; j++) {
      const cx = v.x + (v.w * i) / n, cy = v.y + (v.h * j) / n;  // its middle anywhere on screen
      let count = 0, sx = 0, sy = 0;
      for (const [x, y] of points) {
        if (Math.abs(x - cx) <= w / 2 && y >= cy - h / 2 + top && y <= cy + h / 2 - bottom) { count++; sx += x; sy += y; }
      }
      // Of the views that show as many, the one that has them nearest its (clear) middle.
      const d = count ? Math.hypot(cx - sx / count, cy + (bottom - top) / 2 - sy / count) : Math.hypot(cx - mid[0], cy - mid[1]);
      if (count > best.count || (count === best.count && d < best.d)) best = { count, d, at: [cx, cy] };
    }
  }
  setView({ x: best.at[0] - w / 2, y: best.at[1] - h / 2, w, h });
}

function panBy(dxPx, dyPx) {
  if (!state.view) return;
  const k = unitsPerPx();
  const v = state.view;
  setView({ ...v, x: v.x - dxPx * k, y: v.y - dyPx * k });
}

// The whole map: its home view, worked out again only when the map's size has changed.
export function resetView() {
  if (!state.bounds) return;
  const size = `${$("map").clientWidth}x${$("map").clientHeight}`;
  if (!state.home || state.homeSize !== size) state.home = fitView(state.bounds);
  state.homeSize = size;
  setView(state.home);
}

export function bindPanZoom() {
  const map = $("map");
  map.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    zoomBy(Math.exp(-ev.deltaY * 0.002), ev.clientX, ev.clientY);
  }, { passive: false });
  let drag = null;
  map.addEventListener("pointerdown", (ev) => {
    if (ev.button === 0) drag = { x: ev.clientX, y: ev.clientY, id: ev.pointerId, moved: false };
  });
  map.addEventListener("pointermove", (ev) => {
    if (!drag || ev.pointerId !== drag.id) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) { drag.moved = true; map.setPointerCapture(ev.pointerId); map.classList.add("dragging"); }
    drag.x = ev.clientX;
    drag.y = ev.clientY;
    panBy(dx, dy);
  });
  const end = () => { state.dragged = drag && drag.moved; drag = null; map.classList.remove("dragging"); };
  map.addEventListener("pointerup", end);
  map.addEventListener("pointercancel", end);
  map.addEventListener("keydown", (ev) => {
    const keys = { "+": () => zoomStep(1.5), "=": () => zoomStep(1.5), "-": () => zoomStep(1 / 1.5), "0": resetView,
      ArrowLeft: () => panBy(60, 0), ArrowRight: () => panBy(-60, 0), ArrowUp: () => panBy(0, 60), ArrowDown: () => panBy(0, -60) };
    if (keys[ev.key]) { ev.preventDefault(); keys[ev.key](); }
  });
  $("zoom-in").addEventListener("click", () => zoomStep(1.5));
  $("zoom-out").addEventListener("click", () => zoomStep(1 / 1.5));
  $("zoom-reset").addEventListener("click", resetView);
  // The map's size follows the window and, on a wide screen, the board beside it (as wide as its tables
  // need): its home view follows, the zoom and the middle kept.
  const resized = () => {
    const size = `${map.clientWidth}x${map.clientHeight}`;
    if (!state.home || size === state.homeSize) return;
    const zoom = zoomOf(), v = state.view;
    state.home = fitView(state.bounds);
    state.homeSize = size;
    const w = state.home.w / zoom, h = state.home.h / zoom;
    if (zoom < 1.001) setView(state.home);  // the whole map stays the whole map
    else setView({ x: v.x + v.w / 2 - w / 2, y: v.y + v.h / 2 - h / 2, w, h });
  };
  if (window.ResizeObserver) new ResizeObserver(resized).observe(map);
  else window.addEventListener("resize", resized);
}

// Markers keep their size on screen whatever the zoom.
function sizeMarkers() {
  const k = unitsPerPx();
  for (const { node } of state.stops) node.setAttribute("r", (4 * k).toFixed(2));
  for (const node of document.querySelectorAll("#places rect.depot, #hubs rect.hub")) {
    const [x, y] = node.dataset.at.split(",").map(Number);
    const s = 9 * k;
    for (const [a, v] of Object.entries({ x: x - s / 2, y: y - s / 2, width: s, height: s })) node.setAttribute(a, v.toFixed(2));
    if (node.classList.contains("hub")) node.setAttribute("transform", `rotate(45 ${x} ${y})`);  // a diamond
  }
  $("labels").setAttribute("font-size", (12 * k).toFixed(2));
}

// A scale bar of a round length no longer than maxPx, in metres per unit of length.
function scaleBar(bar, label, metresPerPx, unitM, unitName) {
  const maxUnits = (110 * metresPerPx) / unitM;
  const step = 10 ** Math.floor(Math.log10(maxUnits));
  const length = [5, 2, 1].map((m) => m * step).find((l) => l <= maxUnits);
  bar.style.width = `${((length * unitM) / metresPerPx).toFixed(1)}px`;
  label.textContent = `${num(length, 3)} ${unitName}`;
}

export function drawScale() {
  if (!state.view) return;
  $("scale").hidden = false;
  const v = state.view;
  const lat = latAt(v.y + v.h / 2);
  const centre = metresPerUnit(lat).x;
  const metresPerPx = centre * unitsPerPx();
  scaleBar($("scale-km"), $("scale-km-label"), metresPerPx, 1000, "km");
  scaleBar($("scale-nmi"), $("scale-nmi-label"), metresPerPx, 1852, t("nmi"));
  // How far the bar is off anywhere in the view: east-west at the top and bottom, north-south.
  const err = Math.max(...[latAt(v.y), latAt(v.y + v.h)].flatMap((l) => {
    const m = metresPerUnit(l);
    return [Math.abs(m.x / centre - 1), Math.abs(m.y / centre - 1)];
  }));
  $("scale").title = fill("scaleNote", { lat: num(Math.abs(lat), 2), err: num(err * 100, 1) });
}

// --- labels that appear as one zooms in ------------------------------------------------------------

// A point inside a ring: the middle of the widest stretch of land along a few horizontal lines.
function inside(points) {
  const ys = points.map((p) => p[1]);
  const top = Math.min(...ys), height = Math.max(...ys) - top;
  let best = { width: -1, at: points[0] };
  for (const f of [0.5, 0.4, 0.6, 0.3, 0.7]) {
    const y = top + f * height + 0.01;
    const xs = [];
    for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
      const [x1, y1] = points[i], [x2, y2] = points[j];
      if ((y1 > y) !== (y2 > y)) xs.push(x1 + ((y - y1) * (x2 - x1)) / (y2 - y1));
    }
    xs.sort((a, b) => a - b);
    for (let i = 0; i + 1 < xs.length; i += 2) {
      if (xs[i + 1] - xs[i] > best.width) best = { width: xs[i + 1] - xs[i], at: [(xs[i] + xs[i + 1]) / 2, y] };
    }
  }
  return best.at;
}

function anchorOf(geometry) {
  if (geometry.type === "Point") return project(geometry.coordinates);
  const rings = geometry.type === "Polygon" ? [geometry.coordinates[0]] : geometry.coordinates.map((p) => p[0]);
  const size = (r) => { const xs = r.map((p) => p[0]); return Math.max(...xs) - Math.min(...xs); };
  const largest = rings.reduce((a, b) => (size(b) > size(a) ? b : a));
  return inside(largest.map(project));
}

// The name on the map: "Pulau Kangean" reads "Kangean" (the tooltip keeps the whole name).
const shortName = (name) => name.replace(/^(Pulau|Island of)\s+/i, "");

// A geometry's box in map units: [x0, y0, x1, y1].
function boxOf(geometry) {
  const g = geometry;
  const coords = { Point: [g.coordinates], Polygon: g.coordinates.flat(), MultiPolygon: g.coordinates.flat(2) }[g.type] || [];
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  for (const c of coords) {
    const [x, y] = project(c);
    box[0] = Math.min(box[0], x); box[1] = Math.min(box[1], y);
    box[2] = Math.max(box[2], x); box[3] = Math.max(box[3], y);
  }
  if (g.type === "Point") { box[0] -= 4; box[1] -= 4; box[2] += 4; box[3] += 4; }  // the disc pathOf draws
  return box;
}

// A label names what lies at `at` (map units) within `target` (its box: an island's, a district's landings',
// or the point itself). A district's or village's name is left out where it would hide more than `maxCost`
// (see hiddenBy). `inside` says whether it may sit on what it names: "always" (the mainland), "fits"
// (an island large enough on screen to carry its name without being hidden by it), "maybe" (a district's
// middle, usually open sea) or "never" (a depot, a landing: the label goes beside the mark).
function addLabel(text, at, cls, minZoom, priority, { target = null, inside = "never", island = null, title = null, maxCost = Infinity } = {}) {
  const node = el("text", { x: at[0].toFixed(1), y: at[1].toFixed(1), class: `label ${cls}` }, $("labels"));
  node.textContent = text;
  if (island !== null) node.dataset.island = state.islands[island].properties.code;
  if (title) el("title", {}, node).textContent = title;
  state.labels.push({ node, minZoom, priority, at, target: target || [at[0], at[1], at[0], at[1]], inside, island, maxCost, size: null });
  return node;
}

export function buildLabels() {
  $("labels").replaceChildren();
  state.labels = [];
  state.islandBoxes = state.islands.map((f) => boxOf(f.geometry));
  state.islands.forEach((f, i) => {
    const p = f.properties;
    const area = p.area_km2 || p.area_km2_gazetteer || 0.05;
    const target = state.islandBoxes[i];
    if (p.is_madura_mainland) {
      addLabel("Madura", anchorOf(f.geometry), "island mainland", 1, 0, { target, inside: "always", island: i });
      return;
    }
    const minZoom = 4.5 / Math.sqrt(area);
    addLabel(shortName(p.name), anchorOf(f.geometry), "island", minZoom, area >= 100 ? 1 : 3 + minZoom,
      { target, inside: "fits", island: i });
  });
  for (const f of state.depots) addLabel(f.properties.name, project(f.geometry.coordinates), "depot-label", 1, 1);
  for (const [, d] of Object.entries(districtCentres())) addLabel(d.name, d.at, "district", 1, 2, { inside: "maybe", maxCost: 1.5 });
  for (const v of state.villages) {
    if (!v.landing_point) continue;
    addLabel(v.name, project([v.landing_point.lon, v.landing_point.lat]), "village", 6, 20, { maxCost: 2.5 });
  }
  state.labels.sort((a, b) => a.priority - b.priority);
  scheduleRedraw();
}

// Where a district's name goes: the middle of its sea-served villages' landings.
function districtCentres() {
  const out = {};
  for (const v of state.villages) {
    if (!v.landing_point) continue;
    const d = (out[v.district_code] ||= { name: v.district, xs: [], ys: [] });
    const [x, y] = project([v.landing_point.lon, v.landing_point.lat]);
    d.xs.push(x);
    d.ys.push(y);
  }
  const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
  for (const d of Object.values(out)) d.at = [mean(d.xs), mean(d.ys)];
  return out;
}

// Whether the segment a-b crosses the box [x0, y0, x1, y1] (Liang-Barsky).
function segmentHits([ax, ay], [bx, by], [x0, y0, x1, y1]) {
  let t0 = 0, t1 = 1;
  const dx = bx - ax, dy = by - ay;
  for (const [p, q] of [[-dx, ax - x0], [dx, x1 - ax], [-dy, ay - y0], [dy, y1 - ay]]) {
    if (p === 0) { if (q < 0) return false; continue; }
    const r = q / p;
    if (p < 0) { if (r > t1) return false; if (r > t0) t0 = r; } else { if (r < t0) return false; if (r < t1) t1 = r; }
  }
  return true;
}

const overlapArea = (a, b) => Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
const boxesMeet = (a, b, m = 0) => a[0] < b[2] + m && b[0] < a[2] + m && a[1] < b[3] + m && b[1] < a[3] + m;

// What the labels should leave in sight, in pixels of the map's frame: the plan's landings and the depots,
// the small islands (those a label could hide), the routes' segments; and what they must not go under: the
// frame's edges and the help, zoom buttons and scale drawn over the map.
function labelObstacles(toPx, width, height) {
  const frame = $("map").getBoundingClientRect();
  const covers = [];
  for (const sel of ["#map-help", ".map-frame .zoom", "#scale"]) {
    const n = document.querySelector(sel);
    if (!n || n.hidden) continue;
    const r = n.getBoundingClientRect();
    if (r.width && r.height) covers.push([r.left - frame.left, r.top - frame.top, r.right - frame.left, r.bottom - frame.top]);
  }
  const inFrame = ([x, y]) => x > -50 && y > -50 && x < width + 50 && y < height + 50;
  const marks = [];
  for (const { node } of state.stops) marks.push(toPx([Number(node.getAttribute("cx")), Number(node.getAttribute("cy"))]));
  for (const f of state.depots) marks.push(toPx(project(f.geometry.coordinates)));
  const islands = [];
  (state.islandBoxes || []).forEach((b, i) => {
    if (state.islands[i].properties.is_madura_mainland) return;
    const [x0, y0] = toPx([b[0], b[1]]), [x1, y1] = toPx([b[2], b[3]]);
    const box = [x0, y0, x1, y1];
    if (x1 < 0 || y1 < 0 || x0 > width || y0 > height) return;
    islands.push({ i, box, area: Math.max(1, (x1 - x0) * (y1 - y0)) });
  });
  const segments = [];
  for (const line of state.legLines || []) {
    const pts = line.map(toPx);
    for (let j = 1; j < pts.length; j++) {
      if (inFrame(pts[j - 1]) || inFrame(pts[j])) segments.push([pts[j - 1], pts[j]]);
    }
  }
  return { covers, marks: marks.filter(inFrame), islands, segments };
}

// How much a label in `box` would hide: landings and depots under it, small islands other than its own,
// route segments crossing it.
function hiddenBy(box, label, obstacles) {
  let cost = 0;
  const [x0, y0, x1, y1] = box;
  for (const [x, y] of obstacles.marks) if (x > x0 - 4 && x < x1 + 4 && y > y0 - 4 && y < y1 + 4) cost += 1;
  const labelArea = (x1 - x0) * (y1 - y0);
  for (const isl of obstacles.islands) {
    if (isl.i === label.island || isl.area > 4 * labelArea || !boxesMeet(box, isl.box)) continue;
    cost += 1.5 * Math.min(1, overlapArea(box, isl.box) / isl.area + 0.2);
  }
  for (const [a, b] of obstacles.segments) if (segmentHits(a, b, box)) cost += 0.4;
  return cost;
}

// The places a label may go, as the middle of its box in pixels: on what it names where allowed, else
// below, above, beside and at the corners of its target, clear of it by a gap.
function labelSpots(label, toPx, w, h) {
  const [L, T] = toPx([label.target[0], label.target[1]]);
  const [R, B] = toPx([label.target[2], label.target[3]]);
  const [ax, ay] = toPx(label.at);
  const point = R - L < 1 && B - T < 1;
  const g = point ? 6 : 2;  // a landing's or depot's mark is drawn about 4 px around its point
  const cx = (L + R) / 2, cy = (T + B) / 2;
  const spots = [];
  const fits = R - L >= 1.6 * w + 6 && B - T >= 2.5 * h;
  if (label.inside === "always" || label.inside === "maybe" || (label.inside === "fits" && fits)) spots.push([ax, ay]);
  const below = [cx, B + g + h / 2], above = [cx, T - g - h / 2];
  const right = [R + g + w / 2, cy], left = [L - g - w / 2, cy];
  if (label.node.classList.contains("depot-label")) spots.push(above, right, left, below);
  else spots.push(below, above, right, left);
  spots.push([R + g / 2 + w / 2, B + g / 2 + h / 2], [L - g / 2 - w / 2, B + g / 2 + h / 2],
    [R + g / 2 + w / 2, T - g / 2 - h / 2], [L - g / 2 - w / 2, T - g / 2 - h / 2]);
  return spots;
}

// Show the labels the zoom allows, most important first, each where it hides least of the islands,
// landings and routes it could cover, leaving out any that would overlap another label or the frame.
function placeLabels() {
  if (!state.view) return;
  const zoom = zoomOf();
  const map = $("map");
  const width = map.clientWidth, height = map.clientHeight;
  const v = state.view, k = unitsPerPx();
  const toPx = ([x, y]) => [(x - v.x) / k, (y - v.y) / k];
  const wanted = state.labels.filter((l) => l.minZoom <= zoom * 1.001);
  const shown = new Set(wanted);
  for (const l of state.labels) l.node.classList.toggle("off", !shown.has(l));
  for (const l of wanted) {  // sizes on screen do not change with the zoom: measured once
    if (l.size) continue;
    const r = l.node.getBoundingClientRect();
    if (r.width > 0) l.size = { w: r.width + 2, h: r.height };
  }
  const obstacles = labelObstacles(toPx, width, height);
  const placed = [];
  for (const l of wanted) {
    let best = null;
    if (l.size) {
      const { w, h } = l.size;
      labelSpots(l, toPx, w, h).forEach(([x, y], i) => {
        const box = [x - w / 2, y - h / 2, x + w / 2, y + h / 2];
        if (box[0] < 2 || box[1] < 2 || box[2] > width - 2 || box[3] > height - 2) return;
        if (obstacles.covers.some((c) => boxesMeet(box, c, 2)) || placed.some((p) => boxesMeet(box, p, 2))) return;
        // The mainland's name goes on it wherever it can: it hides little of so much land.
        const cost = l.inside === "always" && i === 0 ? -1 : hiddenBy(box, l, obstacles) + 0.05 * i;
        if (cost <= l.maxCost && (!best || cost < best.cost)) best = { cost, box, x, y };
      });
    }
    l.node.classList.toggle("off", !best);
    if (!best) continue;
    placed.push(best.box);
    l.node.setAttribute("x", (v.x + best.x * k).toFixed(1));
    l.node.setAttribute("y", (v.y + best.y * k).toFixed(1));
  }
}

// --- the map ---------------------------------------------------------------------------------------

function islandTitle(p) {
  const name = p.is_madura_mainland ? t("mainland") : p.name;
  const districts = (p.districts || []).length ? `\n${fill("islandDistricts", { names: p.districts.join(", ") })}` : "";
  return `${named(name, p.code)}${districts}`;
}

export function drawIslands() {
  const map = $("map");
  map.replaceChildren();
  el("g", { id: "areas" }, map);  // sea areas with a wave forecast, under the islands
  const g = el("g", { id: "islands" }, map);
  for (const f of state.islands) {
    const p = el("path", { d: pathOf(f.geometry), class: "island", "data-code": f.properties.code }, g);
    el("title", {}, p);
  }
  el("g", { id: "legs" }, map);
  const places = el("g", { id: "places" }, map);
  for (const f of state.depots) {
    const node = el("rect", { class: "depot", "data-at": px(f.geometry.coordinates) }, places);
    el("title", {}, node);
  }
  el("g", { id: "hubs" }, map);
  el("g", { id: "stops" }, map);
  el("g", { id: "labels" }, map);
  titleIslands();
}

export function titleIslands() {
  document.querySelectorAll("#islands path").forEach((node, i) => {
    node.firstChild.textContent = islandTitle(state.islands[i].properties);
  });
  document.querySelectorAll("#places rect.depot").forEach((node, i) => {
    const p = state.depots[i].properties;
    node.firstChild.textContent = `${t("depot")}: ${named(p.name, p.id)}`;
  });
}

export function mapBounds() {
  const xs = [], ys = [];
  for (const f of state.islands) {
    const g = f.geometry;
    const coords = { Point: [g.coordinates], Polygon: g.coordinates.flat(), MultiPolygon: g.coordinates.flat(2) }[g.type];
    for (const c of coords) { const [x, y] = project(c); xs.push(x); ys.push(y); }
  }
  const pad = 0.03 * (Math.max(...xs) - Math.min(...xs));
  return [Math.min(...xs) - pad, Math.min(...ys) - pad, Math.max(...xs) + pad, Math.max(...ys) + pad];
}

function stopClass(key, stop) {
  const s = state.status;
  const st = s && s.stop_states ? s.stop_states[key] : undefined;
  if (st === "handed_over" || (stop.kind === "landing" && st === "departed")) return "delivered";
  const districts = new Set(stop.manifest.map((m) => m.district_code || m.village_code.slice(0, 8)));
  const risky = s && s.districts && s.districts.some((d) => districts.has(d.district_code) && d.at_risk);
  if (risky) return "risk";
  if (st) return "underway";
  return "planned";
}

function waveText(w) {
  return `${t("waves")} ${num(w.wave_m)} m: ${wib(w.start)} – ${wib(w.end)}`;
}

function drawAreas(plan) {
  // Sea areas that the plan's forecast closes to some vessels, with the forecasts as a tooltip.
  const g = $("areas");
  g.replaceChildren();
  const areas = (plan.weather && plan.weather.sea_areas && plan.weather.sea_areas.features) || [];
  for (const f of areas.filter((a) => a.properties.forecast.length)) {
    const p = el("path", { d: pathOf(f.geometry), class: "area-closed", "data-area": f.properties.id }, g);
    el("title", {}, p).textContent = [named(f.properties.name, f.properties.id), ...f.properties.forecast.map(waveText)].join("\n");
  }
}

export function drawPlan(plan, geo) {
  const legs = $("legs");
  const stops = $("stops");
  legs.replaceChildren();
  stops.replaceChildren();
  drawAreas(plan);
  const colour = colours(plan);
  state.legLines = [];
  for (const f of geo.features.filter((x) => x.properties.kind === "leg")) {
    const q = f.properties;
    state.legLines.push(f.geometry.coordinates.map(project));
    const d = "M" + f.geometry.coordinates.map(px).join("L");
    const p = el("path", { d, class: "leg", stroke: colour[q.vessel_id], "data-vessel": q.vessel_id, "data-leg": q.leg }, legs);
    el("title", {}, p).textContent = `${named(q.vessel_name, q.vessel_id)}, ${fill("trip", { n: q.trip })}: ` +
      `${named(q.from_name, q.from)} → ${named(q.to_name, q.to)}, ${num(q.distance_nm)} ${t("nmi")}`;
  }
  drawHubs(plan, geo);
  state.stops = [];
  const byId = {};
  for (const f of geo.features.filter((x) => x.properties.kind === "stop")) byId[f.properties.id] = f.geometry.coordinates;
  plan.voyages.forEach((v) => v.stops.forEach((s, i) => {
    if (s.kind !== "landing") return;
    const [x, y] = px(byId[s.id]).split(",");
    const key = `${v.vessel_id}/${i}`;
    const c = el("circle", { cx: x, cy: y, r: 9, class: "stop planned", "data-key": key, "data-vessel": v.vessel_id }, stops);
    c.addEventListener("mouseenter", (ev) => showTip(ev, v, s, i));
    c.addEventListener("click", (ev) => { if (!state.dragged) showTip(ev, v, s, i); });
    c.addEventListener("mouseleave", () => { $("tip").hidden = true; });
    state.stops.push({ key, node: c, stop: s });
  }));
  drawVesselLegend(plan, colour);
  recolour();
  scheduleRedraw();
}

// Two echelons: each hub a diamond (the sailings that land kits there, what they land, the
// district office's boats), and each village's kits taken on by road as a dashed line from its hub.
function drawHubs(plan, geo) {
  const hubs = $("hubs");
  hubs.replaceChildren();
  const boats = {};
  for (const v of plan.voyages) if (v.hub) (boats[v.hub] = boats[v.hub] || []).push(vesselName(v));
  for (const f of geo.features.filter((x) => x.properties.kind === "onward" && x.geometry.type === "LineString")) {
    const q = f.properties;
    const p = el("path", { d: "M" + f.geometry.coordinates.map(px).join("L"), class: "onward", "data-consignment": q.consignment }, $("legs"));
    el("title", {}, p).textContent = fill("onwardTitle", {
      village: named(q.village_name, q.village_code), mode: t(`mode_${q.mode}`), hub: named(q.hub_name, q.hub),
      depart: wib(q.depart), arrive: wib(q.arrive), km: num(q.distance_km),
    });
  }
  for (const f of geo.features.filter((x) => x.properties.kind === "hub")) {
    const q = f.properties;
    const node = el("rect", { class: "hub", "data-at": px(f.geometry.coordinates), "data-hub": q.id }, hubs);
    el("title", {}, node).textContent = fill("hubTitle", {
      name: named(q.name, q.id), tps: q.tps, n: q.sailings.length, boats: (boats[q.id] || []).join(", ") || t("noBoats"),
    });
  }
}

function drawVesselLegend(plan, colour) {
  const box = $("vessel-legend");
  box.replaceChildren(html("b", {}, t("vessels")));
  for (const v of plan.voyages) {
    const item = html("span", { class: "vessel-item", "data-vessel": v.vessel_id });
    const swatch = html("span", { class: "line-swatch" });
    swatch.style.background = colour[v.vessel_id];
    item.append(swatch, `${vesselName(v)} · ${tripOf(v.trips)}`);
    item.addEventListener("mouseenter", () => highlight(v.vessel_id));
    item.addEventListener("mouseleave", () => highlight(null));
    box.append(item);
  }
  box.hidden = false;
}

function highlight(vesselId) {
  for (const node of document.querySelectorAll("#legs path, #stops circle")) {
    node.classList.toggle("dim", vesselId !== null && node.dataset.vessel !== vesselId);
  }
}

function manifestLine(m) {
  const district = fill("districtOf", { name: districtName(m.district_code, m.district_name) });
  return `${named(m.village_name, m.village_code)}, ${district}: ${m.tps} TPS, ${fill("boxes", { n: m.ballot_boxes })}, ` +
    `${num(m.weight_kg)} kg, ${num(m.volume_m3, 2)} m³`;
}

function showTip(ev, v, s, index) {
  const tip = $("tip");
  const island = s.island_name ? `, ${s.island_name}` : "";
  const done = handovers().filter((e) => e.vessel_id === v.vessel_id && e.stop === index);
  const lines = [
    `${named(s.name, s.id)}${island}`,
    `${t("arrives")} ${wib(s.arrival)} · ${t("handover")} ${clock(s.work_start)}–${clock(s.work_end)} WIB` +
      (TEXT.id[`note_${s.access}`] ? ` · ${t(`note_${s.access}`)}` : ""),
    ...s.manifest.map(manifestLine),
    ...done.flatMap(handoverLines),
  ];
  const head = html("b", {}, vesselName(v));
  tip.replaceChildren(head, ` · ${fill("trip", { n: s.trip })}`, ...lines.flatMap((l) => [html("br"), l]));
  tip.hidden = false;
  // Beside the stop, on the side of the map where it fits.
  const box = $("map").getBoundingClientRect();
  const at = ev.target.getBoundingClientRect();
  const x = at.left + at.width / 2 - box.left, y = at.top + at.height / 2 - box.top;
  tip.style.left = `${x + 12 + tip.offsetWidth > box.width ? Math.max(0, x - 12 - tip.offsetWidth) : x + 12}px`;
  tip.style.top = `${y + 12 + tip.offsetHeight > box.height ? Math.max(0, y - 12 - tip.offsetHeight) : y + 12}px`;
}

export function recolour() {
  for (const { key, node, stop } of state.stops) {
    const dim = node.classList.contains("dim") ? " dim" : "";
    node.setAttribute("class", `stop ${stopClass(key, stop)}${dim}`);
  }
}
