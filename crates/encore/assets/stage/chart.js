// The stage's drawings, as inline SVG written here: a small line chart of one number over the
// takes, and a take's pitch and loudness under its words. Each carries its meaning in words for
// screen readers (the drawing itself is one image to them).

import { h, svg } from "./dom.js";

/**
 * values: numbers, oldest take first. format: number → text. better: "higher" or "lower".
 * Returns a <figure>.
 */
export function lineChart({ title, values, format, better = "higher" }) {
  const width = 260, height = 90, left = 4, right = 4, top = 10, bottom = 14;
  const finite = values.filter(Number.isFinite);
  const last = finite.length ? finite[finite.length - 1] : NaN;
  const best = finite.length ? (better === "higher" ? Math.max(...finite) : Math.min(...finite)) : NaN;
  let low = Math.min(...finite), high = Math.max(...finite);
  if (!finite.length) { low = 0; high = 1; }
  if (high - low < 1e-9) { low -= 1; high += 1; }
  const x = (i) => left + (values.length <= 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (values.length - 1));
  const y = (v) => top + (1 - (v - low) / (high - low)) * (height - top - bottom);

  const points = values.map((v, i) => (Number.isFinite(v) ? [x(i), y(v)] : null)).filter(Boolean);
  const path = points.map(([px, py], i) => `${i ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`).join("");
  const area = points.length > 1
    ? `${path}L${points[points.length - 1][0].toFixed(1)},${height - bottom}L${points[0][0].toFixed(1)},${height - bottom}Z` : "";
  const description = finite.length
    ? `${title} over ${values.length} ${values.length === 1 ? "take" : "takes"}: first ${format(finite[0])}, latest ${format(last)}, best ${format(best)}.`
    : `${title}: no analysed takes yet.`;

  const picture = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": description },
    svg("line", { class: "axis", x1: 0, x2: width, y1: height - bottom, y2: height - bottom }),
    area ? svg("path", { class: "area", d: area }) : null,
    path ? svg("path", { class: "series", d: path }) : null,
    values.map((v, i) => Number.isFinite(v)
      ? svg("circle", { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3.2, class: v === best ? "best" : null },
        svg("title", {}, `take ${i + 1}: ${format(v)}`))
      : null),
    svg("text", { x: 0, y: height - 2 }, "first"),
    svg("text", { x: width, y: height - 2, "text-anchor": "end" }, "latest"),
  );
  return h("figure", { class: "chart" },
    h("h3", {}, title),
    h("div", { class: "value", "aria-hidden": "true" }, finite.length ? format(last) : "–"),
    picture,
  );
}

// How a take sounded: the voice's pitch and loudness under the words, on one time line, with
// the lines a coach would point at tinted and named ("rushing", "trailing off"). The script above
// it says what was said; this shows how. The layout follows the HTML report's
// (crates/encore/src/report/html/contour.rs), so that the page and the file a performer mails to
// a teacher look alike: time at a fixed scale (a rushed line looks crowded, a long take scrolls
// sideways), pitch in semitones around the take's median, loudness as shading.

// Pixels per second of the take: wide enough for a word's label at a brisk pace.
const PIXELS_PER_SECOND = 60;
// Room left of the take's first second, so that a word said at once is not cut off.
const ORIGIN = 8;
// Where each band of the figure lies, top to bottom.
const FLAG_BASELINE = 13;
const WORD_BASELINES = [31, 45, 59];
const PITCH_TOP = 68, PITCH_BOTTOM = 168, LOUDNESS_TOP = 172, LOUDNESS_BOTTOM = 212, HEIGHT = 230;
// A word's label is about this wide per letter (11 px sans-serif), with a little room after it.
const LETTER_WIDTH = 6.2, LABEL_ROOM = 6;
// Loudness shown below the take's loudest speech: 45 dB holds a whisper under a full voice.
const LOUDNESS_SPAN = 45;
// The report's silence (Contour::FLOOR_DB).
const FLOOR_DB = -80;

