// The rehearsal room: an optional breathing warm-up, then the take, recorded from the microphone
// with a prompter that follows the voice and a quiet audience that glows with the flow; or a
// recording uploaded instead. When the take stops, its report opens.
//
// The prompter can help learn the script by heart: it shows the full text, or fades the words
// already known (by their mastery over the last takes, GET /api/pieces/{id}/mastery), or shows
// only first letters, or only the first word of each line. When the performer stalls, the next
// hidden words come back until they are said, and the stage is told (the take's report keeps
// the mode and every prompt).
//
// The camera is off unless the performer switches it on; then the pose over the take goes with
// it (camera.js), and the report says how the take looked.

import { api, uploadTake } from "../api.js";
import { audience } from "../audience.js";
import { Camera, posesOfVideo } from "../camera.js";
import { h, announce, clock, reducedMotion } from "../dom.js";
import { Recorder } from "../recorder.js";

const WARM_UP_SECONDS = 30;

/** The ways the prompter can show the script, as the performer chooses them. */
const MODES = [
  { mode: "full", label: "Full text", says: "Full text: every word is shown." },
  { mode: "fading", label: "Fading", says: "Fading: the words you know dim, then show only their first letter, then disappear. They come back when you stall." },
  { mode: "first_letters", label: "First letters", says: "First letters: only the first letter of each word. The words come back when you stall." },
  { mode: "cue", label: "Cue only", says: "Cue only: only the first word of each line. The rest comes back when you stall." },
];
/** Where the choice is remembered between visits. */
const MODE_KEY = "encore.prompterMode";
// The mastery at which a word dims, shows only its first letter, and disappears. Mastery is 0.43
// after one clean take, 0.69 after two and 0.85 after three (crates/coach/src/mastery.rs): a word
// is gone after three clean takes in a row, and one slip in the latest take brings it back.
const DIM_AT = 0.4;
const FIRST_LETTER_AT = 0.6;
const HIDDEN_AT = 0.8;
// A stall: this long quiet (the microphone under the voice level) with no new word heard, or this
// long with words coming but none of the script's (fillers, muttering). Seconds of audio. The
// longest ordinary pauses in a speech are about a second.
const STALL_QUIET = 1.6;
const STALL_LOST = 4.5;
/** Hidden words shown again at a stall. */
const PROMPTED_WORDS = 3;

