// The dashboard's state, which every widget reads and writes, the page's parameters, the API with
// the key kept in the browser, and the vessels' colours (the map, the board and the timeline).
import { api as apiWithKey, storedKey as keptKey } from "../shared/api.js";
import { storedLang } from "../shared/text.js";

export const PARAMS = new URLSearchParams(location.search);

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"];

export const state = {
  lang: storedLang(),
  plan: null, geo: null, timeline: null, listing: [], etag: null, status: null, stops: [], labels: [],
  version: null,  // the status's version: its ETag's value, the stream's event id
  path: null, stream: null, lastEventId: null, retry: null,  // "stream" or "poll"; the open stream
  events: [],  // the plan's field events (GET /plans/{id}/events), read again when the status moves
  districtNames: {}, eventLabels: {},  // event type -> {id, en}, from GET /event-types
  home: null, view: null, villages: [], islands: [], depots: [],
  islandBoxes: [], legLines: [],  // in map units: the islands' boxes, the plan's routes (for the labels)
  heardAt: null,  // when the server last answered (ISO), redrawn in the chosen language
  // The open plan's risk: its latest completed run (with the report), the run being followed, the
  // last refusal or failure ({key, why}) and the district whose histogram is open.
  risk: { planId: null, report: null, closures: null, active: null, problem: null, district: null },
  underRisk: null,  // a capacity plan asked with a target: its start days against fleets
};

export const storedKey = () => keptKey("ballotKey");
export const api = (path, opts = {}) => apiWithKey(path, storedKey(), opts);

export function colours(plan) {
  const out = {};
  plan.voyages.forEach((v, i) => { out[v.vessel_id] = PALETTE[i % PALETTE.length]; });
  return out;
}
