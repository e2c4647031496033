// The camera's keypoints checked against the same model run through another path. The page's
// path: the stage's own camera.js in Debian's Chromium, reading a fake camera that holds one
// frame of tests/corpus/video/carphone.y4m (Chromium converts the frame to RGB itself). The other
// path: human's Node build on TensorFlow.js's WebAssembly backend, reading the same frame from the
// file, converted here (BT.601). For each frame, the mean and largest distance between the two
// readings of each body point both see (score 0.3 or more), in pixels of the 176x144 picture.
//
//   npm ci --prefix bench/pose_agreement && node bench/pose_agreement/agreement.mjs
// Needs what `scripts/test` installs (the binary, the pose model, Chromium, playwright-core).

import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cameraPoses, heldFrame, readY4m, speakerVideo } from "../../tests/browser/camera.mjs";
import { startStage } from "../../tests/browser/support.mjs";

const require = createRequire(import.meta.url);
const POINTS = ["nose", "leftEye", "rightEye", "leftEar", "rightEar", "leftShoulder", "rightShoulder", "leftElbow",
  "rightElbow", "leftWrist", "rightWrist", "leftHip", "rightHip", "leftKnee", "rightKnee", "leftAnkle", "rightAnkle"];
const SEEN = 0.3;
const FRAMES = [0, 10, 20, 30, 40, 50];

const video = readY4m(speakerVideo);
const { width, height } = video;

/** The page's reading of a fake camera holding frame `index`: poses as camera.js sends them. */
function pagePoses(stage, index, dir) {
  const camera = heldFrame(speakerVideo, join(dir, `frame${index}.y4m`), { index, seconds: 3 });
  return cameraPoses(stage.url.origin, camera, 1.5);
}

/** Frame `index` as RGB, converted from the file's 4:2:0 planes (BT.601, studio range). */
function rgbOf(index) {
  const frame = video.frames[index];
  const rgb = new Uint8Array(width * height * 3);
  const chroma = width * height;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const c = (y >> 1) * (width >> 1) + (x >> 1);
      const Y = 1.164 * (frame[y * width + x] - 16);
      const U = frame[chroma + c] - 128;
      const V = frame[chroma + (width >> 1) * (height >> 1) + c] - 128;
      const at = (y * width + x) * 3;
      rgb[at] = Math.max(0, Math.min(255, Y + 1.596 * V));
      rgb[at + 1] = Math.max(0, Math.min(255, Y - 0.392 * U - 0.813 * V));
      rgb[at + 2] = Math.max(0, Math.min(255, Y + 2.017 * U));
    }
  }
  return rgb;
}

/** human in Node; the model's files from the stage (Node's fetch reads no files), the same bytes. */
async function nodeHuman(stage) {
  // human's package exports name no subpaths Node accepts: its files are reached by their paths.
  const modules = join(dirname(fileURLToPath(import.meta.url)), "node_modules");
  const { Human } = require(join(modules, "@vladmandic/human/dist/human.node-wasm.js"));
  const wasm = join(modules, "@tensorflow/tfjs-backend-wasm/dist/");
  const human = new Human({
    backend: "wasm", wasmPath: wasm, modelBasePath: `${stage.url.origin}/pose/`, debug: false, warmup: "none",
    cacheSensitivity: 0, filter: { enabled: false }, face: { enabled: false }, hand: { enabled: false },
    object: { enabled: false }, gesture: { enabled: false }, segmentation: { enabled: false },
    body: { enabled: true, modelPath: "movenet-lightning.json", maxDetected: 1, minConfidence: 0, skipFrames: 0, skipTime: 0 },
  });
  await human.load();
  return human;
}

const dir = mkdtempSync(join(tmpdir(), "encore-pose-agreement-"));
const stage = await startStage(dir);
const human = await nodeHuman(stage);
const distances = [];
try {
  console.log(`the other path: human ${human.version} in Node ${process.version}, TensorFlow.js ${human.tf.version_core} on ${human.tf.getBackend()}`);
  console.log("frame | points both see | mean px | largest px | page's poses alike (largest spread, px)");
  for (const index of FRAMES) {
    const poses = await pagePoses(stage, index, dir);
    const tensor = human.tf.tensor3d(rgbOf(index), [height, width, 3], "int32");
    const result = await human.detect(tensor);
    human.tf.dispose(tensor);
    const node = result.body[0];
    const last = poses[poses.length - 1];
    const here = [];
    POINTS.forEach((name, i) => {
      const other = node?.keypoints.find((k) => k.part === name);
      const [x, y, score] = last.slice(1 + 3 * i, 4 + 3 * i);
      if (!other || other.score < SEEN || score < SEEN) return;
      // The page gives x and y in heights of the picture; pixels here.
      const dx = x * height - other.positionRaw[0] * width;
      const dy = y * height - other.positionRaw[1] * height;
      here.push(Math.hypot(dx, dy));
    });
    // The page read the one held frame several times: how alike were its own readings?
    let spread = 0;
    for (const pose of poses) for (let k = 1; k < pose.length; k += 3) spread = Math.max(spread, Math.abs(pose[k] - last[k]) * height);
    distances.push(...here);
    const mean = here.reduce((a, b) => a + b, 0) / here.length;
    console.log(`${index} | ${here.length} | ${mean.toFixed(2)} | ${Math.max(...here).toFixed(2)} | ${poses.length} (${spread.toFixed(2)})`);
  }
  const mean = distances.reduce((a, b) => a + b, 0) / distances.length;
  console.log(`over ${distances.length} points: mean ${mean.toFixed(2)} px (${(100 * mean / height).toFixed(2)}% of the picture's height), largest ${Math.max(...distances).toFixed(2)} px`);
} finally {
  stage.child.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
