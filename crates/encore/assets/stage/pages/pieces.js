// The pieces: each with its takes and best accuracy; a new piece from a pasted title and script.

import { api } from "../api.js";
import { h, announce, percent, plural, when } from "../dom.js";

export async function piecesPage(main) {
  const pieces = await api("/api/pieces");
  // A club's stage lists the pieces assigned to the member's groups; the club adds them.
  const club = document.body.dataset.club === "true";
  main.append(
    h("h1", {}, "Your pieces"),
    h("p", { class: "quiet" }, club
      ? "The pieces assigned to your groups. Your takes are kept in your club's database."
      : "Everything stays on this machine: your scripts, your takes and your voice."),
  );

  if (pieces.length === 0 && club) {
    main.append(h("div", { class: "card empty" }, h("p", {}, "No pieces are assigned to your groups yet.")));
  } else if (pieces.length === 0) {
    main.append(h("div", { class: "card empty" },
      h("p", {}, "No pieces yet. Paste a script below to start rehearsing it."),
    ));
  } else {
    main.append(h("ul", { class: "pieces", "aria-label": "Pieces" }, pieces.map((piece) =>
      h("li", {}, h("a", { href: `#/pieces/${piece.id}` }, h("div", { class: "card" },
        h("h2", {}, piece.title),
        h("p", { class: "quiet small" },
          `${plural(piece.words, "word", "words")} · ${plural(piece.takes, "take", "takes")}`,
          piece.best_accuracy !== null && piece.best_accuracy !== undefined ? ` · best ${percent(piece.best_accuracy)}` : "",
        ),
        piece.last_take_at ? h("p", { class: "quiet small" }, `last take ${when(piece.last_take_at)}`) : null,
      ))),
    )));
  }
  if (!club) main.append(newPieceForm());
}

function newPieceForm() {
  const title = h("input", { type: "text", id: "piece-title", name: "title", required: true, autocomplete: "off", maxlength: 200 });
  const script = h("textarea", { id: "piece-script", name: "script", required: true, rows: 10, "aria-describedby": "script-hint" });
  const error = h("p", { class: "error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, "Add piece");
  const form = h("form", { class: "card", "aria-labelledby": "new-piece" },
    h("h2", { id: "new-piece", style: "margin-top:0" }, "A new piece"),
    h("label", { class: "field", for: "piece-title" }, "Title"), title,
    h("label", { class: "field", for: "piece-script" }, "Script"), script,
    h("p", { class: "hint", id: "script-hint" },
      "Paste the text as you mean to say it, one line per line. Mark a pause you intend with a slash ( / )."),
    error,
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    try {
      const piece = await api("/api/pieces", { method: "POST", json: { title: title.value, script: script.value } });
      announce(`Added ${piece.title}`);
      location.hash = `#/pieces/${piece.id}`;
    } catch (failure) {
      error.textContent = failure.message;
      (title.value.trim() ? script : title).focus();
    } finally {
      submit.disabled = false;
    }
  });
  return h("section", { style: "margin-top:2rem" }, form);
}
