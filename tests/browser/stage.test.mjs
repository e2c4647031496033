// The stage as a performer uses it, in Debian's Chromium with a fake microphone that plays a
// corpus recording: create a piece, rehearse it (the prompter must follow the voice), read the
// report, upload a recording, see a bad upload refused, see how a take sounded (pitch and
// loudness under the words, the lines to work on marked), and a stage bound wide refuse requests
// without its token. Screenshots of each page go to target/browser-artifacts/; the prompter's
// latency (median and 90th percentile over the script's words) is printed.
//
// Run: npm ci --prefix tests/browser && node --test tests/browser/
// The binary is $ENCORE_BIN (default target/release/encore); Chromium is $CHROMIUM (default
// /usr/bin/chromium).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { artifacts, chromiumWithMicrophone, corpus, prompterLatency, quantile, startStage as startStageOn } from "./support.mjs";

const recording = join(corpus, "jfk_inaugural_1961.wav");
const script = readFileSync(join(corpus, "jfk_inaugural_1961.txt"), "utf8").trim();
const SCRIPT_WORDS = script.split(/\s+/).length;
// A reading of sonnet 2 whose pace changes from line to line, so that its report flags lines.
const sonnetRecording = join(corpus, "librivox_shakespeare_sonnet_002.wav");
const sonnet = readFileSync(join(corpus, "librivox_shakespeare_sonnet_002.txt"), "utf8").trim();

const stages = [];
let browser;
let data;

/** Starts `encore stage` on the test's data directory; resolves with its address. */
async function startStage(extra = []) {
  const { child, url } = await startStageOn(data, extra);
  stages.push(child);
  return url;
}

const shoot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  data = mkdtempSync(join(tmpdir(), "encore-stage-"));
  browser = await chromiumWithMicrophone(recording);
});

after(async () => {
  await browser?.close();
  for (const child of stages) child.kill("SIGTERM");
  if (data) rmSync(data, { recursive: true, force: true });
});

