// The script as performed: every verdict on it, hesitations as gaps, unclear speech marked, each
// word a button that plays the take from there. The layout follows the HTML report's
// (crates/encore/src/report/mod.rs, `lines`): extra words go on the line of the script word they
// come before, a hesitation stands before the first word that started after the silence, a run
// of repeated words is one mark, and insertions the rescorer withdrew are left out. A take said
// from memory (the report's `prompter`) says so above the script, and marks the words that had
// to be shown again.

import { h } from "./dom.js";

/** The report's words grouped into lines of marks: {word}, {again: words}, {pause: s}, {unclear: true}. */
export function layout(report) {
  const lines = [];
  const pauses = report.hesitations.map((x) => [x.end, x.duration ?? x.end - x.start]).sort((a, b) => a[0] - b[0]);
  let nextPause = 0;
  let current = report.words.find((w) => w.line !== null && w.line !== undefined)?.line ?? 1;
  const words = report.words;
  let at = 0;
  while (at < words.length) {
    const word = words[at];
    if (word.line !== null && word.line !== undefined) {
      current = word.script_index !== null ? word.line : Math.max(word.line, current);
    }
    const before = [];
    if (word.start !== null) {
      while (nextPause < pauses.length && pauses[nextPause][0] <= word.start + 1e-6) {
        before.push({ pause: pauses[nextPause][1] });
        nextPause += 1;
      }
    }
    if (word.possible_stumble) before.push({ unclear: true });
    let mark = null;
    let next = at + 1;
    if (word.verdict === "repeated") {
      while (next < words.length && words[next].verdict === "repeated" && !words[next].possible_stumble) next += 1;
      mark = { again: words.slice(at, next) };
    } else if (!(word.verdict === "inserted" && word.rescored)) {
      mark = { word };
    }
    if (!lines.length || lines[lines.length - 1].number !== current) lines.push({ number: current, marks: [] });
    const line = lines[lines.length - 1];
    line.marks.push(...before);
    if (mark) line.marks.push(mark);
    at = next;
  }
  if (lines.length) {
    const last = lines[lines.length - 1];
    for (const [, duration] of pauses.slice(nextPause)) last.marks.push({ pause: duration });
    const placed = words.filter((w) => w.possible_stumble).length;
    const trailing = (report.stumbles || []).filter((s) => s.before_script_index === null).length;
    const count = Math.min(trailing, Math.max(0, (report.stumbles || []).length - placed));
    for (let i = 0; i < count; i += 1) last.marks.push({ unclear: true });
  }
  return lines;
}

const shown = (word) => word.text ?? word.heard ?? "";

/** One word as a button; `fallback` is where playback starts for a word with no time; `prompted`
 *  when it had to be shown again in a take said from memory. */
function wordButton(word, fallback, prompted = false) {
  const start = word.start ?? fallback;
  const text = shown(word);
  const heard = word.heard ?? "";
  const classes = {
    correct: "ok", misread: "misread", skipped: "skipped", inserted: "extra inserted", filler: "extra filler",
    repeated: "extra again", false_start: "extra false_start",
  };
  const labels = {
    correct: text,
    misread: `${text}, misread as ${heard}`,
    skipped: `${text}, skipped`,
    inserted: `added: ${heard}`,
    filler: `filler: ${heard}`,
    repeated: `said again: ${heard}`,
    false_start: `false start: ${heard}`,
  };
  let label = labels[word.verdict] ?? text;
  if (word.uncertain) label += " (not sure)";
  if (word.self_corrected) label += ", corrected yourself";
  if (prompted) label += ", shown again when you stalled";
  const inner = word.verdict === "misread" ? [text, h("small", { "aria-hidden": "true" }, heard)]
    : word.verdict === "skipped" ? [h("s", {}, text)]
    : word.script_index === null ? [heard] : [text];
  return h("button", {
    type: "button",
    class: `w ${classes[word.verdict] ?? ""}${word.uncertain ? " uncertain" : ""}${prompted ? " prompted" : ""}`,
    dataset: { t: start.toFixed(2), ...(word.end !== null ? { e: word.end.toFixed(2) } : {}), ...(word.script_index !== null ? { i: word.script_index } : {}) },
    "aria-label": word.verdict === "correct" && !word.uncertain && !prompted ? null : label,
    title: word.verdict === "correct" && !prompted ? null : label,
  }, inner);
}

