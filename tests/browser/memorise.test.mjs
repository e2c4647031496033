// Learning a piece by heart, in Debian's Chromium with a fake microphone: three takes of a corpus
// recording, kept with the real binary, make most of its words known; the rehearsal room's fading
// prompter hides them (checked in the page, and the choice is remembered); then a take is recorded
// from the same recording with two seconds of silence put in mid-sentence, and the hidden words
// after that place must come back while the performer is quiet there, fade again once said, and
// the take's report must keep the mode and the prompt.
//
// Run: npm ci --prefix tests/browser && node --test tests/browser/memorise.test.mjs
// The binary is $ENCORE_BIN (default target/release/encore); Chromium is $CHROMIUM (default
// /usr/bin/chromium).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { artifacts, at, binary, chromiumWithMicrophone, corpus, readWav, startStage, wavBytes } from "./support.mjs";

const recording = join(corpus, "jfk_inaugural_1961.wav");
const scriptFile = join(corpus, "jfk_inaugural_1961.txt");
const SCRIPT_WORDS = readFileSync(scriptFile, "utf8").trim().split(/\s+/).length;
/** The silence is put in after this script word ("do", in "can do for you"), mid-sentence. */
const STALL_AFTER = 11;
const SILENCE_SECONDS = 2;

let data;
let stage;
let browser;

/** Runs the encore command line on the test's data directory; returns its stdout. */
const encore = (...args) => execFileSync(binary, ["--data", data, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/**
 * The 16-bit PCM WAV at `path` with `seconds` of silence (zero samples) put in at `when` seconds,
 * written as a plain WAV to `to`.
 */
function withSilence(path, when, seconds, to) {
  const wav = readWav(path);
  const cut = at(wav, when);
  const silence = Buffer.alloc(at(wav, seconds));
  writeFileSync(to, wavBytes(wav, Buffer.concat([wav.samples.subarray(0, cut), silence, wav.samples.subarray(cut)])));
}

let stalled;
let silenceAt;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  data = mkdtempSync(join(tmpdir(), "encore-memorise-"));
  // Three clean takes of the recording, kept and analysed by the command line.
  encore("piece", "add", "Ask not", "--script", scriptFile);
  let report;
  for (let take = 0; take < 3; take += 1) report = JSON.parse(encore("take", "Ask not", recording, "--json"));
  // The silence goes between two words said without a pause, where the last take timed them.
  const words = report.words.filter((w) => w.script_index !== null);
  const [before, after] = [words[STALL_AFTER], words[STALL_AFTER + 1]];
  assert.ok(before.end !== null && after.start !== null, "the take heard both words around the silence");
  silenceAt = (before.end + after.start) / 2;
  stalled = join(data, "stalled.wav");
  withSilence(recording, silenceAt, SILENCE_SECONDS, stalled);

  browser = await chromiumWithMicrophone(stalled);
});

after(async () => {
  await browser?.close();
  stage?.child.kill("SIGTERM");
  if (data) rmSync(data, { recursive: true, force: true });
});

