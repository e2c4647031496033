// The stage's one page: hash routes to pages, each page a module that fills <main> and may
// return a function that cleans up when the performer leaves it.

import { h, focusHeading } from "./dom.js";
import { piecesPage } from "./pages/pieces.js";
import { piecePage } from "./pages/piece.js";
import { roomPage } from "./pages/room.js";
import { takePage } from "./pages/take.js";
import { comparePage } from "./pages/compare.js";
import { drillsPage } from "./pages/drills.js";
import { loginPage, showMember } from "./pages/login.js";
import { groupsPage, groupPage } from "./pages/groups.js";
import { api } from "./api.js";

const routes = [
  [/^#?\/?$/, () => piecesPage],
  [/^#\/pieces\/(\d+)$/, () => piecePage],
  [/^#\/pieces\/(\d+)\/rehearse$/, () => roomPage],
  [/^#\/pieces\/(\d+)\/drills$/, () => drillsPage],
  [/^#\/takes\/(\d+)$/, () => takePage],
  [/^#\/compare\/(\d+)\/(\d+)$/, () => comparePage],
  [/^#\/groups$/, () => groupsPage],
  [/^#\/groups\/(\d+)$/, () => groupPage],
];

const main = document.getElementById("main");
let leave = null;

// The token, if the page was opened with one, is now a cookie: keep it out of the address bar
// and the history.
if (new URLSearchParams(location.search).has("token")) {
  history.replaceState(null, "", location.pathname + location.hash);
}

const sound = document.getElementById("applause-sound");
sound.checked = localStorage.getItem("encore.applauseSound") === "on";
sound.addEventListener("change", () => localStorage.setItem("encore.applauseSound", sound.checked ? "on" : "off"));

// One route at a time: a page that is still loading when the address changes again (a click,
// then another) finishes before the next one clears the page, so two pages never mix.
let routing = Promise.resolve();
function route() {
  routing = routing.then(showRoute, showRoute);
  return routing;
}

async function showRoute() {
  if (leave) {
    try { leave(); } catch { /* a page that fails to clean up must not block the next */ }
    leave = null;
  }
  document.body.classList.remove("in-room");
  document.querySelectorAll(".applause, dialog").forEach((layer) => layer.remove());
  const hash = location.hash || "#/";
  const match = routes.map(([pattern, page]) => [hash.match(pattern), page]).find(([m]) => m);
  main.replaceChildren();
  if (!match) {
    main.append(h("h1", {}, "Nothing here"), h("p", {}, h("a", { href: "#/" }, "Back to your pieces")));
    focusHeading(main);
    return;
  }
  const [found, page] = match;
  const ids = found.slice(1).map(Number);
  try {
    leave = (await page()(main, ...ids)) || null;
  } catch (error) {
    // A club's stage whose login ended (or never began): log in, then come back here.
    if (error.status === 401) return logIn();

    main.replaceChildren(
      h("h1", {}, "Something went wrong"),
      h("p", { class: "error", role: "alert" }, error.message || String(error)),
      h("p", {}, h("a", { href: "#/" }, "Back to your pieces")),
    );
  }
  focusHeading(main);
}

/** A club's stage asks who is there first; a performer's own stage answers `{"club": false}`. */
function logIn() {
  loginPage(main, (member) => {
    showMember(member, logIn);
    route();
  });
}

window.addEventListener("hashchange", route);
api("/api/me")
  .then((member) => {
    showMember(member, logIn);
    route();
  })
  .catch((error) => (error.status === 401 ? logIn() : route()));
