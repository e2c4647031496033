// The drill room as a performer uses it: two takes of a recording that skip the same word make a
// drill; the piece's page says it is due; the drill room records an attempt (Chromium's fake
// microphone plays the recording's own stretch of those words, cut from it) and shows the verdict
// on each word and when the drill is due again.
//
// Run: npm ci --prefix tests/browser && node --test tests/browser/
// The binary is $ENCORE_BIN (default target/release/encore); Chromium is $CHROMIUM.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const binary = process.env.ENCORE_BIN || join(root, "target/release/encore");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const recording = join(root, "tests/corpus/audio/jfk_inaugural_1961.wav");
const artifacts = join(root, "target/browser-artifacts");
// "truly" is not in the recording: every take skips it.
const SCRIPT = "And so my fellow Americans,\nask not what your country can truly do for you,\nask what you can do for your country.\n";

let home;
let stage;
let browser;

/** Runs `encore --data DIR ...` to the end; its stdout. */
const encore = (...args) => execFileSync(binary, ["--data", join(home, "store"), ...args], { encoding: "utf8" });

/** The 16-bit PCM WAV at `path`, cut to `from..to` seconds, as a new WAV's bytes. */
function cutWav(path, from, to) {
  const wav = readFileSync(path);
  let at = 12;
  let format = null;
  while (at + 8 <= wav.length) {
    const id = wav.toString("ascii", at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    if (id === "fmt ") format = wav.subarray(at + 8, at + 8 + size);
    if (id === "data") {
      const rate = format.readUInt32LE(4);
      const frame = format.readUInt16LE(12);
      const data = wav.subarray(at + 8, at + 8 + size);
      const cut = data.subarray(Math.round(from * rate) * frame, Math.round(to * rate) * frame);
      const header = Buffer.alloc(44);
      header.write("RIFF", 0, "ascii");
      header.writeUInt32LE(36 + cut.length, 4);
      header.write("WAVEfmt ", 8, "ascii");
      header.writeUInt32LE(16, 16);
      format.copy(header, 20, 0, 16);
      header.write("data", 36, "ascii");
      header.writeUInt32LE(cut.length, 40);
      return Buffer.concat([header, cut]);
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${path} has no data chunk`);
}

function startStage() {
  const child = spawn(binary, ["stage", "--port", "0", "--data", join(home, "store")], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => { stderr += chunk; });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stage did not start in time\n${stderr}`)), 60_000);
    child.on("exit", (code) => reject(new Error(`the stage exited with ${code}\n${stderr}`)));
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      const match = line.match(/^Encore stage: (http\S+)$/);
      if (match) resolvePromise({ child, url: new URL(match[1]) });
      else reject(new Error(`unexpected first line: ${line}`));
    });
  });
}

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
  writeFileSync(attemptWav, cutWav(recording, from, to));
  browser = await chromium.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${attemptWav}%noloop`,
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
  stage = await startStage();
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
