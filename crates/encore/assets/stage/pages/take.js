// A take's report: how it stands against the earlier takes, the script with every verdict (each
// word plays the take from there), how it sounded (pitch and loudness under the words), the
// numbers, the findings in plain words, and "try again". A take recorded with the camera on also
// shows how it looked: a band under the words (stillness, sway, gestures, eyes away).

import { api } from "../api.js";
import { applaud } from "../applause.js";
import { contourFigure, deliveryNumbers, movementBand, movementNumbers } from "../chart.js";
import { h, announce, clock, percent, plural, when, whole } from "../dom.js";
import { key, performedScript } from "../script-view.js";

export async function takePage(main, id) {
  const view = await api(`/api/takes/${id}`);
  const { take, report } = view;
  main.append(
    h("p", { class: "quiet small" }, h("a", { href: "#/" }, "Pieces"), " / ", h("a", { href: `#/pieces/${take.piece_id}` }, take.piece_title), " / "),
    h("h1", {}, `Take of ${when(take.recorded_at)}`),
    h("p", { class: "quiet small" }, [take.source_name, clock(take.duration)].filter(Boolean).join(" · ")),
  );
  const actions = h("div", { class: "actions" },
    // A coach reads a performer's take; only performers rehearse.
    document.body.dataset.role === "coach" ? null : h("a", { class: "button primary", href: `#/pieces/${take.piece_id}/rehearse` }, "Try again"),
    take.previous_take_id && report ? h("a", { class: "button", href: `#/compare/${take.previous_take_id}/${take.id}` }, "Compare with the take before") : null,
    h("a", { class: "button", href: `#/pieces/${take.piece_id}` }, "All takes"),
  );

  // In a club, a worker hears the take: say where it is in the queue until its report comes.
  if (!report && view.job && view.job.state !== "failed") {
    const says = h("p", { class: "job", role: "status" }, jobText(view.job));
    main.append(says, actions);
    let waiting = true;
    (async () => {
      while (waiting) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        if (!waiting) break;
        const now = await api(`/api/takes/${id}`).catch(() => null);
        if (!waiting || !now) continue;
        if (now.report || now.job?.state === "failed") {
          window.dispatchEvent(new HashChangeEvent("hashchange"));
          break;
        }
        says.textContent = jobText(now.job);
      }
    })();
    return () => { waiting = false; };
  }

  if (!report) {
    const error = h("p", { class: "error", role: "alert" });
    const again = h("button", { type: "button", class: "primary" }, "Analyse it now");
    again.addEventListener("click", async () => {
      again.disabled = true;
      again.replaceChildren(h("span", { class: "working" }, "Listening…"));
      try {
        await api(`/api/takes/${take.id}/analyse`, { method: "POST" });
        window.dispatchEvent(new HashChangeEvent("hashchange"));
      } catch (failure) {
        error.textContent = failure.message;
        again.disabled = false;
        again.textContent = "Analyse it now";
      }
    });
    const why = view.job?.state === "failed" ? `Its analysis failed: ${view.job.error}.` : "";
    main.append(h("p", {}, "This take is kept but has not been analysed yet. ", why), error, h("div", { class: "actions" }, again), actions);
    return;
  }

  if (view.standing_text) main.append(h("p", { class: "standing" }, capital(view.standing_text), "."));

  const audio = h("audio", { controls: true, preload: "auto", src: take.audio_url, "aria-label": "The take's recording" });
  const play = (seconds) => {
    audio.currentTime = seconds;
    audio.play().catch(() => {});
  };
  const script = performedScript(report, play);
  main.append(h("p", { class: "hint" }, "Click a word, or tab to it and press Enter, to hear the take from there."), audio, script, key());

  // How it sounded; a take analysed before Encore measured delivery has no figure.
  const contour = contourFigure(report, play);
  if (contour) {
    main.append(
      h("h2", {}, "How it sounded"),
      h("p", { class: "delivery-numbers" }, deliveryNumbers(report.delivery)),
      contour.element,
      h("p", { class: "hint" }, "Pitch (the line) and loudness (the shading) under the words; tinted lines are the ones to work on. Click to hear the take from there."),
    );
  }

  // How it looked, under the words: in the contour's scroll, so that both move together.
  const band = movementBand(report, play);
  if (band) {
    const numbers = h("p", { class: "movement-numbers" }, movementNumbers(report.movement));
    const hint = h("p", { class: "hint" }, "How much you moved (the bars) under the words; tinted where you froze, swayed, fidgeted or looked away, a tick for each gesture. Only the body's points were kept, never pictures.");
    if (contour) contour.element.append(band);
    main.append(h("h2", {}, "How it looked"), numbers, contour ? "" : h("div", { class: "contour" }, band), hint);
  }

  // Follow playback on the script and the contour.
  const timed = [...script.querySelectorAll(".w[data-e]")];
  let lit = null;
  audio.addEventListener("timeupdate", () => {
    const t = audio.currentTime;
    const now = timed.find((w) => t >= parseFloat(w.dataset.t) && t < parseFloat(w.dataset.e)) ?? null;
    if (now !== lit) { lit?.classList.remove("now"); now?.classList.add("now"); lit = now; }
    contour?.follow(t, !audio.paused);
  });

  const s = report.summary;
  main.append(
    h("h2", {}, "The numbers"),
    h("dl", { class: "numbers" },
      number("accuracy", percent(s.accuracy)),
      number("said", percent(s.completeness)),
      number("words correct per minute", whole(s.wcpm)),
      number("stumbles", view.score ? String(view.score.stumbles) : "–"),
    ),
    h("p", { class: "quiet small" }, [
      `${s.correct} of ${report.script.words} words correct`,
      plural(s.misread, "misread", "misread"), plural(s.skipped, "skipped", "skipped"), plural(s.inserted, "added", "added"),
      plural(s.fillers, "filler", "fillers"), plural(s.repetitions, "repetition", "repetitions"),
      plural(s.false_starts, "false start", "false starts"), plural(s.hesitations, "hesitation", "hesitations"),
    ].join(" · ")),
    h("h2", {}, "What mattered most"),
    report.findings.length
      ? h("ol", { class: "findings" }, report.findings.map((finding) => h("li", {}, capital(finding.message))))
      : h("p", {}, "Nothing stood out: a clean take."),
    // The DOM's own append writes null as "null".
    verdictChanges(report, view.script) ?? "",
    document.body.dataset.role === "coach" ? changeVerdictForm(take, report, view.script) : "",
    actions,
  );

  // A personal best, right after the take, gets its moment of applause.
  const fresh = sessionStorage.getItem("encore.freshTake") === String(take.id);
  sessionStorage.removeItem("encore.freshTake");
  if (view.standing?.personal_best) {
    announce("A new personal best!");
    if (fresh) applaud({ sound: localStorage.getItem("encore.applauseSound") === "on" });
  }
  return () => audio.pause();
}

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** Where a take's analysis is in a club's queue. */
function jobText(job) {
  if (job?.state === "running") return `Being heard: ${Math.round(job.progress * 100)}%…`;
  if (job?.place === 1) return "Kept. Next in the queue to be heard…";
  if (job?.place) return `Kept. Waiting to be heard: ${job.place - 1} ${job.place === 2 ? "take" : "takes"} ahead…`;
  return "Kept. Waiting to be heard…";
}