test("a piece is created, rehearsed live, uploaded and compared in the page", async () => {
  const address = await startStage();
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("requestfailed", (request) => {
    if (!request.url().startsWith(address.origin)) problems.push(`requested ${request.url()}`);
  });

  await page.goto(address.href);
  await page.getByRole("heading", { name: "Your pieces" }).waitFor();
  await shoot(page, "1-pieces-empty");

  // A new piece from the recording's transcript.
  await page.getByLabel("Title").fill("Ask not");
  await page.getByLabel("Script").fill(script);
  await page.getByRole("button", { name: "Add piece" }).click();
  await page.waitForURL(/#\/pieces\/\d+$/);
  await page.getByRole("heading", { name: "Ask not" }).waitFor();
  const pieceId = Number(page.url().match(/#\/pieces\/(\d+)/)[1]);
  await shoot(page, "2-piece-new");

  // Rehearse: the fake microphone plays the recording once; the prompter must follow it.
  await page.getByRole("link", { name: "Rehearse" }).click();
  await page.getByRole("heading", { name: /Rehearse/ }).waitFor();
  await shoot(page, "3-room");
  await page.locator("#record").click();
  const seen = [];
  const started = Date.now();
  let shot = false;
  while (Date.now() - started < 16_000) {
    const index = await page.evaluate(() => {
      const now = document.querySelector(".prompter .now");
      return now ? Number(now.dataset.i) : -1;
    });
    if (index >= 0 && index !== seen[seen.length - 1]) seen.push(index);
    if (!shot && index >= 8) {
      await shoot(page, "4-room-recording");
      shot = true;
    }
    if (index >= SCRIPT_WORDS - 1 && Date.now() - started > 11_500) break;
    await page.waitForTimeout(100);
  }
  const rises = seen.filter((index, i) => i > 0 && index > seen[i - 1]).length;
  assert.ok(rises >= 5, `the highlight moved forward only ${rises} times: ${seen.join(" ")}`);
  assert.ok(Math.max(...seen) >= SCRIPT_WORDS - 4, `the highlight stopped at ${Math.max(...seen)} of ${SCRIPT_WORDS}`);
  await page.locator("#stop").click();
  await page.waitForURL(/#\/takes\/\d+$/, { timeout: 60_000 });
  await page.locator(".script .w").first().waitFor();
  await shoot(page, "5-take-recorded");

  const recordedId = Number(page.url().match(/#\/takes\/(\d+)/)[1]);
  const recorded = await page.evaluate((id) => fetch(`/api/takes/${id}`).then((r) => r.json()), recordedId);
  const correct = recorded.report.words.filter((w) => w.verdict === "correct").length;
  assert.ok(correct >= SCRIPT_WORDS - 3, `only ${correct} of ${SCRIPT_WORDS} words correct in the recorded take`);
  assert.ok(await page.locator(".script .w.ok").count() >= SCRIPT_WORDS - 3);
  // How the take heard through the microphone sounded, drawn under its words: a pitch point for
  // most voiced frames of its report (the sonnet's test below checks the drawing in full).
  const voiced = recorded.report.delivery.contour.f0_hz.filter((f) => f !== null).length;
  const pitchPoints = await page.locator("[data-contour] [data-pitch]").evaluate((path) => (path.getAttribute("d").match(/[ML]/g) ?? []).length);
  assert.ok(voiced >= 200 && pitchPoints >= 0.9 * voiced, `${pitchPoints} pitch points drawn for ${voiced} voiced frames`);

  // The prompter's latency, as the performer saw it (support.mjs).
  const lit = await page.evaluate(() => window.encoreLit || []);
  const latency = prompterLatency(recorded.report, lit);
  assert.ok(latency.length >= SCRIPT_WORDS - 4, `latency measured for ${latency.length} of ${SCRIPT_WORDS} words`);
  console.log(
    `prompter latency over ${latency.length} words (${lit.length} moves): median ${quantile(latency, 0.5).toFixed(2)} s, ` +
      `90th percentile ${quantile(latency, 0.9).toFixed(2)} s, ` +
      `within 0.5 s: ${latency.filter((l) => l <= 0.5).length}`,
  );

  // Upload the same recording as a file.
  await page.goto(`${address.origin}/#/pieces/${pieceId}/rehearse`);
  await page.locator("#upload").setInputFiles(recording);
  // While it is heard, a bar shows how far (fed by GET /api/uploads/{id}).
  await page.getByRole("progressbar").waitFor({ timeout: 5_000 });
  await page.waitForURL(/#\/takes\/\d+$/, { timeout: 60_000 });
  await page.locator(".script .w").first().waitFor();
  await page.locator(".standing").waitFor();
  await shoot(page, "6-take-uploaded");
  assert.ok(await page.locator(".script .w.ok").count() >= SCRIPT_WORDS - 2);

  // The two takes compared.
  await page.getByRole("link", { name: "Compare with the take before" }).click();
  await page.getByRole("heading", { name: "Two takes compared" }).waitFor();
  // Each line's pitch in both takes, as many lines as the comparison measured.
  const [, beforeId, afterId] = page.url().match(/#\/compare\/(\d+)\/(\d+)/);
  const compared = await (await page.request.get(`${address.origin}/api/compare/${beforeId}/${afterId}`)).json();
  assert.ok(compared.comparison.delivery.length >= 1, "both takes measured how they sounded");
  const shapes = page.locator("[data-line-shapes]");
  assert.equal(await shapes.count(), compared.comparison.delivery.length);
  for (const which of ["before", "after"]) {
    const d = await shapes.first().locator(`[data-shape="${which}"]`).getAttribute("d");
    assert.ok((d.match(/[ML]/g) ?? []).length >= 10, `the ${which} take's pitch is drawn: ${d}`);
  }
  await shoot(page, "7-compare");

  // A file that is no audio is refused with the reason, and nothing is kept.
  await page.goto(`${address.origin}/#/pieces/${pieceId}/rehearse`);
  await page.locator("#upload").setInputFiles({ name: "notes.wav", mimeType: "audio/wav", buffer: Buffer.from("these are my notes, not a recording") });
  const error = page.locator(".room .error");
  await error.filter({ hasText: "not an audio file" }).waitFor();
  await shoot(page, "8-bad-upload");

  await page.goto(`${address.origin}/#/pieces/${pieceId}`);
  await page.getByRole("heading", { name: "Progress" }).waitFor();
  await page.locator(".chart svg").first().waitFor();
  assert.equal(await page.locator("tbody tr").count(), 2, "two takes kept, the bad upload not");
  await shoot(page, "9-piece-progress");

  // The same pages fit a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${address.origin}/#/takes/${recordedId}`);
  await page.locator(".script .w").first().waitFor();
  await shoot(page, "10-take-phone");

  assert.deepEqual(problems, []);
  await context.close();
});

test("a take's page draws its pitch and loudness under the words and marks the lines the report flags", async () => {
  const address = await startStage();
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));

  await page.goto(address.href);
  await page.getByRole("heading", { name: "Your pieces" }).waitFor();
  await page.getByLabel("Title").fill("Sonnet 2");
  await page.getByLabel("Script").fill(sonnet);
  await page.getByRole("button", { name: "Add piece" }).click();
  await page.waitForURL(/#\/pieces\/\d+$/);
  const pieceId = Number(page.url().match(/#\/pieces\/(\d+)/)[1]);
  await page.goto(`${address.origin}/#/pieces/${pieceId}/rehearse`);
  await page.locator("#upload").setInputFiles(sonnetRecording);
  await page.waitForURL(/#\/takes\/\d+$/, { timeout: 120_000 });
  await page.locator("[data-contour] [data-pitch]").waitFor();
  await shoot(page, "12-take-contour");

  const id = Number(page.url().match(/#\/takes\/(\d+)/)[1]);
  const { report } = await page.evaluate((take) => fetch(`/api/takes/${take}`).then((r) => r.json()), id);
  const delivery = report.delivery;
  assert.ok(delivery, "the report measures how the take sounded");

  const drawn = await page.evaluate(() => {
    const figure = document.querySelector("[data-contour] svg");
    const points = (path) => [...path.getAttribute("d").matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => Number(m[1]));
    return {
      origin: Number(figure.dataset.origin),
      scale: Number(figure.dataset.pixelsPerSecond),
      pitch: points(figure.querySelector("[data-pitch]")),
      loudness: points(figure.querySelector("[data-loudness]")),
      flagged: [...figure.querySelectorAll("[data-flagged-line]")].map((band) => {
        const rect = band.querySelector("rect");
        return {
          line: Number(band.dataset.flaggedLine),
          flags: band.dataset.flags.split(" "),
          label: band.querySelector("text").textContent,
          from: Number(rect.getAttribute("x")),
          to: Number(rect.getAttribute("x")) + Number(rect.getAttribute("width")),
        };
      }),
    };
  });
  const second = (x) => (x - drawn.origin) / drawn.scale;

  // The pitch: a point for nearly every voiced frame (those beyond the drawn span are left out),
  // from about the first word said to about the last.
  const voiced = delivery.contour.f0_hz.filter((hz) => hz !== null).length;
  assert.ok(voiced >= 500, `only ${voiced} voiced frames in the report`);
  assert.ok(drawn.pitch.length >= voiced * 0.9, `${drawn.pitch.length} pitch points for ${voiced} voiced frames`);
  const said = report.words.filter((w) => w.start !== null && w.end !== null);
  const [first, last] = [said[0].start, said[said.length - 1].end];
  const [from, to] = [second(Math.min(...drawn.pitch)), second(Math.max(...drawn.pitch))];
  assert.ok(from <= first + 1 && to >= last - 1, `pitch drawn from ${from.toFixed(2)} s to ${to.toFixed(2)} s, words from ${first} s to ${last} s`);
  assert.ok(drawn.loudness.length >= delivery.contour.loudness_db.length, "a loudness point for every frame");
  assert.ok(await page.locator("[data-contour] [data-pitch]").isVisible());

  // Every line the report flags is marked over its time, with its flags; no other line is.
  const fields = ["flat", "trailing_off", "rushing", "dragging", "no_pause_after", "no_rise_at"];
  const flagsOf = (line) => fields.filter((field) => (Array.isArray(line[field]) ? line[field].length > 0 : line[field]));
  const expected = delivery.lines.filter((line) => flagsOf(line).length).map((line) => ({ line: line.line, flags: flagsOf(line) }));
  assert.ok(expected.length, "the report flags a line of this reading");
  assert.deepEqual(drawn.flagged.map(({ line, flags }) => ({ line, flags })), expected);
  for (const band of drawn.flagged) {
    const pace = report.lines.find((line) => line.line === band.line);
    assert.ok(Math.abs(second(band.from) - pace.start) < 0.05 && Math.abs(second(band.to) - pace.end) < 0.05,
      `line ${band.line} marked from ${second(band.from).toFixed(2)} s to ${second(band.to).toFixed(2)} s, said from ${pace.start} s to ${pace.end} s`);
    assert.ok(band.label.length > 0, `line ${band.line} is marked without a label`);
  }
  const marked = page.locator(`[data-flagged-line="${expected[0].line}"] text`);
  await marked.scrollIntoViewIfNeeded();
  assert.ok(await marked.isVisible(), `the label of line ${expected[0].line} is not visible`);

  assert.deepEqual(problems, []);
  await context.close();
});

test("a stage bound beyond loopback refuses requests without its token", async () => {
  const address = await startStage(["--bind", "0.0.0.0"]);
  const token = address.searchParams.get("token");
  assert.match(token ?? "", /^[0-9a-f]{32}$/);
  const bare = `${address.origin}/`;

  assert.equal((await fetch(`${address.origin}/api/health`)).status, 401);
  assert.equal((await fetch(`${address.origin}/assets/app.js`)).status, 401);
  const authorised = await fetch(`${address.origin}/api/health`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(authorised.status, 200);

  const context = await browser.newContext();
  const page = await context.newPage();
  const refused = await page.goto(bare);
  assert.equal(refused.status(), 401);
  await shoot(page, "11-token-refused");
  // With the token the page loads, and its own requests carry the token as a cookie.
  const accepted = await page.goto(address.href);
  assert.equal(accepted.status(), 200);
  await page.getByRole("heading", { name: "Your pieces" }).waitFor();
  assert.ok(!page.url().includes("token="), "the token is taken out of the address bar");
  await context.close();
});