// Each flag as the report names it, and in a word or two for the performer.
const FLAGS = [
  ["flat", "flat", (line) => line.flat],
  ["trailing_off", "trailing off", (line) => line.trailing_off],
  ["rushing", "rushing", (line) => line.rushing],
  ["dragging", "dragging", (line) => line.dragging],
  ["no_pause_after", "no pause", (line) => (line.no_pause_after ?? []).length > 0],
  ["no_rise_at", "no rise", (line) => (line.no_rise_at ?? []).length > 0],
];

/** The flags of one line of `delivery.lines`: [{name, words}]. */
export function lineFlags(line) {
  return FLAGS.filter(([, , flagged]) => flagged(line)).map(([name, words]) => ({ name, words }));
}

const x = (seconds) => ORIGIN + seconds * PIXELS_PER_SECOND;
const fixed = (value) => value.toFixed(1);
const signed = (value) => value.toFixed(1).replace("-", "\u2212");
const shown = (word) => word.text ?? word.heard ?? "";

/** The take's pitch and loudness in one line of words. */
export function deliveryNumbers(delivery) {
  const parts = [];
  if (Number.isFinite(delivery.f0_median_hz)) parts.push(`pitch around ${Math.round(delivery.f0_median_hz)} Hz`);
  if (Number.isFinite(delivery.pitch_range_st)) parts.push(`a range of ${delivery.pitch_range_st.toFixed(1)} semitones`);
  if (Number.isFinite(delivery.loudness_db)) parts.push(`loudness ${signed(delivery.loudness_db)} dB`);
  if (delivery.flat) parts.push("said on a narrow range of pitch: flat");
  if (!parts.length) return "No voiced speech to measure.";
  const line = parts.join(" · ");
  return line.charAt(0).toUpperCase() + line.slice(1);
}

/** The value below which `share` of the sorted values lie. */
function percentile(sorted, share) {
  return sorted.length ? sorted[Math.round((sorted.length - 1) * share)] : undefined;
}

/** Pitch in semitones around the take's median; frames beyond the span (octave slips) are left out. */
function pitchScale(delivery) {
  const voiced = delivery.contour.f0_hz.filter((hz) => hz > 0).sort((a, b) => a - b);
  const reference = delivery.f0_median_hz ?? percentile(voiced, 0.5) ?? 150;
  const semitones = (hz) => 12 * Math.log2(hz / reference);
  const lowHz = percentile(voiced, 0.02), highHz = percentile(voiced, 0.98);
  const low = lowHz === undefined ? -4 : Math.min(-4, semitones(lowHz) - 1);
  const high = highHz === undefined ? 4 : Math.max(4, semitones(highHz) + 1);
  return {
    reference,
    y(hz) {
      const s = semitones(hz);
      if (!(s >= low && s <= high)) return null;
      return PITCH_BOTTOM - ((s - low) / (high - low)) * (PITCH_BOTTOM - PITCH_TOP);
    },
  };
}

/** The pitch as one path of runs, a run for each stretch of voiced frames. */
function pitchPath(contour, scale) {
  let path = "";
  let drawing = false;
  contour.f0_hz.forEach((hz, i) => {
    const y = hz > 0 ? scale.y(hz) : null;
    if (y === null) { drawing = false; return; }
    path += `${drawing ? "L" : "M"}${fixed(x(i * contour.hop))},${fixed(y)}`;
    drawing = true;
  });
  return path;
}

/** The loudness as shading down from its level to the floor of the band. */
function loudnessPath(contour) {
  const heard = contour.loudness_db.filter((db) => db > FLOOR_DB).sort((a, b) => a - b);
  const loudest = percentile(heard, 0.98);
  if (loudest === undefined) return "";
  const bottom = loudest + 3 - LOUDNESS_SPAN;
  const y = (db) => LOUDNESS_BOTTOM - Math.min(1, Math.max(0, (db - bottom) / LOUDNESS_SPAN)) * (LOUDNESS_BOTTOM - LOUDNESS_TOP);
  let path = `M${fixed(x(0))},${LOUDNESS_BOTTOM}`;
  contour.loudness_db.forEach((db, i) => { path += `L${fixed(x(i * contour.hop))},${fixed(y(db))}`; });
  path += `L${fixed(x(Math.max(0, contour.loudness_db.length - 1) * contour.hop))},${LOUDNESS_BOTTOM}Z`;
  return path;
}