/** The script with every verdict, as a <section>; `onPlay(seconds)` plays the take from there. */
export function performedScript(report, onPlay) {
  const section = h("section", { class: "script", "aria-label": "The script as you performed it; each word plays the take from there" });
  const memory = fromMemory(report);
  if (memory) section.append(memory);
  const prompted = new Set(report.prompter?.prompts ?? []);
  let previous = null;
  let lastTime = 0;
  for (const line of layout(report)) {
    const gap = previous !== null && line.number > previous + 1;
    previous = line.number;
    const p = h("p", { class: `line${gap ? " gap" : ""}` });
    for (const mark of line.marks) {
      if (mark.word) {
        p.append(wordButton(mark.word, lastTime, prompted.has(mark.word.script_index)));
        lastTime = mark.word.end ?? lastTime;
      } else if (mark.again) {
        const heard = mark.again.map((w) => w.heard ?? "").join(" ");
        const start = mark.again[0].start ?? lastTime;
        lastTime = mark.again[mark.again.length - 1].end ?? lastTime;
        p.append(h("button", { type: "button", class: "w extra again", dataset: { t: start.toFixed(2) }, "aria-label": `said again: ${heard}`, title: "said again" }, heard));
      } else if (mark.pause !== undefined) {
        const width = Math.min(6, Math.max(1.5, mark.pause * 1.2));
        p.append(h("span", { class: "pause", style: `width:${width.toFixed(1)}em`, role: "img", "aria-label": `a ${mark.pause.toFixed(1)} second pause`, title: `${mark.pause.toFixed(1)} s pause` }, `${mark.pause.toFixed(1)}s`));
      } else if (mark.unclear) {
        p.append(h("span", { class: "unclear", role: "img", "aria-label": "unclear speech, a possible stumble", title: "speech with no word heard: a possible stumble" }, "?"));
      }
      p.append(" ");
    }
    section.append(p);
  }
  section.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-t]");
    if (button) onPlay(parseFloat(button.dataset.t));
  });
  return section;
}

const MODE_NAMES = { fading: "the fading prompter", first_letters: "first letters only", cue: "only the first word of each line" };

/** What a take said from memory showed of the script, and how often it had to help; `null` for a
 *  take read in full. */
function fromMemory(report) {
  const used = report.prompter;
  if (!used || used.mode === "full") return null;
  const prompts = used.prompts ?? [];
  const words = report.script.words;
  const help = prompts.length === 0 ? "no word had to be shown again"
    : `words had to be shown again ${prompts.length === 1 ? "once" : `${prompts.length} times`} (marked)`;
  return h("p", { class: "from-memory", dataset: { mode: used.mode, hiddenWords: used.hidden_words } },
    `Said from memory with ${MODE_NAMES[used.mode] ?? used.mode}: ${used.hidden_words} of ${words} words hidden; ${help}.`);
}

/** The key to the marks. */
export function key() {
  return h("div", { class: "key", "aria-label": "Key to the marks", role: "note" },
    h("span", {}, h("span", { class: "w misread" }, "misread"), " heard shown above"),
    h("span", { class: "w skipped" }, h("s", {}, "skipped")),
    h("span", { class: "w extra inserted" }, "added"),
    h("span", { class: "w extra filler" }, "filler"),
    h("span", { class: "w extra again" }, "said again"),
    h("span", { class: "w extra false_start" }, "false start"),
    h("span", {}, h("span", { class: "pause", style: "width:2em" }, "1.5s"), " pause"),
    h("span", {}, h("span", { class: "unclear" }, "?"), " unclear speech"),
    h("span", {}, h("span", { class: "w uncertain" }, "word"), " not sure"),
  );
}
