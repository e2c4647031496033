// Two takes of a piece side by side: their numbers, and the script with each word marked as fixed,
// gone worse or still tripping you up.

import { api } from "../api.js";
import { lineShapes, movementBand, movementNumbers } from "../chart.js";
import { h, percent, when, whole } from "../dom.js";

const CHANGES = {
  fixed: "fixed",
  worse: "went wrong",
  still_trips: "still trips you up",
  steady: "",
  new: "new in this version of the script",
};

export async function comparePage(main, before, after) {
  const view = await api(`/api/compare/${before}/${after}`);
  const c = view.comparison;
  main.append(
    h("p", { class: "quiet small" }, h("a", { href: "#/" }, "Pieces"), " / ", h("a", { href: `#/pieces/${view.after.piece_id}` }, view.after.piece_title), " / "),
    h("h1", {}, "Two takes compared"),
    h("div", { class: "sides" }, side("Before", view.before, c.before), side("After", view.after, c.after)),
    h("div", { class: "tally", role: "group", "aria-label": "What changed" },
      h("span", { class: "change fixed" }, h("strong", {}, c.fixed), "fixed"),
      h("span", { class: "change worse" }, h("strong", {}, c.worse), "went wrong"),
      h("span", { class: "change still_trips" }, h("strong", {}, c.still_trips), "still trip you up"),
    ),
  );

  const section = h("section", { class: "script", "aria-label": "The script, each word marked with how it changed" });
  let line = null;
  let p = null;
  for (const word of c.words) {
    if (word.line !== line) {
      p = h("p", { class: `line${line !== null && word.line > line + 1 ? " gap" : ""}` });
      section.append(p);
      line = word.line;
    }
    const change = CHANGES[word.change];
    if (!change) {
      p.append(word.text, " ");
      continue;
    }
    const detail = `${word.text}: ${change}${word.before ? ` (before: ${outcome(word.before)}; now: ${outcome(word.after)})` : ""}`;
    p.append(h("span", { class: `change ${word.change}`, tabindex: 0, role: "img", "aria-label": detail, title: detail }, word.text), " ");
  }
  main.append(section, lists(c), sounded(c.delivery ?? []));
  const looked = await moved(view.before.id, view.after.id);
  if (looked) main.append(looked);
  main.append(h("div", { class: "actions" },
    h("a", { class: "button", href: `#/takes/${view.before.id}` }, "Report of the take before"),
    h("a", { class: "button", href: `#/takes/${view.after.id}` }, "Report of the take after"),
    h("a", { class: "button primary", href: `#/pieces/${view.after.piece_id}/rehearse` }, "Try again"),
  ));
}

/** How each line sounded in both takes: the lines that changed first, then the rest. */
function sounded(lines) {
  if (!lines.length) {
    return h("section", { class: "sounded" }, h("h2", {}, "How it sounded"),
      h("p", { class: "quiet" }, "One of these takes was analysed before Encore measured delivery; analyse it again to compare."));
  }
  const ordered = [...lines.filter((l) => l.changes.length), ...lines.filter((l) => !l.changes.length)];
  return h("section", { class: "sounded", "aria-label": "How each line sounded in both takes" },
    h("h2", {}, "How it sounded"),
    h("div", { class: "charts" }, ordered.map((line) => lineShapes(line, "before", "after"))));
}

/** How each take looked, band over band, when the camera was on for either. */
async function moved(before, after) {
  const [first, second] = await Promise.all([api(`/api/takes/${before}`), api(`/api/takes/${after}`)]);
  if (!first.report?.movement && !second.report?.movement) return null;
  const row = (name, report) => h("div", { class: "moved" },
    h("h3", {}, name),
    report?.movement
      ? [h("p", { class: "movement-numbers" }, movementNumbers(report.movement)), h("div", { class: "contour" }, movementBand(report))]
      : h("p", { class: "quiet" }, "The camera was off for this take."));
  return h("section", { class: "looked", "aria-label": "How each take looked" },
    h("h2", {}, "How it looked"), row("Before", first.report), row("After", second.report));
}

function side(title, take, score) {
  return h("div", { class: "card" },
    h("h2", {}, `${title}: `, h("a", { href: `#/takes/${take.id}` }, when(take.recorded_at))),
    h("dl", {},
      h("dt", {}, "accuracy"), h("dd", {}, percent(score.accuracy)),
      h("dt", {}, "words correct per minute"), h("dd", {}, whole(score.wcpm)),
      h("dt", {}, "stumbles"), h("dd", {}, String(score.stumbles)),
      h("dt", {}, "fillers"), h("dd", {}, String(score.fillers)),
    ),
  );
}

/** What happened to a word in one take, in words. */
function outcome(o) {
  const parts = [];
  if (o.hesitation_before) parts.push("a pause before it");
  if (o.stumble_before) parts.push("unclear speech before it");
  if (o.extras_before?.length) parts.push(`“${o.extras_before.join(" ")}” before it`);
  const verdict = o.verdict === "correct" ? "said right" : o.verdict === "skipped" ? "skipped" : `misread as “${o.heard ?? ""}”`;
  return [verdict, ...parts].join(", ");
}

function lists(c) {
  const groups = [["fixed", "Fixed"], ["worse", "Went wrong"], ["still_trips", "Still trip you up"]];
  const blocks = groups.map(([change, title]) => {
    const words = c.words.filter((w) => w.change === change);
    if (!words.length) return null;
    return h("div", {}, h("h2", {}, title), h("ul", {}, words.map((w) => h("li", {},
      h("strong", {}, w.text), ` (line ${w.line}): `,
      w.before ? `before ${outcome(w.before)}; now ${outcome(w.after)}` : outcome(w.after)))));
  });
  return h("div", {}, blocks);
}
