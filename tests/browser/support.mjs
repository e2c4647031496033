// What every browser test needs: where the binary, Chromium and the corpus are; a stage started
// on a data directory; Chromium with a WAV file as its microphone; and WAV files cut or stretched
// from the corpus recordings, so that the microphone plays exactly what a test needs.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const binary = process.env.ENCORE_BIN || join(root, "target/release/encore");
export const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
export const corpus = join(root, "tests/corpus/audio");
export const artifacts = join(root, "target/browser-artifacts");

/**
 * Starts `encore stage` on `data` (with `extra` arguments) and resolves with the child process
 * and the page's address, read from the first line of stdout.
 */
export function startStage(data, extra = []) {
  const child = spawn(binary, ["stage", "--port", "0", "--data", data, ...extra], { stdio: ["ignore", "pipe", "pipe"] });
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

/**
 * Chromium whose microphone plays `wav` once, from when the page opens it; with `camera`, a
 * YUV4MPEG2 file its camera plays over and over.
 */
export function chromiumWithMicrophone(wav, { camera } = {}) {
  return chromium.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${wav}%noloop`,
      ...(camera ? [`--use-file-for-fake-video-capture=${camera}`] : []),
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}

/** A 16-bit PCM WAV file: its channels, rate and samples (the data chunk's bytes). */
export function readWav(path) {
  const wav = readFileSync(path);
  if (wav.toString("ascii", 0, 4) !== "RIFF") throw new Error(`${path} is not a WAV file`);
  let format = null;
  let samples = null;
  for (let offset = 12; offset + 8 <= wav.length;) {
    const id = wav.toString("ascii", offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    const body = wav.subarray(offset + 8, offset + 8 + size);
    if (id === "fmt ") format = { tag: body.readUInt16LE(0), channels: body.readUInt16LE(2), rate: body.readUInt32LE(4), bits: body.readUInt16LE(14) };
    if (id === "data") samples = body;
    offset += 8 + size + (size % 2);
  }
  if (!format || !samples || format.tag !== 1 || format.bits !== 16) throw new Error(`${path} is not 16-bit PCM`);
  return { channels: format.channels, rate: format.rate, frame: format.channels * 2, samples };
}

/** The bytes of a plain WAV file (a 44-byte header) holding `pcm` in `wav`'s format. */
export function wavBytes({ channels, rate, frame }, pcm) {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write("WAVEfmt ", 8, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * frame, 28);
  header.writeUInt16LE(frame, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

/** The byte offset of `seconds` into `wav`'s samples. */
export const at = (wav, seconds) => Math.round(seconds * wav.rate) * wav.frame;

/** The `q` quantile of `values`, between the two nearest when it falls between them. */
export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at), high = Math.ceil(at);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

/**
 * The prompter's latency as the performer saw it: for each script word the report times, the
 * audio sent when the highlight reached it (or passed it, on a jump) less the second at which it
 * ended. `lit` is the page's window.encoreLit.
 */
export function prompterLatency(report, lit) {
  return report.words
    .filter((w) => w.script_index !== null && w.end !== null)
    .map((w) => [w, lit.find((l) => l.index >= w.script_index)])
    .filter(([, l]) => l)
    .map(([w, l]) => l.at - w.end);
}
