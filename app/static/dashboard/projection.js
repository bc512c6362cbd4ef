// The dashboard map's projection: longitude and latitude to map units and SVG paths, and the
// metres a map unit spans at a latitude (for the scale).

// Equirectangular projection over the archipelago: x scaled by cos(LAT0), one unit is 0.001°.
const BOX = { w: 113.2, e: 116.6, s: -7.6, n: -5.0 };
const LAT0 = -6.3;
const KX = Math.cos((LAT0 * Math.PI) / 180) * 1000;
const KY = 1000;
export const project = ([lon, lat]) => [(lon - BOX.w) * KX, (BOX.n - lat) * KY];
export const px = (c) => project(c).map((v) => v.toFixed(1)).join(",");
const ring = (coords) => "M" + coords.map(px).join("L") + "Z";
export const latAt = (y) => BOX.n - y / KY;

// Metres per map unit on the WGS84 ellipsoid at a latitude: east-west and north-south.
const WGS84 = { a: 6378137, e2: 0.00669437999014 };
export function metresPerUnit(lat) {
  const phi = (lat * Math.PI) / 180;
  const w = 1 - WGS84.e2 * Math.sin(phi) ** 2;
  const rad = Math.PI / 180;
  return {
    x: (rad * WGS84.a * Math.cos(phi)) / Math.sqrt(w) / KX,
    y: (rad * WGS84.a * (1 - WGS84.e2)) / w ** 1.5 / KY,
  };
}

export function pathOf(geometry) {
  if (geometry.type === "Polygon") return geometry.coordinates.map(ring).join("");
  if (geometry.type === "MultiPolygon") return geometry.coordinates.flat().map(ring).join("");
  if (geometry.type === "Point") {  // an islet known only as a gazetteer point: a small disc
    const [lon, lat] = geometry.coordinates;
    const r = 0.004;
    const pts = [...Array(12).keys()].map((i) => [lon + r * Math.cos(i * Math.PI / 6), lat + r * Math.sin(i * Math.PI / 6)]);
    return ring(pts);
  }
  return "";
}