test("the fading prompter hides the words known and shows them again at a stall", async () => {
  stage = await startStage(data);
  const address = stage.url;
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));

  const { words: mastery } = await (await page.request.get(`${address.origin}/api/pieces/1/mastery`)).json();
  assert.equal(mastery.length, SCRIPT_WORDS);
  const known = mastery.map((m, i) => [m, i]).filter(([m]) => m >= 0.8).map(([, i]) => i);
  assert.ok(known.length >= SCRIPT_WORDS - 6, `three clean takes make most words known: ${mastery.map((m) => m.toFixed(2)).join(" ")}`);
  for (const i of [STALL_AFTER + 1, STALL_AFTER + 2]) assert.ok(known.includes(i), `word ${i} is known: ${mastery[i]}`);

  // The room opens in full text; the performer chooses fading, and it is remembered.
  await page.goto(`${address.origin}/#/pieces/1/rehearse`);
  await page.getByRole("heading", { name: /Rehearse/ }).waitFor();
  assert.equal(await page.locator(".prompter [data-shown='hidden']").count(), 0, "full text hides nothing");
  await page.getByLabel("Fading").check();
  await page.reload();
  await page.getByRole("heading", { name: /Rehearse/ }).waitFor();
  assert.ok(await page.getByLabel("Fading").isChecked(), "the choice is remembered");
  await page.locator(".prompter-mode").filter({ hasText: "Fading" }).waitFor();

  // Every word known is hidden, and its text is not to be seen; the others are.
  const shown = await page.evaluate(() => [...document.querySelectorAll(".prompter [data-i]")].map((span) => ({
    i: Number(span.dataset.i),
    shown: span.dataset.shown,
    hidden: span.classList.contains("hidden"),
    visible: getComputedStyle(span.querySelector(".rest")).visibility === "visible" && getComputedStyle(span.querySelector(".head")).visibility === "visible",
  })));
  assert.equal(shown.length, SCRIPT_WORDS);
  for (const word of shown) {
    const hides = known.includes(word.i);
    assert.equal(word.shown === "hidden" && word.hidden && !word.visible, hides, `word ${word.i} (mastery ${mastery[word.i]}): ${JSON.stringify(word)}`);
  }
  const hiddenAtStart = shown.filter((w) => w.shown === "hidden" || w.shown === "first-letter").length;
  assert.match(await page.locator(".prompter-mode .mode-says").textContent(), new RegExp(`${hiddenAtStart} of ${SCRIPT_WORDS} words are hidden`));
  await page.screenshot({ path: join(artifacts, "memorise-1-fading.png"), fullPage: true });

  // The stall is judged as it happens: the model must be loaded before the microphone plays,
  // or the first words (and the silence after them) are heard late, all at once.
  for (let tries = 0; ; tries += 1) {
    const { model } = await (await page.request.post(`${address.origin}/api/model`)).json();
    if (model === "ready") break;
    assert.ok(model === "loading" && tries < 600, `the model loads: ${model}`);
    await page.waitForTimeout(100);
  }

  // Recorded with a stall after word STALL_AFTER: the next hidden words come back there.
  await page.locator("#record").click();
  const revealedSeen = new Set();
  let shot = false;
  const started = Date.now();
  const length = 11 + SILENCE_SECONDS;
  let place = -1;
  while (Date.now() - started < (length + 6) * 1000) {
    const now = await page.evaluate(() => ({
      place: Number(document.querySelector(".prompter .now")?.dataset.i ?? -1),
      revealed: [...document.querySelectorAll(".prompter .revealed")].map((span) => ({
        i: Number(span.dataset.i),
        visible: getComputedStyle(span.querySelector(".rest")).visibility === "visible",
      })),
    }));
    place = now.place;
    for (const word of now.revealed) {
      assert.ok(word.visible, `a word shown again can be read: ${word.i}`);
      revealedSeen.add(word.i);
    }
    if (now.revealed.length && !shot) {
      await page.screenshot({ path: join(artifacts, "memorise-2-prompt.png"), fullPage: true });
      shot = true;
    }
    if (place >= SCRIPT_WORDS - 1 && Date.now() - started > length * 1000) break;
    await page.waitForTimeout(100);
  }
  const prompts = await page.evaluate(() => window.encorePrompts);
  // The place the prompter holds at the silence: the word before it, or a few words later when
  // the follower runs behind on a busy 2-core machine (it lagged three words in one run).
  const near = (i) => i >= STALL_AFTER && i <= STALL_AFTER + 4;
  assert.ok([...revealedSeen].some(near), `words after ${STALL_AFTER} shown again; seen ${[...revealedSeen]}, prompts ${JSON.stringify(prompts)}`);
  assert.ok(prompts.some((p) => near(p.index)), `a prompt at the silence: ${JSON.stringify(prompts)}`);
  assert.equal(await page.locator(".prompter .revealed").count(), 0, "the words shown again faded once said");
  assert.ok(place >= SCRIPT_WORDS - 4, `the prompter followed to the end: ${place}`);

  await page.locator("#stop").click();
  await page.waitForURL(/#\/takes\/\d+$/, { timeout: 60_000 });
  await page.locator(".script .w").first().waitFor();
  const takeId = Number(page.url().match(/#\/takes\/(\d+)/)[1]);
  const { report } = await page.evaluate((id) => fetch(`/api/takes/${id}`).then((r) => r.json()), takeId);
  assert.equal(report.prompter?.mode, "fading", JSON.stringify(report.prompter));
  assert.equal(report.prompter.hidden_words, hiddenAtStart);
  assert.ok(report.prompter.prompts.some(near), `the report keeps the prompt: ${JSON.stringify(report.prompter)}`);
  // The take's page says it was said from memory and marks the word shown again.
  await page.locator(".from-memory").filter({ hasText: "fading prompter" }).waitFor();
  assert.ok(await page.locator(".script .w.prompted").count() >= 1);
  await page.screenshot({ path: join(artifacts, "memorise-3-take.png"), fullPage: true });

  // A word prompted in the latest take is no longer counted as known there.
  const after = (await (await page.request.get(`${address.origin}/api/pieces/1/mastery`)).json()).words;
  const prompted = report.prompter.prompts.find(near);
  assert.ok(after[prompted] < mastery[prompted], `mastery of word ${prompted} fell: ${mastery[prompted]} -> ${after[prompted]}`);

  assert.deepEqual(problems, []);
  await context.close();
});
