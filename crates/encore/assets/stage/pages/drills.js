// The drill room: the due drills of a piece, one after another. Each shows its stretch large,
// the script's words around it quiet, and records an attempt over the same WebSocket as a take
// (the words lit as they are said); the verdict comes word by word with the next due time, then
// the next drill. Keyboard first: space starts and stops, Enter goes to the next drill.

import { api } from "../api.js";
import { h, announce, plural } from "../dom.js";
import { Recorder } from "../recorder.js";

/** Words of the script shown around a drill, before and after it. */
const AROUND = 4;

const RATED = {
  easy: "Clean, and at your usual pace.",
  good: "Clean.",
  hard: "One stumble.",
  again: "More than one stumble, or a word wrong or missing.",
};

export async function drillsPage(main, pieceId) {
  const [piece, listed] = await Promise.all([api(`/api/pieces/${pieceId}`), api(`/api/pieces/${pieceId}/drills`)]);
  api("/api/model", { method: "POST" }).catch(() => {});
  document.body.classList.add("in-room");
  const due = listed.drills.filter((drill) => listed.due_ids.includes(drill.id));
  const back = h("p", { class: "quiet small" }, h("a", { href: `#/pieces/${piece.id}` }, `← ${piece.title}`));
  const room = h("div", { class: "room drill-room" }, back, h("h1", {}, `Drills: ${piece.title}`));
  main.append(room);
  if (due.length === 0) {
    const next = listed.drills[0];
    room.append(h("p", { class: "lead", id: "drill-status" }, next
      ? `No drills are due. The next, “${next.text.replace(/\n/g, " / ")}”, is due ${dueIn(next.due)}.`
      : "This piece has no drills yet: a take with trouble in it makes them."));
    return () => document.body.classList.remove("in-room");
  }

  let recorder = null;
  let place = 0;
  let state = "ready"; // ready → recording → hearing → judged
  const counter = h("p", { class: "quiet small", id: "drill-count" });
  const stretch = h("div", { class: "drill-stretch prompter", id: "drill-stretch", "aria-label": "The drill's words" });
  const status = h("p", { class: "lead", role: "status", "aria-live": "polite", id: "drill-status" });
  const error = h("p", { class: "error", role: "alert" });
  const record = h("button", { type: "button", class: "primary", id: "drill-record" }, "Record (space)");
  const stop = h("button", { type: "button", class: "primary", id: "drill-stop", hidden: true }, "■ Stop (space)");
  const next = h("button", { type: "button", id: "drill-next", hidden: true }, "Next drill (Enter)");
  const verdict = h("div", { class: "drill-verdict", id: "drill-verdict", "aria-live": "polite" });
  room.append(counter, status, h("div", { class: "actions" }, record, stop, next), error, stretch, verdict);

  let spans = [];
  const show = () => {
    const drill = due[place];
    state = "ready";
    counter.textContent = `Drill ${place + 1} of ${due.length}`;
    status.textContent = "Say the words in bright type. Press Record (or space) and begin.";
    error.textContent = "";
    verdict.replaceChildren();
    next.hidden = true;
    record.hidden = false;
    stop.hidden = true;
    record.disabled = false;
    const words = piece.script.words;
    const before = words.slice(Math.max(0, drill.first_word - AROUND), drill.first_word);
    const after = words.slice(drill.last_word + 1, drill.last_word + 1 + AROUND);
    spans = [];
    const own = h("span", { class: "own" });
    let line = null;
    for (const word of words.slice(drill.first_word, drill.last_word + 1)) {
      if (line !== null && word.line !== line) own.append(h("br"));
      line = word.line;
      const span = h("span", { dataset: { i: spans.length } }, word.text);
      spans.push(span);
      own.append(span, " ");
    }
    stretch.replaceChildren(
      h("span", { class: "context" }, before.length ? `… ${before.map((w) => w.text).join(" ")} ` : ""),
      own,
      h("span", { class: "context" }, after.length ? ` ${after.map((w) => w.text).join(" ")} …` : ""),
    );
    record.focus();
  };

  const start = async () => {
    if (state !== "ready") return;
    state = "recording";
    error.textContent = "";
    record.hidden = true;
    stop.hidden = false;
    stop.disabled = false;
    spans.forEach((span) => span.classList.remove("said", "now"));
    status.textContent = "Opening the microphone…";
    const drill = due[place];
    recorder = new Recorder(`/api/drills/${drill.id}/record`, {
      onReady: () => { if (state === "recording") status.textContent = "Listening. Say the stretch."; },
      onFollow: (message) => {
        if (!message.moved) return;
        spans.forEach((span, i) => span.classList.toggle("said", i < message.index));
        spans.forEach((span, i) => span.classList.toggle("now", i === message.index));
      },
    });
    const stopped = new Promise((resolve) => { stopNow = resolve; });
    try {
      const finished = recorder.start();
      stop.focus();
      finished.catch(() => {});
      await Promise.race([finished, stopped]);
      state = "hearing";
      stop.disabled = true;
      status.replaceChildren(h("span", { class: "working" }, "Listening to your attempt…"));
      const attempt = await recorder.stop();
      judged(attempt);
    } catch (failure) {
      recorder?.release();
      error.textContent = failure.message;
      status.textContent = "The attempt did not go through. Press Record to try again.";
      state = "ready";
      record.hidden = false;
      stop.hidden = true;
      record.focus();
    }
  };
  let stopNow = () => {};

  const judged = (attempt) => {
    state = "judged";
    stop.hidden = true;
    const last = place === due.length - 1;
    status.textContent = `${RATED[attempt.rating]} Due again ${dueIn(attempt.drill.due)}.`;
    verdict.replaceChildren(
      h("p", { class: `rating rating-${attempt.rating}`, id: "drill-rating" }, attempt.rating),
      h("p", { class: "drill-words" }, attempt.report.words.map((word) => wordVerdict(word))),
    );
    announce(`${attempt.rating}. ${status.textContent}`);
    next.textContent = last ? "Done (Enter)" : "Next drill (Enter)";
    next.hidden = false;
    record.hidden = false;
    record.textContent = "Again (space)";
    next.focus();
  };

  const advance = () => {
    if (state !== "judged") return;
    record.textContent = "Record (space)";
    if (place === due.length - 1) {
      location.hash = `#/pieces/${piece.id}`;
      return;
    }
    place += 1;
    show();
  };

  record.addEventListener("click", () => {
    if (state === "judged") state = "ready";
    start();
  });
  stop.addEventListener("click", () => stopNow());
  next.addEventListener("click", advance);
  const keys = (event) => {
    if (event.target.closest?.("input, textarea, select")) return;
    if (event.key === " ") {
      event.preventDefault();
      if (state === "recording") stopNow();
      else if (state === "ready" || state === "judged") record.click();
    } else if (event.key === "Enter" && state === "judged") {
      event.preventDefault();
      advance();
    }
  };
  document.addEventListener("keydown", keys);
  show();

  return () => {
    document.removeEventListener("keydown", keys);
    recorder?.release();
    document.body.classList.remove("in-room");
  };
}

/** One word of the attempt's report, marked as the take report marks it. */
function wordVerdict(word) {
  const extra = word.script_index === null;
  const shown = extra ? word.heard : word.verdict === "skipped" ? h("s", {}, word.text) : word.text;
  const title = word.verdict === "misread" ? `heard “${word.heard}”` : word.verdict.replace("_", " ");
  return [h("span", { class: `w ${word.verdict}${extra ? " extra" : ""}`, title, dataset: { verdict: word.verdict } }, shown), " "];
}

/** "now", "in 10 minutes", "in 3 days" from an RFC 3339 moment. */
export function dueIn(moment) {
  const seconds = (Date.parse(moment) - Date.now()) / 1000;
  if (seconds <= 60) return "now"; // as the stage counts a drill due within a minute
  if (seconds < 3600) return `in ${plural(Math.round(seconds / 60), "minute", "minutes")}`;
  if (seconds < 86400) return `in ${plural(Math.round(seconds / 3600), "hour", "hours")}`;
  return `in ${plural(Math.round(seconds / 86400), "day", "days")}`;
}