/** When a line was said: its pace's span, or else the span of its said words. */
function lineTime(report, number) {
  const pace = report.lines?.find((l) => l.line === number);
  if (pace && pace.start !== null && pace.end !== null) return [pace.start, pace.end];
  const said = report.words.filter((w) => w.line === number && (w.verdict === "correct" || w.verdict === "misread"));
  const starts = said.map((w) => w.start).filter(Number.isFinite), ends = said.map((w) => w.end).filter(Number.isFinite);
  return starts.length && ends.length ? [Math.min(...starts), Math.max(...ends)] : null;
}

/** Every word heard, where it began; a label that would run into the one before drops a row. */
function wordLabels(words) {
  const rowEnds = WORD_BASELINES.map(() => -Infinity);
  const labels = [];
  for (const word of words) {
    if (word.verdict === "skipped" || (word.verdict === "inserted" && word.rescored) || word.start === null) continue;
    const text = shown(word);
    const left = x(word.start);
    let row = rowEnds.findIndex((end) => end <= left);
    if (row < 0) row = rowEnds.indexOf(Math.min(...rowEnds));
    rowEnds[row] = left + text.length * LETTER_WIDTH + LABEL_ROOM;
    let title = text;
    if (word.verdict === "misread") title += ` (heard “${word.heard ?? ""}”)`;
    const measures = [Number.isFinite(word.f0_hz) ? `${Math.round(word.f0_hz)} Hz` : null, Number.isFinite(word.loudness_db) ? `${signed(word.loudness_db)} dB` : null].filter(Boolean);
    if (measures.length) title += `: ${measures.join(", ")}`;
    const kind = word.verdict === "correct" ? "said" : word.verdict === "misread" ? "said misread" : "extra";
    labels.push(svg("text", { class: kind, x: fixed(left), y: WORD_BASELINES[row], "data-t": word.start.toFixed(2) }, svg("title", {}, title), text));
  }
  return labels;
}

/** A tick every second and the time every five. */
function secondsAxis(seconds) {
  const whole = Math.floor(seconds);
  let ticks = "";
  const times = [];
  for (let second = 0; second <= whole; second += 1) {
    ticks += `M${fixed(x(second))},${LOUDNESS_BOTTOM}v${second % 5 === 0 ? 6 : 3}`;
    if (second > 0 && second % 5 === 0) {
      times.push(svg("text", { class: "axis", x: fixed(x(second)), y: HEIGHT - 2, "text-anchor": "middle" }, `${Math.floor(second / 60)}:${String(second % 60).padStart(2, "0")}`));
    }
  }
  return [svg("path", { class: "ticks", d: ticks }), ...times];
}

/**
 * The figure for a report with `delivery`, or null for one without. `onPlay(seconds)` plays the
 * take from a clicked moment. Returns {element, follow(seconds, playing)}: follow moves the
 * cursor, and keeps it in sight while the take plays.
 */
