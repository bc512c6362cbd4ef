// The words people read, Indonesian first and English beside it. Each page keeps its own words;
// those it shares with the other page, the command line and the voyage papers (each reason
// code's label, the shared labels and page texts) come once from the text catalogue
// (routing/text/catalogue.json, served at /static/text/catalogue.json).

export const LANGS = ["id", "en"];
export const LOCALES = { id: "id-ID", en: "en-GB" };
const LANG_ITEM = "ballotLang"; // one choice for the dashboard and the field page
const CATALOGUE_URL = "/static/text/catalogue.json";

async function loadCatalogue() {
  try {
    const response = await fetch(CATALOGUE_URL);
    if (response.ok) return await response.json();
  } catch {
    /* no catalogue: the shared words show as their keys, the page still works */
  }
  return { reasons: {}, words: {}, levers: {}, pages: {} };
}

export const catalogue = await loadCatalogue();

// A page's words in both languages: the catalogue's shared ones (a reason code's label as
// "reason_CODE") with the page's own.
export function wordsOf(own) {
  const words = {};
  for (const lang of LANGS) {
    const shared = {};
    for (const section of ["words", "levers", "pages"]) {
      for (const [key, entry] of Object.entries(catalogue[section] || {})) shared[key] = entry[lang];
    }
    for (const [code, entry] of Object.entries(catalogue.reasons || {})) shared[`reason_${code}`] = entry[lang];
    words[lang] = { ...shared, ...own[lang] };
  }
  return words;
}

export const storedLang = () => (localStorage.getItem(LANG_ITEM) === "en" ? "en" : "id");
export const keepLang = (lang) => localStorage.setItem(LANG_ITEM, lang);

// The words of `words` in the language `lang()` gives (Indonesian where one is missing; "{name}"
// marks a value filled in at run time), and its numbers (at most `digits` decimals by default).
export function translator(words, lang, digits) {
  const t = (k) => words[lang()][k] ?? words.id[k] ?? k;
  const fill = (k, values) => t(k).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  const num = (n, places = digits) => formatNumber(n, lang(), places);
  return { t, fill, num };
}

// A name with its code where the two differ.
export const named = (name, code) => (name && name !== code ? `${name} (${code})` : code);

// A number in a language's form, with at most `digits` decimals where given.
export function formatNumber(n, lang, digits) {
  const options = digits === undefined ? {} : { maximumFractionDigits: digits };
  return new Intl.NumberFormat(LOCALES[lang], options).format(n);
}