export async function roomPage(main, id) {
  const [piece, settings, mastery] = await Promise.all([
    api(`/api/pieces/${id}`), api("/api/settings"), api(`/api/pieces/${id}/mastery`).catch(() => ({ words: [] })),
  ]);
  // Loading the speech model takes a moment: start now, while the performer gets ready.
  api("/api/model", { method: "POST" }).catch(() => {});
  document.body.classList.add("in-room");

  let recorder = null;
  let warmUp = null;
  const crowd = audience();
  const error = h("p", { class: "error", role: "alert" });
  const status = h("p", { class: "lead", role: "status", "aria-live": "polite" }, "When you are ready, press Record and begin.");
  const prompter = prompterFor(piece.script.words);
  const modes = modeChoice(prompter, piece.script.words, mastery.words);
  const meter = h("div", { class: "meter", "aria-hidden": "true" }, h("div"));
  // The meter moves a few times a second, the loudest chunk since it last moved, and as a
  // transform the compositor applies without laying out the page again. Redrawn for every
  // 40 ms chunk, it took a sixth of a core from the listening on a machine without a GPU.
  let loudest = 0;
  let shown = 0;
  const showLevel = (level) => {
    loudest = Math.max(loudest, level);
    if (performance.now() - shown < 125) return;
    shown = performance.now();
    meter.firstChild.style.transform = `scaleX(${Math.min(1, Math.sqrt(loudest) * 1.8).toFixed(2)})`;
    loudest = 0;
  };
  const time = h("span", { class: "clock", "aria-hidden": "true" }, "0:00");
  const record = h("button", { type: "button", class: "primary", id: "record" }, h("span", { class: "recording-dot", style: "animation:none" }), "Record");
  const stop = h("button", { type: "button", class: "primary", id: "stop", hidden: true }, "■ Stop");
  const breathe = h("button", { type: "button", id: "warm-up" }, "Warm up first (30 s)");
  const file = h("input", { type: "file", id: "upload", accept: "audio/*,.wav,.flac,.mp3,.ogg,.m4a,.aac,video/mp4,.mp4,.m4v,.mov" });
  const camera = cameraChoice(error);
  const upload = h("div", { class: "upload" },
    h("label", { for: "upload" }, "Or upload a recording of this piece: "), file,
    h("p", { class: "hint" }, "WAV, FLAC, MP3, OGG or M4A; or a video of yourself (MP4), and the report says how you moved too."),
  );
  const stage = h("div", { class: "room" },
    h("p", { class: "quiet small" }, h("a", { href: `#/pieces/${piece.id}` }, `← ${piece.title}`)),
    h("h1", {}, `Rehearse: ${piece.title}`),
    status,
    h("div", { class: "actions" }, record, stop, breathe, time),
    meter,
    camera.element,
    error,
    modes.element,
    prompter.element,
    crowd.element,
    upload,
  );
  main.append(stage);

  const setBusy = (busy) => {
    record.disabled = busy;
    breathe.disabled = busy;
    file.disabled = busy;
    modes.setDisabled(busy);
    camera.setDisabled(busy);
  };

  breathe.addEventListener("click", () => {
    warmUp?.cancel();
    warmUp = breathing(prompter.element, () => {
      warmUp = null;
      status.textContent = "Warmed up. Press Record when you are ready.";
      record.focus();
    });
  });

  record.addEventListener("click", async () => {
    warmUp?.cancel();
    error.textContent = "";
    setBusy(true);
    record.hidden = true;
    stop.hidden = false;
    status.textContent = "Opening the microphone…";
    prompter.reset();
    let ticking = null;
    const help = helpWhenStalled(prompter, (message) => tell(recorder, message));
    recorder = new Recorder(piece.id, {
      onReady: () => {
        status.textContent = "Listening. Begin when you are ready.";
        tell(recorder, { type: "prompter", mode: modes.mode, hidden_words: prompter.hiddenWords() });
        help.start();
      },
      onLevel: (level) => {
        showLevel(level);
        help.heard(level, recorder.seconds);
      },
      onFollow: (message) => {
        if (message.moved) prompter.show(message.index);
        help.followed(message);
        crowd.setFlow(message.flow);
      },
      onLimit: (message) => { status.textContent = message; },
    });
    camera.follow(recorder);
    try {
      const finished = recorder.start();
      stop.focus();
      ticking = setInterval(() => { time.textContent = clock(recorder.seconds); }, 250);
      finished.catch(() => {}); // handled below, once stopped
      await Promise.race([finished, new Promise((resolve) => stop.addEventListener("click", resolve, { once: true }))]);
      clearInterval(ticking);
      stop.disabled = true;
      status.replaceChildren(h("span", { class: "working" }, "Listening to the end of your take…"));
      announce("Stopped. Listening to the end of your take.");
      camera.stopFollowing();
      const takeId = await recorder.stop();
      crowd.cheer();
      sessionStorage.setItem("encore.freshTake", String(takeId));
      location.hash = `#/takes/${takeId}`;
    } catch (failure) {
      clearInterval(ticking);
      camera.stopFollowing();
      recorder?.release();
      error.textContent = failure.message;
      if (failure.takeId) error.append(" ", h("a", { href: `#/takes/${failure.takeId}` }, "Open the take"));
      status.textContent = "The take did not go through.";
      record.hidden = false;
      stop.hidden = true;
      stop.disabled = false;
      setBusy(false);
      record.focus();
    }
  });

  file.addEventListener("change", async () => {
    const chosen = file.files[0];
    if (!chosen) return;
    warmUp?.cancel();
    error.textContent = "";
    if (chosen.size > settings.max_upload_bytes) {
      const most = Math.round(settings.max_upload_bytes / 1e6);
      error.textContent = `${chosen.name} is larger than ${most} MB, the most this stage takes; start it with a larger --max-upload-mb or shorten the recording`;
      file.value = "";
      return;
    }
    setBusy(true);
    // A filmed take: its movement is read here, frame by frame, before its sound goes up.
    let poses = null;
    if (isVideo(chosen)) {
      const seen = h("progress", { max: 1, value: 0, "aria-label": `How much of ${chosen.name} has been watched` });
      status.replaceChildren(h("span", { class: "working" }, `Watching how you move in ${chosen.name}… `), seen);
      try {
        poses = await posesOfVideo(chosen, (fraction) => { seen.value = fraction; });
      } catch (failure) {
        error.textContent = `${failure.message}; the take goes on without its movement`;
      }
    }
    const heard = h("progress", { max: 1, value: 0, "aria-label": `How much of ${chosen.name} has been heard` });
    status.replaceChildren(h("span", { class: "working" }, `Listening to ${chosen.name}… `), heard);
    try {
      const listening = status.firstChild;
      const view = await uploadTake(piece.id, chosen, (fraction, ahead) => {
        heard.value = fraction;
        listening.textContent = ahead === null
          ? `Listening to ${chosen.name}… `
          : `Waiting for its turn: ${ahead === 0 ? "next" : `${ahead} ${ahead === 1 ? "take" : "takes"} ahead`}… `;
      });
      if (poses?.poses.length) {
        try {
          await api(`/api/takes/${view.take.id}/poses`, { method: "PUT", json: poses });
        } catch (failure) {
          error.replaceChildren(`The take is kept, but not how you moved: ${failure.message}. `, h("a", { href: `#/takes/${view.take.id}` }, "Open the take"));
          status.textContent = "";
          file.value = "";
          setBusy(false);
          return;
        }
      }
      sessionStorage.setItem("encore.freshTake", String(view.take.id));
      location.hash = `#/takes/${view.take.id}`;
    } catch (failure) {
      error.textContent = failure.message;
      status.textContent = "The upload did not go through.";
      file.value = "";
      setBusy(false);
      file.focus();
    }
  });

  return () => {
    warmUp?.cancel();
    recorder?.release();
    camera.stop();
    document.body.classList.remove("in-room");
  };
}