export function contourFigure(report, onPlay) {
  const delivery = report.delivery;
  if (!delivery?.contour) return null;
  const contour = delivery.contour;
  const seconds = Math.max(report.audio?.duration ?? 0, contour.f0_hz.length * contour.hop);
  const width = Math.ceil(ORIGIN * 2 + seconds * PIXELS_PER_SECOND);
  const pitch = pitchScale(delivery);
  const flagged = delivery.lines.map((line) => ({ line, flags: lineFlags(line) })).filter(({ flags }) => flags.length);

  const bands = [];
  for (const { line, flags } of flagged) {
    const time = lineTime(report, line.line);
    if (!time) continue;
    const label = flags.map((f) => f.words).join(" · ");
    bands.push(svg("g", { class: "flagged", "data-flagged-line": line.line, "data-flags": flags.map((f) => f.name).join(" ") },
      svg("title", {}, `Line ${line.line}: ${label}`),
      svg("rect", { x: fixed(x(time[0])), y: 0, width: fixed((time[1] - time[0]) * PIXELS_PER_SECOND), height: LOUDNESS_BOTTOM }),
      svg("text", { x: fixed(x(time[0]) + 2), y: FLAG_BASELINE }, label)));
    const missed = [...(line.no_pause_after ?? []).map((i) => [i, "no pause after"]), ...(line.no_rise_at ?? []).map((i) => [i, "no rise at"])];
    for (const [index, what] of missed) {
      const word = report.words.find((w) => w.script_index === index);
      if (!word || word.end === null) continue;
      bands.push(svg("line", { class: "missed", x1: fixed(x(word.end)), x2: fixed(x(word.end)), y1: PITCH_TOP, y2: LOUDNESS_BOTTOM },
        svg("title", {}, `${what} “${shown(word)}”`)));
    }
  }

  const description = ["Pitch and loudness under the words",
    ...flagged.map(({ line, flags }) => `line ${line.line} ${flags.map((f) => f.words).join(", ")}`)].join("; ");
  const reference = pitch.y(pitch.reference) ?? PITCH_BOTTOM;
  const cursor = svg("line", { class: "cursor", "data-cursor": "", x1: ORIGIN, x2: ORIGIN, y1: 0, y2: LOUDNESS_BOTTOM });
  const picture = svg("svg", {
    width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: "img", "aria-label": description,
    "data-origin": ORIGIN, "data-pixels-per-second": PIXELS_PER_SECOND,
  },
  bands,
  svg("line", { class: "reference", x1: 0, x2: width, y1: fixed(reference), y2: fixed(reference) }),
  svg("text", { class: "axis", x: 2, y: fixed(reference - 3) }, `${Math.round(pitch.reference)} Hz`),
  svg("path", { class: "loudness", "data-loudness": "", d: loudnessPath(contour) }),
  svg("path", { class: "pitch", "data-pitch": "", d: pitchPath(contour, pitch) }),
  wordLabels(report.words),
  secondsAxis(seconds),
  cursor);

  const element = h("div", { class: "contour", "data-contour": true }, picture);
  picture.addEventListener("click", (event) => {
    const box = picture.getBoundingClientRect();
    onPlay(Math.max(0, (event.clientX - box.left - ORIGIN) / PIXELS_PER_SECOND));
  });
  const follow = (at, playing) => {
    const left = x(at);
    cursor.setAttribute("x1", fixed(left));
    cursor.setAttribute("x2", fixed(left));
    if (playing && (left < element.scrollLeft || left > element.scrollLeft + element.clientWidth - 40)) {
      element.scrollLeft = left - element.clientWidth / 3;
    }
  };
  return { element, follow };
}

// One line's pitch in two takes, each in semitones from its own take's median and stretched over
// the line's time, on one scale: the eye sees a line flatten or its tune change between takes.

