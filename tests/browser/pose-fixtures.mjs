// Makes crates/movement/tests/data/*.poses again: the stage's own camera.js in Debian's Chromium
// reads a fake camera for twelve seconds, as it does in a take, for each case (the carphone clip,
// its frame 10 held, and the clip moved side to side), and the poses are kept in the store's
// compact form (encore_take::PoseTrack: "EPT1", then per pose its milliseconds as a u32 and per
// point x and y in 1/16384 of the picture's height as u16 and the score in 1/255 as u8).
//
//   node tests/browser/pose-fixtures.mjs
// Needs what `scripts/test` installs (the binary, the pose model, Chromium, playwright-core).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cameraPoses, heldFrame, speakerVideo, swayed } from "./camera.mjs";
import { root, startStage } from "./support.mjs";

const SECONDS = 12;
const out = join(root, "crates/movement/tests/data");
const dir = mkdtempSync(join(tmpdir(), "encore-pose-fixtures-"));
const stage = await startStage(dir);

function compact(poses) {
  const bytes = Buffer.alloc(4 + poses.length * (4 + 17 * 5));
  bytes.write("EPT1", 0, "ascii");
  let at = 4;
  for (const pose of poses) {
    bytes.writeUInt32LE(Math.round(pose[0] * 1000), at);
    at += 4;
    for (let point = 0; point < 17; point += 1) {
      const [x, y, score] = pose.slice(1 + 3 * point, 4 + 3 * point);
      bytes.writeUInt16LE(Math.min(65535, Math.round(x * 16384)), at);
      bytes.writeUInt16LE(Math.min(65535, Math.round(y * 16384)), at + 2);
      bytes.writeUInt8(Math.round(score * 255), at + 4);
      at += 5;
    }
  }
  return bytes;
}

try {
  const cases = {
    carphone: speakerVideo,
    held: heldFrame(speakerVideo, join(dir, "held.y4m")),
    swayed: swayed(speakerVideo, join(dir, "swayed.y4m")),
  };
  for (const [name, video] of Object.entries(cases)) {
    const poses = await cameraPoses(stage.url.origin, video, SECONDS);
    writeFileSync(join(out, `${name}.poses`), compact(poses));
    console.log(`${name}: ${poses.length} poses over ${poses[poses.length - 1][0].toFixed(1)} s`);
  }
} finally {
  stage.child.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