/** A video file, by its type or, where the browser gives none, its extension. */
const isVideo = (file) => file.type.startsWith("video/") || /\.(mp4|m4v|mov)$/i.test(file.name);

/**
 * The camera switch, off until the performer turns it on, with the mirror view they may hide.
 * A camera that cannot open says why in `error`, and the take goes on without it.
 */
function cameraChoice(error) {
  const video = h("video", { class: "mirror", muted: true, playsinline: true, autoplay: true, "aria-label": "You, as the camera sees you" });
  const toggle = h("input", { type: "checkbox", id: "camera" });
  const hide = h("button", { type: "button", class: "small", hidden: true }, "Hide my picture");
  const says = h("span", { class: "hint", role: "status", "aria-live": "polite" }, "Off. Only the body's points are kept with the take, never pictures.");
  const element = h("div", { class: "camera-choice" },
    h("label", { for: "camera" }, toggle, " Camera: see how I move"), " ", says, hide, video);
  video.hidden = true;
  let camera = null;
  toggle.addEventListener("change", async () => {
    error.textContent = "";
    if (!toggle.checked) {
      camera?.stop();
      camera = null;
      video.hidden = true;
      hide.hidden = true;
      says.textContent = "Off.";
      return;
    }
    const starting = new Camera(video);
    toggle.disabled = true;
    video.hidden = false;
    try {
      await starting.start((message) => { says.textContent = message; });
      camera = starting;
      hide.hidden = false;
      says.textContent = "On: your movement will be in the report. The picture stays in this page.";
    } catch (failure) {
      starting.stop();
      toggle.checked = false;
      video.hidden = true;
      says.textContent = "Off.";
      error.textContent = failure.message;
    } finally {
      toggle.disabled = false;
    }
  });
  hide.addEventListener("click", () => {
    const hiding = !video.classList.contains("out-of-sight");
    video.classList.toggle("out-of-sight", hiding);
    hide.textContent = hiding ? "Show my picture" : "Hide my picture";
  });
  return {
    element,
    follow(recorder) { camera?.follow(recorder); },
    stopFollowing() { camera?.stopFollowing(); },
    stop() { camera?.stop(); },
    setDisabled(disabled) { toggle.disabled = disabled; },
  };
}

/**
 * The teleprompter: the script's lines, the word being said lit, the said ones brighter. Each
 * word shows in full, dimmed, by its first letter or not at all (class `dim`, `first-letter` or
 * `hidden`, and `data-shown`); a hidden word shown again after a stall is `revealed` until said.
 */