/** line: an entry of the comparison's `delivery` (coach's LineDeliveryCompared). Returns a <figure>. */
export function lineShapes(line, beforeName, afterName) {
  const width = 260, height = 64, top = 6, bottom = 6;
  const all = [...line.shape_before, ...line.shape_after].filter(Number.isFinite);
  let low = all.length ? Math.min(...all) : -1, high = all.length ? Math.max(...all) : 1;
  if (high - low < 2) { const middle = (high + low) / 2; low = middle - 1; high = middle + 1; }
  const x = (i, count) => (count <= 1 ? width / 2 : (i * width) / (count - 1));
  const y = (v) => top + (1 - (v - low) / (high - low)) * (height - top - bottom);
  // A gap in the voice breaks the line rather than joining across it.
  const path = (shape) => {
    let d = "", pen = false;
    shape.forEach((v, i) => {
      if (!Number.isFinite(v)) { pen = false; return; }
      d += `${pen ? "L" : "M"}${x(i, shape.length).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  const said = line.changes.length ? line.changes.join(", ") : "much as before";
  const description = `Line ${line.line}, pitch in ${beforeName} and ${afterName}: ${said}.`;
  return h("figure", { class: "chart shapes", "data-line-shapes": line.line },
    h("h3", {}, `Line ${line.line}`, line.changes.length ? h("span", { class: "changes" }, ` ${said}`) : null),
    svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": description },
      svg("path", { class: "before", "data-shape": "before", d: path(line.shape_before) }),
      svg("path", { class: "series", "data-shape": "after", d: path(line.shape_after) }),
    ),
    h("figcaption", { class: "quiet small" },
      h("span", { class: "key before" }, beforeName), " · ", h("span", { class: "key after" }, afterName)),
  );
}

// How a take looked: a band under the words, as long as the contour (same seconds to pixels), its
// height how much the body moved, tinted where a moment was found: frozen, swaying, fidgeting,
// hands hidden, eyes down or away; a tick for each gesture (taller when open).

const BAND_HEIGHT = 34;
/** Each kind of moment as the performer reads it. */
const MOMENTS = {
  still: "frozen", sway: "swaying", fidget: "fidgeting", gesture: "a gesture", hands_hidden: "hands hidden or gripped",
  eyes_down: "looking down", eyes_away: "looking away",
};

/** The band for a report with `movement`, or null for one without; `onPlay(seconds)` as for the contour. */
export function movementBand(report, onPlay = () => {}) {
  const movement = report.movement;
  if (!movement) return null;
  const activity = movement.activity;
  const seconds = Math.max(report.audio?.duration ?? 0, activity.values.length * activity.hop);
  const width = Math.ceil(ORIGIN * 2 + seconds * PIXELS_PER_SECOND);
  const bottom = BAND_HEIGHT - 2;
  let d = "";
  activity.values.forEach((value, i) => {
    if (value === null) return;
    const height = Math.max(1, value * (BAND_HEIGHT - 8));
    d += `M${fixed(x(i * activity.hop))},${bottom}h${fixed(activity.hop * PIXELS_PER_SECOND - 1)}v${fixed(-height)}h${fixed(1 - activity.hop * PIXELS_PER_SECOND)}z`;
  });
  const marks = movement.moments.map((moment) => {
    const word = report.words.find((w) => w.script_index === moment.script_index);
    const title = `${MOMENTS[moment.kind] ?? moment.kind}${moment.open ? " (open)" : ""}${word?.text ? ` at “${word.text}”` : ""}, ${moment.start.toFixed(1)}–${moment.end.toFixed(1)} s`;
    if (moment.kind === "gesture") {
      const height = moment.open ? BAND_HEIGHT - 4 : BAND_HEIGHT / 2;
      return svg("line", { class: `moment ${moment.kind}${moment.open ? " open" : ""}`, "data-moment": moment.kind, x1: fixed(x(moment.start)), x2: fixed(x(moment.start)), y1: bottom, y2: bottom - height }, svg("title", {}, title));
    }
    return svg("rect", { class: `moment ${moment.kind}`, "data-moment": moment.kind, x: fixed(x(moment.start)), y: 0, width: fixed(Math.max(2, (moment.end - moment.start) * PIXELS_PER_SECOND)), height: BAND_HEIGHT }, svg("title", {}, title));
  });
  const found = [...new Set(movement.moments.map((m) => MOMENTS[m.kind]))];
  const description = `How you moved under the words${found.length ? `: ${found.join(", ")}` : ": nothing stood out"}`;
  const picture = svg("svg", { width, height: BAND_HEIGHT, viewBox: `0 0 ${width} ${BAND_HEIGHT}`, role: "img", "aria-label": description, "data-movement-band": "" },
    marks, svg("path", { class: "activity", d }));
  picture.addEventListener("click", (event) => {
    const box = picture.getBoundingClientRect();
    onPlay(Math.max(0, (event.clientX - box.left - ORIGIN) / PIXELS_PER_SECOND));
  });
  return picture;
}

/** The take's movement in one line of numbers. */
export function movementNumbers(movement) {
  const share = (value) => `${Math.round(value * 100)}%`;
  const parts = [`still ${share(movement.still)}`, `swaying ${share(movement.sway)}`, `eyes away ${share(movement.eyes_away)}`];
  if (movement.gestures_per_minute === null) parts.push("hands not in the picture");
  else {
    parts.push(`${Math.round(movement.gestures_per_minute)} gestures a minute${movement.open_gestures === null ? "" : `, ${share(movement.open_gestures)} open`}`);
    parts.push(`fidgeting ${share(movement.fidgeting)}`, `hands hidden ${share(movement.hands_hidden)}`);
  }
  return parts.join(" · ");
}
