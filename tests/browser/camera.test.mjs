// The camera in the rehearsal room, in Debian's Chromium with a fake camera that plays a real
// recording of a man speaking (tests/corpus/video/carphone.y4m) and a fake microphone that plays
// a corpus reading: switched on, the page reads the pose with MoveNet while the prompter follows
// the voice, the take's report says how it looked (`movement`) and its page draws the band under
// the words. The controlled cases made from the recording's real frames follow: one frame held
// is a performer frozen, the picture moved side to side is a performer swaying. A filmed take
// uploaded instead (the same clip with the JFK reading as its sound) is watched frame by frame in
// the page and gets its movement too. The frame rate,
// the time a pose takes to read and the prompter's latency with the camera on are printed.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { heldFrame, speakerVideo, swayed } from "./camera.mjs";
import { artifacts, chromiumWithMicrophone, corpus, prompterLatency, quantile, root, startStage } from "./support.mjs";

const recording = join(corpus, "jfk_inaugural_1961.wav");
const script = readFileSync(join(corpus, "jfk_inaugural_1961.txt"), "utf8").trim();
const SCRIPT_WORDS = script.split(/\s+/).length;
/** carphone with the JFK reading as its sound, H.264 and AAC (tests/corpus/README.md). */
const filmedTake = join(root, "tests/corpus/video/carphone_jfk.mp4");

let data;
let stage;
const browsers = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  data = mkdtempSync(join(tmpdir(), "encore-camera-"));
  stage = await startStage(data);
});

after(async () => {
  for (const browser of browsers) await browser.close();
  stage?.child.kill("SIGTERM");
  if (data) rmSync(data, { recursive: true, force: true });
});

/** A new piece of the JFK script; resolves with its id. */
async function newPiece(title) {
  const response = await fetch(`${stage.url.origin}/api/pieces`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ title, script }),
  });
  assert.equal(response.status, 201);
  return (await response.json()).id;
}

/**
 * Rehearses a piece of the JFK script with the camera on, in a Chromium whose camera plays
 * `video`; resolves with the page, the take's view from the API and what the page measured.
 */
async function rehearseWithCamera(video, pieceId) {
  const browser = await chromiumWithMicrophone(recording, { camera: video });
  browsers.push(browser);
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => { if (message.type() === "error") problems.push(message.text()); });
  page.on("requestfailed", (request) => problems.push(`requested ${request.url()}`));
  const { url } = stage;
  await page.goto(`${url.origin}/#/pieces/${pieceId}/rehearse`);
  await page.getByRole("heading", { name: /Rehearse/ }).waitFor();

  // Off until switched on; then the mirror view plays and the model is ready.
  assert.equal(await page.locator("#camera").isChecked(), false, "the camera starts off");
  await page.locator("#camera").check();
  await page.locator(".camera-choice").getByText(/^On:/).waitFor({ timeout: 60_000 });
  assert.ok(await page.locator(".camera-choice video.mirror").isVisible());

  await page.locator("#record").click();
  const started = Date.now();
  while (Date.now() - started < 16_000) {
    const index = await page.evaluate(() => Number(document.querySelector(".prompter .now")?.dataset.i ?? -1));
    if (index >= SCRIPT_WORDS - 1 && Date.now() - started > 11_500) break;
    await page.waitForTimeout(100);
  }
  const seconds = (Date.now() - started) / 1000;
  await page.locator("#stop").click();
  await page.waitForURL(/#\/takes\/\d+$/, { timeout: 60_000 });
  await page.locator(".script .w").first().waitFor();
  const takeId = Number(page.url().match(/#\/takes\/(\d+)/)[1]);
  const view = await (await page.request.get(`${url.origin}/api/takes/${takeId}`)).json();
  const measured = await page.evaluate(() => ({ poses: window.encorePoses, poseMs: window.encorePoseMs, lit: window.encoreLit }));
  assert.deepEqual(problems, []);
  return { page, view, seconds, measured };
}

test("a take rehearsed with the camera on says how it looked and draws the band under its words", async () => {
  const { page, view, seconds, measured } = await rehearseWithCamera(speakerVideo, await newPiece("Ask not"));
  const { report } = view;
  assert.ok(report.movement, "the report has movement");
  const movement = report.movement;
  assert.ok(movement.poses_per_second >= 8, `${movement.poses_per_second} poses a second`);
  assert.ok(movement.seen >= 0.6, `the speaker was seen in ${movement.seen} of the take`);
  assert.equal(movement.still, 0, "a man speaking is not frozen");
  assert.equal(movement.gestures_per_minute, null, "head and shoulders: the hands are not judged");
  assert.equal(movement.lines.length, report.lines.length);
  // The words were still heard right with the camera on.
  const correct = report.words.filter((w) => w.verdict === "correct").length;
  assert.ok(correct >= SCRIPT_WORDS - 3, `only ${correct} of ${SCRIPT_WORDS} words correct`);

  await page.getByRole("heading", { name: "How it looked" }).waitFor();
  const bars = await page.locator("[data-movement-band] .activity").getAttribute("d");
  assert.ok((bars.match(/M/g) ?? []).length >= 10, `the band draws the movement: ${bars}`);
  await page.locator("[data-movement-band]").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, "camera-1-take.png"), fullPage: true });

  const latency = prompterLatency(report, measured.lit);
  console.log(
    `camera: ${measured.poses} poses in ${seconds.toFixed(1)} s (${(measured.poses / seconds).toFixed(1)} a second), ` +
      `a pose read in ${quantile(measured.poseMs, 0.5).toFixed(0)} ms (90th percentile ${quantile(measured.poseMs, 0.9).toFixed(0)}); ` +
      `prompter latency with the camera on: median ${quantile(latency, 0.5).toFixed(2)} s, 90th percentile ${quantile(latency, 0.9).toFixed(2)} s`,
  );
});