function prompterFor(words) {
  const spans = [];
  const live = h("p", { class: "visually-hidden", "aria-live": "polite" });
  const element = h("div", { class: "prompter", tabindex: 0, role: "region", "aria-label": "Prompter: the script, following your voice" });
  let line = null;
  let p = null;
  for (const word of words) {
    if (word.line !== line) {
      p = h("p", { class: "line" });
      element.append(p);
      line = word.line;
    }
    // The first letter (with any opening punctuation) and the rest, so that the rest can hide.
    const [, head, rest] = word.text.match(/^([^\p{L}\p{N}]*[\p{L}\p{N}]?)(.*)$/su);
    const span = h("span", { dataset: { i: word.index, line: word.line, shown: "full" } }, h("span", { class: "head" }, head), h("span", { class: "rest" }, rest));
    spans.push(span);
    p.append(span, " ");
  }
  element.append(live);
  let current = -1;
  let shownLine = null;
  const hidden = (span) => span.dataset.shown === "hidden" || span.dataset.shown === "first-letter";
  return {
    element,
    reset() {
      spans.forEach((span) => span.classList.remove("said", "now", "revealed"));
      current = -1;
      shownLine = null;
      element.scrollTop = 0;
    },
    /** Shows word `i` as `how`: "full", "dim", "first-letter" or "hidden". */
    setShown(i, how) {
      const span = spans[i];
      span.classList.remove("dim", "first-letter", "hidden");
      if (how !== "full") span.classList.add(how);
      span.dataset.shown = how;
    },
    /** Script words not shown in full (only a first letter, or nothing). */
    hiddenWords() {
      return spans.filter(hidden).length;
    },
    /** Shows again the hidden words among the `count` from `from`; returns their indices. */
    reveal(from, count) {
      const shown = spans.slice(Math.max(0, from), from + count).filter((span) => hidden(span) && !span.classList.contains("revealed"));
      shown.forEach((span) => span.classList.add("revealed"));
      if (shown.length) live.textContent = `prompt: ${shown.map((span) => span.textContent).join(" ")}`;
      return shown.map((span) => Number(span.dataset.i));
    },
    show(index) {
      if (index === current || !spans[index]) return;
      const from = Math.max(0, Math.min(current, index));
      for (let i = from; i < spans.length; i += 1) spans[i].classList.toggle("said", i < index);
      spans[current]?.classList.remove("now");
      spans[index].classList.add("now");
      current = index;
      // Words shown again fade once said.
      for (let i = 0; i <= index; i += 1) spans[i].classList.remove("revealed");
      const lineNumber = spans[index].dataset.line;
      if (lineNumber !== shownLine) {
        shownLine = lineNumber;
        const target = spans[index].parentElement;
        element.scrollTo({ top: target.offsetTop - element.clientHeight * 0.3, behavior: reducedMotion() ? "auto" : "smooth" });
        live.textContent = `line ${lineNumber}`;
      }
    },
  };
}

/** How a word shows in `mode`, given how well it is known (0 to 1) and whether it opens a line. */
function shownAs(mode, known, opensLine) {
  switch (mode) {
    case "fading":
      return known >= HIDDEN_AT ? "hidden" : known >= FIRST_LETTER_AT ? "first-letter" : known >= DIM_AT ? "dim" : "full";
    case "first_letters":
      return "first-letter";
    case "cue":
      return opensLine ? "full" : "hidden";
    default:
      return "full";
  }
}

/**
 * The performer's choice of how the prompter shows the script, remembered between visits, and a
 * line that says which is in use and how much of the script it hides.
 */
function modeChoice(prompter, words, mastery) {
  const stored = localStorage.getItem(MODE_KEY);
  let mode = MODES.some((m) => m.mode === stored) ? stored : "full";
  const says = h("p", { class: "mode-says", role: "status", "aria-live": "polite" });
  const inputs = MODES.map(({ mode: value, label }) => h("label", {},
    h("input", { type: "radio", name: "prompter-mode", value, checked: value === mode }), ` ${label}`));
  const element = h("div", { class: "prompter-mode", dataset: { mode } },
    h("fieldset", {}, h("legend", {}, "Prompter"), inputs), says);
  const apply = () => {
    words.forEach((word, i) => prompter.setShown(i, shownAs(mode, mastery[i] ?? 0, i === 0 || words[i - 1].line !== word.line)));
    const hidden = prompter.hiddenWords();
    let text = MODES.find((m) => m.mode === mode).says;
    if (mode === "fading" && !hidden) text += " No word is known well enough to fade yet: each clean take fades more.";
    else if (mode !== "full") text += ` ${hidden} of ${words.length} words are hidden.`;
    says.textContent = text;
    element.dataset.mode = mode;
  };
  element.addEventListener("change", (event) => {
    mode = event.target.value;
    localStorage.setItem(MODE_KEY, mode);
    apply();
  });
  apply();
  return {
    element,
    get mode() { return mode; },
    setDisabled(disabled) { element.querySelector("fieldset").disabled = disabled; },
  };
}

