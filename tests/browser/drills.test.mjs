// The drill room as a performer uses it: two takes of a recording that skip the same word make a
// drill; the piece's page says it is due; the drill room records an attempt (Chromium's fake
// microphone plays the recording's own stretch of those words, cut from it) and shows the verdict
// on each word and when the drill is due again.
//
// Run: npm ci --prefix tests/browser && node --test tests/browser/
// The binary is $ENCORE_BIN (default target/release/encore); Chromium is $CHROMIUM.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { artifacts, at, binary, chromiumWithMicrophone, corpus, readWav, startStage, wavBytes } from "./support.mjs";

const recording = join(corpus, "jfk_inaugural_1961.wav");
// "truly" is not in the recording: every take skips it.
const SCRIPT = "And so my fellow Americans,\nask not what your country can truly do for you,\nask what you can do for your country.\n";

let home;
let stage;
let browser;

/** Runs `encore --data DIR ...` to the end; its stdout. */
const encore = (...args) => execFileSync(binary, ["--data", join(home, "store"), ...args], { encoding: "utf8" });

before(() => {
  mkdirSync(artifacts, { recursive: true });
  home = mkdtempSync(join(tmpdir(), "encore-drills-"));
});

after(async () => {
  await browser?.close();
  stage?.child.kill();
  rmSync(home, { recursive: true, force: true });
});

test("a drill made from two takes is practised in the drill room and gets its verdict", async () => {
  writeFileSync(join(home, "script.txt"), SCRIPT);
  encore("piece", "add", "Inaugural", "--script", join(home, "script.txt"));
  const take = JSON.parse(encore("take", "Inaugural", recording, "--json"));
  encore("take", "Inaugural", recording, "--json");
  const [drill] = JSON.parse(encore("drill", "list", "--json")).drills;
  assert.ok(drill.text.includes("truly"), JSON.stringify(drill));

  // The microphone plays the recording over the drill's words.
  const said = take.words.filter((w) => w.script_index >= drill.first_word && w.script_index <= drill.last_word && w.start !== null);
  const from = Math.max(0, said[0].start - 0.2);
  const to = said[said.length - 1].end + 0.3;
  const attemptWav = join(home, "attempt.wav");
  const wav = readWav(recording);
  writeFileSync(attemptWav, wavBytes(wav, wav.samples.subarray(at(wav, from), at(wav, to))));
  browser = await chromiumWithMicrophone(attemptWav);
  stage = await startStage(join(home, "store"));
  const page = await browser.newPage();
  await page.goto(new URL("#/pieces/1", stage.url).href);
  await page.locator("#drills-due").waitFor();
  assert.match(await page.locator("#drills-due").textContent(), /1 drill is due/);
  await page.getByRole("link", { name: "Practise the drills" }).click();
  await page.locator("#drill-stretch").waitFor();
  assert.match(await page.locator("#drill-stretch .own").textContent(), /can truly do/);
  assert.match(await page.locator("#drill-count").textContent(), /Drill 1 of 1/);

  // Keyboard first: space starts, and space stops once the stretch has played.
  await page.keyboard.press("Space");
  await page.locator("#drill-stop").waitFor({ state: "visible" });
  await page.waitForTimeout((to - from) * 1000 + 1500);
  await page.keyboard.press("Space");
  await page.locator("#drill-rating").waitFor({ timeout: 90_000 });
  await page.screenshot({ path: join(artifacts, "drill-room.png"), fullPage: true });

  // The recording skips "truly", as the takes did: again, with the word marked skipped.
  assert.equal(await page.locator("#drill-rating").textContent(), "again");
  assert.equal(await page.locator('#drill-verdict [data-verdict="skipped"]').first().textContent(), "truly");
  assert.ok(await page.locator('#drill-verdict [data-verdict="correct"]').count() >= 3);
  assert.match(await page.locator("#drill-status").textContent(), /Due again (now|in \d+ minutes?)/);

  const after = JSON.parse(encore("drill", "list", "--json")).drills[0];
  assert.equal(after.reps, drill.reps + 1, "the attempt was kept as a review");

  // Enter on the last drill goes back to the piece.
  await page.keyboard.press("Enter");
  await page.waitForURL(/#\/pieces\/1$/);
});