test("one frame held is a performer frozen; the picture moved side to side is a performer swaying; compared, both bands show", async () => {
  const pieceId = await newPiece("Ask not, frozen then swaying");
  const held = await rehearseWithCamera(heldFrame(speakerVideo, join(data, "held.y4m")), pieceId);
  const still = held.view.report.movement;
  assert.ok(still.still >= 0.6, `frozen for ${still.still} of the take: ${JSON.stringify(still.moments)}`);
  assert.equal(still.sway, 0);
  assert.ok(await held.page.locator('[data-movement-band] [data-moment="still"]').count() >= 1, "the band marks the freeze");
  await held.page.screenshot({ path: join(artifacts, "camera-2-held.png"), fullPage: true });

  const moving = await rehearseWithCamera(swayed(speakerVideo, join(data, "swayed.y4m")), pieceId);
  const sway = moving.view.report.movement;
  assert.ok(sway.sway >= 0.5, `swaying for ${sway.sway} of the take: ${JSON.stringify(sway.moments)}`);
  assert.equal(sway.still, 0);
  assert.ok(moving.view.report.findings.some((f) => f.kind === "movement" && f.message.startsWith("you swayed")),
    JSON.stringify(moving.view.report.findings));
  await moving.page.screenshot({ path: join(artifacts, "camera-3-swayed.png"), fullPage: true });

  // The two takes compared: each one's band, the freeze in the first and the sway in the second.
  await moving.page.getByRole("link", { name: "Compare with the take before" }).click();
  await moving.page.waitForURL(/#\/compare\/\d+\/\d+$/);
  const bands = moving.page.locator(".looked [data-movement-band]");
  await bands.nth(1).waitFor();
  assert.equal(await bands.count(), 2);
  assert.ok(await bands.nth(0).locator('[data-moment="still"]').count() >= 1, "the first take's freeze");
  assert.ok(await bands.nth(1).locator('[data-moment="sway"]').count() >= 1, "the second take's sway");
  await moving.page.screenshot({ path: join(artifacts, "camera-4-compare.png"), fullPage: true });
});

test("a filmed take uploaded in the room is watched in the page and says how it looked", async () => {
  const browser = await chromiumWithMicrophone(recording);
  browsers.push(browser);
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(`${stage.url.origin}/#/pieces/${await newPiece("Ask not, filmed")}/rehearse`);
  await page.locator("#upload").setInputFiles(filmedTake);
  await page.getByRole("progressbar", { name: /watched/ }).waitFor({ timeout: 30_000 });
  await page.waitForURL(/#\/takes\/\d+$/, { timeout: 120_000 });
  await page.getByRole("heading", { name: "How it looked" }).waitFor();
  const takeId = Number(page.url().match(/#\/takes\/(\d+)/)[1]);
  const { report } = await (await fetch(`${stage.url.origin}/api/takes/${takeId}`)).json();
  // Ten poses a second of its twelve seconds, read frame by frame.
  assert.ok(report.movement.poses_per_second >= 9, `${report.movement.poses_per_second} poses a second`);
  assert.ok(report.movement.seen >= 0.6, `seen in ${report.movement.seen} of the take`);
  assert.equal(report.movement.still, 0);
  const correct = report.words.filter((w) => w.verdict === "correct").length;
  assert.ok(correct >= SCRIPT_WORDS - 2, `only ${correct} of ${SCRIPT_WORDS} words heard right from the video's sound`);
  await page.screenshot({ path: join(artifacts, "camera-5-filmed.png"), fullPage: true });
  assert.deepEqual(problems, []);
});
