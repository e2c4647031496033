// The camera a browser test shows the stage: a real recording of a person speaking, as a YUV4MPEG2
// file that Chromium plays as its fake camera, and the controlled cases made from its real
// frames: one frame held (a performer frozen) and the whole picture moved side to side (a
// performer swaying); and the poses the stage's own camera.js reads from such a camera.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromiumWithMicrophone, corpus, root } from "./support.mjs";

/** The recording: carphone, 176x144 at 15 frames a second (tests/corpus/README.md). */
export const speakerVideo = join(root, "tests/corpus/video/carphone.y4m");

/** A YUV4MPEG2 file (4:2:0): its header line, size and frames (each the Y, U and V planes). */
export function readY4m(path) {
  const bytes = readFileSync(path);
  const headerEnd = bytes.indexOf(0x0a);
  const header = bytes.toString("ascii", 0, headerEnd);
  if (!header.startsWith("YUV4MPEG2 ")) throw new Error(`${path} is not a YUV4MPEG2 file`);
  const field = (letter) => header.split(" ").find((part) => part.startsWith(letter))?.slice(1);
  const width = Number(field("W"));
  const height = Number(field("H"));
  const [num, den] = field("F").split(":").map(Number);
  const frameBytes = width * height * 3 / 2;
  const frames = [];
  for (let offset = headerEnd + 1; offset < bytes.length;) {
    const lineEnd = bytes.indexOf(0x0a, offset);
    offset = lineEnd + 1;
    frames.push(bytes.subarray(offset, offset + frameBytes));
    offset += frameBytes;
  }
  return { header, width, height, fps: num / den, frames };
}

function writeY4m(path, { header }, frames) {
  const parts = [Buffer.from(`${header}\n`, "ascii")];
  for (const frame of frames) parts.push(Buffer.from("FRAME\n", "ascii"), frame);
  writeFileSync(path, Buffer.concat(parts));
}

/** The recording's frame `index` held for `seconds`: a performer who does not move at all. */
export function heldFrame(path, out, { index = 10, seconds = 12 } = {}) {
  const video = readY4m(path);
  writeY4m(out, video, Array.from({ length: Math.round(seconds * video.fps) }, () => video.frames[index]));
  return out;
}

/**
 * The recording moved side to side, `share` of its width each way, once every `period` seconds,
 * for `seconds`: the same speaker, swaying. The edge column fills what the move uncovers.
 */
export function swayed(path, out, { share = 0.05, period = 2, seconds = 12 } = {}) {
  const video = readY4m(path);
  const { width, height, fps } = video;
  const frames = [];
  for (let i = 0; i < Math.round(seconds * fps); i += 1) {
    const source = video.frames[i % video.frames.length];
    const dx = Math.round(share * width * Math.sin((2 * Math.PI * i) / (period * fps)));
    const frame = Buffer.alloc(source.length);
    const planes = [[0, width, height, dx], [width * height, width / 2, height / 2, Math.round(dx / 2)]];
    planes.push([planes[1][0] + (width / 2) * (height / 2), width / 2, height / 2, Math.round(dx / 2)]);
    for (const [start, w, h, shift] of planes) {
      for (let y = 0; y < h; y += 1) {
        const row = start + y * w;
        for (let x = 0; x < w; x += 1) {
          const from = Math.min(w - 1, Math.max(0, x - shift));
          frame[row + x] = source[row + from];
        }
      }
    }
    frames.push(frame);
  }
  writeY4m(out, video, frames);
  return out;
}

/**
 * `seconds` of poses as the stage's camera.js reads them during a take, from a Chromium camera
 * playing `video`, in a page of the stage at `origin`: [at, x, y, score, ...] each, `at` the
 * seconds since reading began.
 */
export async function cameraPoses(origin, video, seconds) {
  const browser = await chromiumWithMicrophone(join(corpus, "jfk_inaugural_1961.wav"), { camera: video });
  try {
    const page = await browser.newPage();
    await page.goto(origin);
    return await page.evaluate(async (seconds) => {
      const { Camera } = await import("/assets/camera.js");
      const camera = new Camera(document.body.appendChild(document.createElement("video")));
      await camera.start(() => {});
      // A recorder that has sent as much audio as time has passed, and never a socket.
      const started = performance.now();
      camera.follow({ get seconds() { return (performance.now() - started) / 1000; }, socket: null });
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      camera.stopFollowing();
      camera.stop();
      return camera.poses;
    }, seconds);
  } finally {
    await browser.close();
  }
}
