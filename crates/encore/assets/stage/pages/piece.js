// A piece: rehearse it, its progress over the takes, where it keeps going wrong, its takes (each
// with its report, any two compared), and editing or removing it.

import { api } from "../api.js";
import { lineChart } from "../chart.js";
import { h, announce, clock, percent, plural, when, whole } from "../dom.js";

export async function piecePage(main, id) {
  const [piece, drills] = await Promise.all([api(`/api/pieces/${id}`), api(`/api/pieces/${id}/drills`)]);
  render(main, piece, drills);
}

function render(main, piece, drills) {
  main.replaceChildren();
  const analysed = piece.takes.filter((take) => take.analysed);
  main.append(
    h("p", { class: "quiet small" }, h("a", { href: "#/" }, "Pieces"), " / "),
    h("h1", {}, piece.title),
    h("p", { class: "quiet" },
      `${plural(piece.script.words.length, "word", "words")} · ${plural(piece.takes.length, "take", "takes")}`,
      piece.script.version > 1 ? ` · script version ${piece.script.version}` : ""),
    h("div", { class: "actions" },
      h("a", { class: "button primary", href: `#/pieces/${piece.id}/rehearse` }, "Rehearse"),
      h("button", { type: "button", onclick: () => editForm(main, piece) }, "Edit"),
      h("button", { type: "button", class: "danger", onclick: () => confirmRemove(piece) }, "Remove…"),
    ),
    h("div", { id: "edit" }),
  );
  if (drills?.drills.length) {
    main.append(h("p", { class: "drills-due", id: "drills-due" },
      drills.due_now
        ? [h("strong", {}, `${plural(drills.due_now, "drill is", "drills are")} due`), " from your takes' trouble spots. ",
          h("a", { class: "button", href: `#/pieces/${piece.id}/drills` }, "Practise the drills")]
        : `${plural(drills.drills.length, "drill", "drills")} from your takes' trouble spots; none is due now.`));
  }

  main.append(h("h2", {}, "Progress"));
  if (analysed.length === 0) {
    main.append(h("p", { class: "quiet" }, "Your takes will show here: accuracy, pace and stumbles, take after take."));
  } else {
    const p = piece.progress;
    main.append(h("div", { class: "charts" },
      lineChart({ title: "Accuracy", values: p.accuracy, format: percent, better: "higher" }),
      lineChart({ title: "Words correct per minute", values: p.wcpm, format: whole, better: "higher" }),
      lineChart({ title: "Stumbles", values: p.stumbles, format: (v) => whole(v), better: "lower" }),
    ));
  }

  main.append(h("h2", {}, "Trouble spots"));
  if (piece.trouble.length === 0) {
    main.append(h("p", { class: "quiet" }, analysed.length < 2
      ? "After two takes or more, the places that keep tripping you up show here."
      : "No place went wrong in more than one take. Well done."));
  } else {
    main.append(h("ul", { class: "trouble" }, piece.trouble.map((spot) => h("li", {},
      h("q", {}, spot.text), " ",
      h("span", { class: "quiet small" }, `line ${spot.line} · in ${spot.takes} of ${spot.of_takes} takes`),
      h("div", { class: "small" }, spot.how.map(([what, n]) => `${what} (${n})`).join(", ")),
    ))));
  }

  main.append(h("h2", {}, "Takes"));
  if (piece.takes.length === 0) {
    main.append(h("p", { class: "quiet" }, "No takes yet: rehearse the piece, or upload a recording from the rehearsal room."));
  } else {
    main.append(takesTable(piece));
  }

  main.append(h("h2", {}, "Script"), h("details", { class: "card" },
    h("summary", {}, "Show the script"),
    h("div", { style: "white-space:pre-wrap;font-family:var(--serif);margin-top:.6rem" }, piece.script.text),
  ));
}

