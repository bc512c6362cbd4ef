// Times as people read them on the pages: in WIB (Asia/Jakarta, UTC+7) whatever the device's own
// time zone, in the page's language.
import { LOCALES } from "./text.js";

const WIB_OFFSET_MS = 7 * 3600 * 1000;
const formatters = {};

export function dateFormat(lang, options) {
  const key = `${lang}/${JSON.stringify(options)}`;
  formatters[key] ||= new Intl.DateTimeFormat(LOCALES[lang], { timeZone: "Asia/Jakarta", ...options });
  return formatters[key];
}

// "06 Des 09.30 WIB" / "06 Dec 09:30 WIB" ("-" for no time).
export const wib = (iso, lang) =>
  iso ? `${dateFormat(lang, { day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit" }).format(new Date(iso))} WIB` : "-";

// "09.30" / "09:30".
export const clock = (iso, lang) => dateFormat(lang, { hour: "2-digit", minute: "2-digit" }).format(new Date(iso));

// "Min, 06 Des" / "Sun, 06 Dec".
export const day = (when, lang) => dateFormat(lang, { weekday: "short", day: "2-digit", month: "short" }).format(new Date(when));

// "Sen, 12 Feb 08.30 WIB" / "Mon, 12 Feb 08:30 WIB" ("-" for no time).
export function wibWithDay(iso, lang) {
  if (!iso) return "-";
  const format = dateFormat(lang, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  const parts = Object.fromEntries(format.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  const sep = lang === "id" ? "." : ":";
  return `${parts.weekday}, ${parts.day} ${parts.month} ${parts.hour}${sep}${parts.minute} WIB`;
}

// Now as RFC 3339 in WIB ("2024-02-12T08:30:05.123+07:00"): the moment something was tapped.
export const nowIso = () => new Date(Date.now() + WIB_OFFSET_MS).toISOString().replace("Z", "+07:00");