/** The verdicts a coach changed, with who and when; the numbers above already count them. */
function verdictChanges(report, script) {
  if (!report.changes?.length) return null;
  const word = (index) => script.words.find((w) => w.index === index)?.text ?? `word ${index + 1}`;
  return h("div", { class: "changes" },
    h("h2", {}, "Verdicts your coach changed"),
    h("ul", {}, report.changes.map((change) => h("li", {},
      h("q", {}, word(change.script_index)), `: ${change.from} → ${change.to}, by ${change.by}, ${when(change.at)}`))));
}

/** A coach who heard the take better than Encore did puts a script word's verdict right. */
function changeVerdictForm(take, report, script) {
  const verdictOf = new Map(report.words.filter((w) => w.script_index !== null).map((w) => [w.script_index, w.verdict]));
  const word = h("select", { id: "change-word" }, script.words.map((w) =>
    h("option", { value: w.index }, `${w.index + 1}. ${w.text} (${verdictOf.get(w.index) ?? "?"})`)));
  const verdict = h("select", { id: "change-verdict" },
    ["correct", "misread", "skipped"].map((v) => h("option", { value: v }, v)));
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const save = h("button", { type: "submit" }, "Change the verdict");
  return h("form", { class: "change-verdict", onsubmit: async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      await api(`/api/takes/${take.id}/words/${word.value}`, { method: "PUT", json: { verdict: verdict.value } });
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
      save.disabled = false;
    }
  } },
    h("h2", {}, "Change a verdict"),
    h("p", { class: "quiet small" }, "Where you heard better than Encore: the performer sees the change, with your name."),
    h("label", { for: "change-word" }, "Word "), word, " ",
    h("label", { for: "change-verdict" }, "to "), verdict, " ",
    save,
    error,
  );
}
const number = (label, value) => h("div", {}, h("dt", {}, label), h("dd", {}, value));