function takesTable(piece) {
  const chosen = new Set();
  const compare = h("button", { type: "button", disabled: true }, "Compare the two chosen takes");
  const hint = h("p", { class: "hint", id: "compare-hint" }, "Choose two takes to compare them word by word.");
  compare.addEventListener("click", () => {
    const [a, b] = [...chosen].sort((x, y) => x - y);
    location.hash = `#/compare/${a}/${b}`;
  });
  const takes = [...piece.takes].reverse();
  const rows = takes.map((take) => {
    const number = piece.takes.indexOf(take) + 1;
    const box = h("input", {
      type: "checkbox", "aria-label": `Choose take ${number} to compare`, disabled: !take.analysed,
      onchange: (event) => {
        if (event.target.checked) chosen.add(take.id); else chosen.delete(take.id);
        compare.disabled = chosen.size !== 2;
      },
    });
    const s = take.score;
    return h("tr", {},
      h("td", {}, box),
      h("td", {}, h("a", { href: `#/takes/${take.id}` }, `Take ${number}`)),
      h("td", { class: "hide-narrow" }, when(take.recorded_at)),
      h("td", { class: "num hide-narrow" }, clock(take.duration)),
      h("td", { class: "num" }, s ? percent(s.accuracy) : "not analysed"),
      h("td", { class: "num" }, s ? whole(s.wcpm) : ""),
      h("td", { class: "num" }, s ? String(s.stumbles) : ""),
    );
  });
  return h("div", {},
    h("div", { class: "table-wrap" }, h("table", {},
      h("caption", { class: "visually-hidden" }, "Takes, newest first"),
      h("thead", {}, h("tr", {},
        h("th", {}, h("span", { class: "visually-hidden" }, "Compare")),
        h("th", {}, "Take"), h("th", { class: "hide-narrow" }, "Recorded"), h("th", { class: "num hide-narrow" }, "Length"),
        h("th", { class: "num" }, "Accuracy"), h("th", { class: "num" }, h("abbr", { title: "words correct per minute" }, "WCPM")),
        h("th", { class: "num" }, "Stumbles"))),
      h("tbody", {}, rows),
    )),
    h("div", { class: "actions" }, compare), hint,
  );
}

function editForm(main, piece) {
  const slot = main.querySelector("#edit");
  if (slot.firstChild) { slot.querySelector("input")?.focus(); return; }
  const title = h("input", { type: "text", id: "edit-title", value: piece.title, required: true, maxlength: 200 });
  const script = h("textarea", { id: "edit-script", rows: 12, "aria-describedby": "edit-hint" });
  script.value = piece.script.text;
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "card" },
    h("label", { class: "field", for: "edit-title", style: "margin-top:0" }, "Title"), title,
    h("label", { class: "field", for: "edit-script" }, "Script"), script,
    h("p", { class: "hint", id: "edit-hint" }, "Editing the script keeps the old version for the takes read from it."),
    error,
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Save"),
      h("button", { type: "button", onclick: () => slot.replaceChildren() }, "Cancel")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const updated = await api(`/api/pieces/${piece.id}`, { method: "PUT", json: { title: title.value, script: script.value } });
      render(main, updated);
      announce("Saved");
      main.querySelector("h1").focus();
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  slot.append(form);
  title.focus();
}

function confirmRemove(piece) {
  const error = h("p", { class: "error", role: "alert" });
  const dialog = h("dialog", { "aria-labelledby": "remove-title" },
    h("h2", { id: "remove-title", style: "margin-top:0" }, `Remove “${piece.title}”?`),
    h("p", {}, `Its script and ${plural(piece.takes.length, "take", "takes")}, with their recordings, will be deleted. This cannot be undone.`),
    error,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "danger", onclick: async () => {
        try {
          await api(`/api/pieces/${piece.id}`, { method: "DELETE" });
          dialog.close();
          announce(`Removed ${piece.title}`);
          location.hash = "#/";
        } catch (failure) {
          error.textContent = failure.message;
        }
      } }, "Remove"),
      h("button", { type: "button", autofocus: true, onclick: () => dialog.close() }, "Keep it"),
    ),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
