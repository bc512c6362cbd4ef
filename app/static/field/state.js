// The field page's state, which its parts read and write, and the crew's key kept on the phone.
import { storedKey as keptKey } from "../shared/api.js";
import { storedLang } from "../shared/text.js";

export const KEY_ITEM = "ballotFieldKey";

export const state = {
  lang: storedLang(),
  voyage: null, // the last answer of GET /field/voyage
  savedAt: null, // when that answer was kept
  fresh: false, // whether it came from the server in this session
  actions: [], // the queue, oldest first
  online: navigator.onLine,
  sending: false,
  inFlight: null, // seq of the action being sent
  keyProblem: null, // a TEXT key: why the key does not serve
  focus: null, // a stop brought forward by a scanned code or by hand
  drafts: {}, // stop index -> what a scanned code says ({consignment, boxes})
  notice: null,
  offlineReady: false,
  camera: null,
};

export const storedKey = () => keptKey(KEY_ITEM);