/**
 * Help when it is needed: while recording, a stall at the current place (quiet, or words that do
 * not move the prompter) shows the next hidden words again and tells the stage. The place and
 * the time of its last word come from the follow messages; the quiet from the microphone's level,
 * which the page knows at once, so that a follower running late never counts as a stall. For
 * tests, each prompt goes into window.encorePrompts as { index, at } (seconds of audio sent).
 */
function helpWhenStalled(prompter, tell) {
  window.encorePrompts = window.encorePrompts || [];
  let listening = false;
  let place = -1;
  let lastWordAt = 0;
  let lastVoiceAt = 0;
  let floor = null;
  let moves = 0;
  let helpedAt = null;
  let behind = 0;
  const help = (now) => {
    helpedAt = place;
    const shown = prompter.reveal(place + 1, PROMPTED_WORDS);
    if (!shown.length) return;
    tell({ type: "prompt", script_index: shown[0] });
    window.encorePrompts.push({ index: shown[0], at: now });
  };
  return {
    start() { listening = true; },
    /** The microphone's level (RMS of about 40 ms) at `now` seconds of audio. */
    heard(level, now) {
      // The room's noise floor, rising slowly so that a louder room is learnt.
      floor = floor === null ? level : Math.min(level, floor * 1.003 + 1e-5);
      if (level > Math.max(0.008, floor * 4)) lastVoiceAt = now;
      if (!listening || place < 0 || helpedAt === place) return;
      const sinceWord = now - lastWordAt;
      const quiet = now - lastVoiceAt >= STALL_QUIET && sinceWord >= STALL_QUIET;
      // Words with no progress, by the stage's own clock (never counting a follower catching up).
      const lost = moves >= 2 && behind >= STALL_LOST;
      if (quiet || lost) help(now);
    },
    followed(message) {
      if (message.moved) {
        moves += 1;
        place = message.index;
      }
      lastWordAt = message.heard_at;
      behind = message.received - message.heard_at;
    },
  };
}

/** Sends a message to the stage over the take's connection, once it is open. */
function tell(recorder, message) {
  const socket = recorder?.socket;
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

/** Thirty seconds of slow breathing in the prompter's place: in for four, out for six. */
function breathing(prompter, done) {
  const circle = h("div", { class: "circle" });
  const cue = h("p", { class: "cue", "aria-live": "polite" }, "Breathe in…");
  const left = h("p", { class: "quiet" });
  const skip = h("button", { type: "button" }, "Skip the warm-up");
  const panel = h("div", { class: "breath", role: "group", "aria-label": "Breathing warm-up" }, circle, cue, left, skip);
  prompter.hidden = true;
  prompter.after(panel);
  const started = Date.now();
  let phase = -1;
  const tick = () => {
    const elapsed = (Date.now() - started) / 1000;
    if (elapsed >= WARM_UP_SECONDS) return finish();
    const inCycle = elapsed % 10;
    const next = inCycle < 4 ? 0 : 1;
    if (next !== phase) {
      phase = next;
      cue.textContent = phase === 0 ? "Breathe in…" : "…and slowly out";
      circle.className = `circle ${phase === 0 ? "in" : "out"}`;
    }
    left.textContent = `${Math.ceil(WARM_UP_SECONDS - elapsed)} s`;
  };
  const timer = setInterval(tick, 200);
  tick();
  skip.focus();
  function finish() {
    clearInterval(timer);
    panel.remove();
    prompter.hidden = false;
    done();
  }
  skip.addEventListener("click", finish);
  return { cancel() { clearInterval(timer); panel.remove(); prompter.hidden = false; } };
}
