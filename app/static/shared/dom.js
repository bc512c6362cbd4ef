// Building and translating the pages' DOM, no framework.

const SVGNS = "http://www.w3.org/2000/svg";

export const $ = (id) => document.getElementById(id);

// An element with attributes ("class", on<event> listeners, true for a bare attribute) and children.
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

// An element with attributes and a text.
export function html(name, attrs = {}, text = "") {
  const node = document.createElement(name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.textContent = text;
  return node;
}

// An SVG element with attributes, appended to `parent` where given.
export function svg(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVGNS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

// The page's fixed texts in its language: data-i18n (text), data-i18n-aria (aria-label),
// data-i18n-title (title), and which of the language buttons (`buttons`) is pressed.
export function translatePage(t, lang, buttons) {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-aria]")) node.setAttribute("aria-label", t(node.dataset.i18nAria));
  for (const node of document.querySelectorAll("[data-i18n-title]")) node.title = t(node.dataset.i18nTitle);
  for (const b of document.querySelectorAll(buttons)) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
}
