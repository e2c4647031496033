// Does the camera cost the prompter? The stage in Debian's Chromium, a fake microphone playing a
// corpus reading in real time (sonnet 2 by default, 116 words), with the camera off and on (a fake
// camera playing tests/corpus/video/carphone.y4m), alternated: for each run, the prompter's
// latency (as tests/browser/stage.test.mjs measures it), the poses read a second and the time
// each took. Needs what `scripts/test` installs (the binary, the pose model, playwright-core).
//
//   node bench/camera_follow.mjs [--runs N] [--recording WAV --script TXT] [--camera Y4M]
//
// --camera plays another YUV4MPEG2 file, such as the clip scaled to a webcam's 640x480
// (ffmpeg -i tests/corpus/video/carphone.y4m -vf scale=640:480 -pix_fmt yuv420p big.y4m).

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { speakerVideo } from "../tests/browser/camera.mjs";
import { chromiumWithMicrophone, corpus, prompterLatency, quantile, readWav, startStage } from "../tests/browser/support.mjs";

const { values: options } = parseArgs({
  options: {
    runs: { type: "string", default: "2" },
    recording: { type: "string", default: join(corpus, "librivox_shakespeare_sonnet_002.wav") },
    script: { type: "string", default: join(corpus, "librivox_shakespeare_sonnet_002.txt") },
    camera: { type: "string", default: speakerVideo },
  },
});
const script = readFileSync(options.script, "utf8").trim();
const wav = readWav(options.recording);
const seconds = wav.samples.length / wav.frame / wav.rate;

/** One take with the camera `on` or off: the prompter's latency and the camera's figures. */
async function take(stage, camera) {
  const browser = await chromiumWithMicrophone(options.recording, camera ? { camera: options.camera } : {});
  try {
    const page = await browser.newPage();
    const created = await fetch(`${stage.url.origin}/api/pieces`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: `Run ${Date.now()}`, script }),
    });
    const piece = await created.json();
    await page.goto(`${stage.url.origin}/#/pieces/${piece.id}/rehearse`);
    await page.locator("#record").waitFor();
    if (camera) {
      await page.locator("#camera").check();
      await page.locator(".camera-choice").getByText(/^On:/).waitFor({ timeout: 60_000 });
    }
    await page.locator("#record").click();
    await page.waitForTimeout((seconds + 1.5) * 1000);
    await page.locator("#stop").click();
    await page.waitForURL(/#\/takes\/\d+$/, { timeout: 120_000 });
    const takeId = Number(page.url().match(/#\/takes\/(\d+)/)[1]);
    const { report } = await (await fetch(`${stage.url.origin}/api/takes/${takeId}`)).json();
    const { lit, poseMs } = await page.evaluate(() => ({ lit: window.encoreLit ?? [], poseMs: window.encorePoseMs ?? [] }));
    const latency = prompterLatency(report, lit);
    return {
      camera, words: latency.length, median: quantile(latency, 0.5), p90: quantile(latency, 0.9),
      within: latency.filter((l) => l <= 0.5).length, poses: poseMs.length / seconds,
      poseMs: quantile(poseMs, 0.5), seenPerSecond: report.movement?.poses_per_second ?? null,
    };
  } finally {
    await browser.close();
  }
}

const data = mkdtempSync(join(tmpdir(), "encore-camera-bench-"));
const stage = await startStage(data);
try {
  console.log(`${options.recording}: ${seconds.toFixed(1)} s, ${Number(options.runs)} runs each way, alternated; camera ${options.camera}`);
  console.log("camera | words | latency median | p90 | within 0.5 s | poses a second | ms a pose");
  const results = [];
  for (let run = 0; run < Number(options.runs); run += 1) {
    for (const camera of [false, true]) {
      const r = await take(stage, camera);
      results.push(r);
      console.log(`${camera ? "on " : "off"}    | ${r.words} | ${r.median.toFixed(2)} s | ${r.p90.toFixed(2)} s | ${r.within} | ` +
        `${camera ? r.poses.toFixed(1) : "-"} | ${camera ? r.poseMs.toFixed(0) : "-"}`);
    }
  }
  for (const camera of [false, true]) {
    const runs = results.filter((r) => r.camera === camera);
    console.log(`camera ${camera ? "on" : "off"}: median of the runs' medians ${quantile(runs.map((r) => r.median), 0.5).toFixed(2)} s, ` +
      `of their p90s ${quantile(runs.map((r) => r.p90), 0.5).toFixed(2)} s`);
  }
} finally {
  stage.child.kill("SIGTERM");
  rmSync(data, { recursive: true, force: true });
}
