// A coach's pages of a club's stage: their groups, and a group with the places the whole group
// keeps stumbling on (worst first) and each performer's takes over time, each take a link to its
// report, where the coach may change a verdict.

import { api } from "../api.js";
import { h, percent, plural, when, whole } from "../dom.js";

export async function groupsPage(main) {
  const groups = await api("/api/groups");
  main.append(h("h1", {}, "Your groups"));
  if (groups.length === 0) {
    main.append(h("p", { class: "quiet" }, "You are in no group yet: `encore group join GROUP YOU` puts you in one."));
    return;
  }
  main.append(h("ul", { class: "pieces", "aria-label": "Groups" }, groups.map((group) =>
    h("li", {}, h("a", { href: `#/groups/${group.id}` }, h("div", { class: "card" }, h("h2", {}, group.name)))))));
}

export async function groupPage(main, id) {
  const group = await api(`/api/groups/${id}`);
  const titles = new Map(group.pieces.map((piece) => [piece.id, piece.title]));
  main.append(
    h("p", { class: "quiet small" }, h("a", { href: "#/groups" }, "Groups"), " / "),
    h("h1", {}, group.name),
  );

  main.append(h("h2", {}, "Where the group stumbles"));
  if (group.pieces.length === 0) main.append(h("p", { class: "quiet" }, "No piece is assigned to this group yet."));
  for (const piece of group.pieces) {
    main.append(h("h3", {}, piece.title, piece.due ? h("span", { class: "quiet small" }, ` · due ${when(piece.due)}`) : null));
    main.append(piece.trouble.length === 0
      ? h("p", { class: "quiet" }, "No place went wrong in more than one of the group's takes.")
      : h("ul", { class: "trouble", "aria-label": `Trouble in ${piece.title}` }, piece.trouble.map((spot) => h("li", {},
        h("q", {}, spot.text), " ",
        h("span", { class: "quiet small" }, `line ${spot.line} · in ${spot.takes} of ${spot.of_takes} takes`),
        h("div", { class: "small" }, spot.how.map(([what, n]) => `${what} (${n})`).join(", ")),
      ))));
  }

  main.append(h("h2", {}, "The performers"));
  for (const performer of group.performers) {
    main.append(h("h3", {}, performer.name, h("span", { class: "quiet small" }, ` · ${plural(performer.takes.length, "take", "takes")}`)));
    if (performer.takes.length === 0) continue;
    main.append(h("table", { class: "takes", "aria-label": `${performer.name}'s takes` },
      h("thead", {}, h("tr", {}, ["When", "Piece", "Accuracy", "Words correct a minute", ""].map((label) => h("th", {}, label)))),
      h("tbody", {}, performer.takes.map((take) => h("tr", {},
        h("td", {}, h("a", { href: `#/takes/${take.id}` }, when(take.recorded_at))),
        h("td", {}, titles.get(take.piece_id) ?? ""),
        h("td", {}, take.accuracy === null ? "not analysed" : percent(take.accuracy)),
        h("td", {}, take.wcpm === null ? "–" : whole(take.wcpm)),
        h("td", { class: "quiet small" }, take.changes ? plural(take.changes, "verdict changed", "verdicts changed") : ""),
      ))),
    ));
  }
}
