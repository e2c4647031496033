// Small helpers for building the page without a framework: elements, announcements for screen
// readers, and the few formats the pages share.

/** Creates an element: h("a", {href: "#/"}, "Pieces"). Attributes starting with "on" are
 *  listeners; `class`, `text` and `html`-free children keep user text out of markup. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An SVG element. */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/** Says something to screen-reader users without moving their focus. */
export function announce(text) {
  const status = document.getElementById("status");
  if (!status) return;
  status.textContent = "";
  // A fresh text node after a tick is announced even when the text repeats.
  setTimeout(() => { status.textContent = text; }, 30);
}

export const percent = (fraction) => (Number.isFinite(fraction) ? `${Math.round(fraction * 100)}%` : "–");
export const whole = (value) => (Number.isFinite(value) ? `${Math.round(value)}` : "–");
export const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** "3 May, 14:05" from unix seconds. */
export function when(seconds) {
  if (!seconds) return "";
  const date = new Date(seconds * 1000);
  const sameYear = date.getFullYear() === new Date().getFullYear();
  return date.toLocaleString(undefined, {
    day: "numeric", month: "short", year: sameYear ? undefined : "numeric", hour: "2-digit", minute: "2-digit",
  });
}

/** "1:07" from seconds. */
export function clock(seconds) {
  if (!Number.isFinite(seconds)) return "";
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export const reducedMotion = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;

/** Moves focus to the page's heading, so that keyboard and screen-reader users start there. */
export function focusHeading(root) {
  const heading = root.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
}
