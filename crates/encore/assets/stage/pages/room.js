// The rehearsal room: an optional breathing warm-up, then the take, recorded from the microphone
// with a prompter that follows the voice and a quiet audience that glows with the flow; or a
// recording uploaded instead. When the take stops, its report opens.

import { api, uploadTake } from "../api.js";
import { audience } from "../audience.js";
import { h, announce, clock, reducedMotion } from "../dom.js";
import { Recorder } from "../recorder.js";

const WARM_UP_SECONDS = 30;

export async function roomPage(main, id) {
  const [piece, settings] = await Promise.all([api(`/api/pieces/${id}`), api("/api/settings")]);
  // Loading the speech model takes a moment: start now, while the performer gets ready.
  api("/api/model", { method: "POST" }).catch(() => {});
  document.body.classList.add("in-room");

  let recorder = null;
  let warmUp = null;
  const crowd = audience();
  const error = h("p", { class: "error", role: "alert" });
  const status = h("p", { class: "lead", role: "status", "aria-live": "polite" }, "When you are ready, press Record and begin.");
  const prompter = prompterFor(piece.script.words);
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
  const file = h("input", { type: "file", id: "upload", accept: "audio/*,.wav,.flac,.mp3,.ogg,.m4a,.aac" });
  const upload = h("div", { class: "upload" },
    h("label", { for: "upload" }, "Or upload a recording of this piece: "), file,
    h("p", { class: "hint" }, "WAV, FLAC, MP3, OGG or M4A."),
  );
  const stage = h("div", { class: "room" },
    h("p", { class: "quiet small" }, h("a", { href: `#/pieces/${piece.id}` }, `← ${piece.title}`)),
    h("h1", {}, `Rehearse: ${piece.title}`),
    status,
    h("div", { class: "actions" }, record, stop, breathe, time),
    meter,
    error,
    prompter.element,
    crowd.element,
    upload,
  );
  main.append(stage);

  const setBusy = (busy) => {
    record.disabled = busy;
    breathe.disabled = busy;
    file.disabled = busy;
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
    recorder = new Recorder(piece.id, {
      onReady: () => {
        status.textContent = "Listening. Begin when you are ready.";
      },
      onLevel: showLevel,
      onFollow: (message) => {
        if (message.moved) prompter.show(message.index);
        crowd.setFlow(message.flow);
      },
      onLimit: (message) => { status.textContent = message; },
    });
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
      const takeId = await recorder.stop();
      crowd.cheer();
      sessionStorage.setItem("encore.freshTake", String(takeId));
      location.hash = `#/takes/${takeId}`;
    } catch (failure) {
      clearInterval(ticking);
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
    const heard = h("progress", { max: 1, value: 0, "aria-label": `How much of ${chosen.name} has been heard` });
    status.replaceChildren(h("span", { class: "working" }, `Listening to ${chosen.name}… `), heard);
    try {
      const view = await uploadTake(piece.id, chosen, (fraction) => {
        heard.value = fraction;
      });
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
    document.body.classList.remove("in-room");
  };
}

/** The teleprompter: the script's lines, the word being said lit, the said ones brighter. */
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
    const span = h("span", { dataset: { i: word.index, line: word.line } }, word.text);
    spans.push(span);
    p.append(span, " ");
  }
  element.append(live);
  let current = -1;
  let shownLine = null;
  return {
    element,
    reset() {
      spans.forEach((span) => span.classList.remove("said", "now"));
      current = -1;
      shownLine = null;
      element.scrollTop = 0;
    },
    show(index) {
      if (index === current || !spans[index]) return;
      const from = Math.max(0, Math.min(current, index));
      for (let i = from; i < spans.length; i += 1) spans[i].classList.toggle("said", i < index);
      spans[current]?.classList.remove("now");
      spans[index].classList.add("now");
      current = index;
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
