// The camera, opt-in: switched on in the rehearsal room, it shows a small mirror view (which the
// performer may hide) and reads the performer's pose ten times a second with MoveNet, run in
// this page by the `human` library on TensorFlow.js's WebAssembly backend, in a worker
// (pose-worker.js) so that the page itself stays free. The stage serves the
// model from its own cache (POST /api/camera installs it on first use). Pictures never leave the
// page: only the 17 body points, with the second of the take each was seen at, go to the stage
// with the take, a second at a time. A filmed take uploaded instead is read the same way, frame
// by frame (posesOfVideo).
//
// For tests and tuning, window.encorePoses counts the poses read and window.encorePoseMs keeps
// how long each reading took.

import { api } from "./api.js";

/** How often a pose is read: ten a second is enough for a sway or a gesture. */
const EVERY_MS = 100;
/** Poses go to the stage this often. */
const SEND_EVERY_MS = 1000;
/** The body's points in the order the stage keeps them (MoveNet's). */
const POINTS = ["nose", "leftEye", "rightEye", "leftEar", "rightEar", "leftShoulder", "rightShoulder", "leftElbow",
  "rightElbow", "leftWrist", "rightWrist", "leftHip", "rightHip", "leftKnee", "rightKnee", "leftAnkle", "rightAnkle"];

export class Camera {
  /** `video`: the element that shows the mirror view and that the model reads. */
  constructor(video) {
    this.video = video;
    this.poses = [];
    window.encorePoses = 0;
    window.encorePoseMs = [];
  }

  /** Opens the camera and loads the pose model; `say` tells the performer how it goes. */
  async start(say) {
    if (!navigator.mediaDevices?.getUserMedia) throw new Error("this browser cannot use a camera here");
    say("Opening the camera…");
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } } });
    } catch (error) {
      throw new Error(error.name === "NotAllowedError"
        ? "the browser was not allowed to use the camera; allow it (the icon in the address bar) or rehearse without it"
        : `no camera could be opened (${error.message || error.name}); rehearse without it, or connect one`);
    }
    this.video.srcObject = this.stream;
    await this.video.play().catch(() => {});
    this.model = await poseModel(say);
    await this.read(0);
    say("");
  }

  /** Reads poses for `recorder`'s take until `stopFollowing`. */
  follow(recorder) {
    this.recorder = recorder;
    this.poses = [];
    this.following = true;
    const tick = async () => {
      if (!this.following) return;
      const started = performance.now();
      await this.read(recorder.seconds);
      if (performance.now() - this.sentAt >= SEND_EVERY_MS) this.send();
      this.timer = setTimeout(tick, Math.max(0, EVERY_MS - (performance.now() - started)));
    };
    this.sentAt = performance.now();
    tick();
  }

  /** Stops reading and sends what is left, before the take's stop. */
  stopFollowing() {
    this.following = false;
    clearTimeout(this.timer);
    this.send();
  }

  /** Reads one pose at `at` seconds of the take. */
  async read(at) {
    if (!this.model) return;
    const pose = await poseOf(this.model, this.video, at);
    if (pose && this.following) this.poses.push(pose);
  }

  send() {
    const socket = this.recorder?.socket;
    if (!this.poses.length || socket?.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: "poses", poses: this.poses }));
    this.poses = [];
    this.sentAt = performance.now();
  }

  stop() {
    this.stopFollowing();
    this.stream?.getTracks().forEach((track) => track.stop());
    this.video.srcObject = null;
  }
}

/**
 * The poses of a filmed take, ten a second of the video, read frame by frame (not played, so a
 * slow machine reads every one); `say(fraction)` tells how far. Resolves with the message the
 * stage keeps (PUT /api/takes/{id}/poses).
 */
export async function posesOfVideo(file, say) {
  const model = await poseModel(() => {});
  const video = document.createElement("video");
  video.muted = true;
  video.preload = "auto";
  video.src = URL.createObjectURL(file);
  try {
    await new Promise((resolve, reject) => {
      video.onloadeddata = resolve;
      video.onerror = () => reject(new Error(`${file.name} could not be played here as a video; upload its sound alone, or a video this browser plays (MP4 or WebM)`));
    });
    const poses = [];
    for (let at = 0; at < video.duration; at += EVERY_MS / 1000) {
      video.currentTime = at;
      await new Promise((resolve) => { video.onseeked = resolve; });
      const pose = await poseOf(model, video, at);
      if (pose) poses.push(pose);
      say(at / video.duration);
    }
    return { type: "poses", poses };
  } finally {
    URL.revokeObjectURL(video.src);
  }
}

/** The pose model, loaded once a page in its worker (pose-worker.js): installed by the stage on first use. */
let loading = null;
function poseModel(say) {
  loading ??= (async () => {
    say("Preparing the pose model (the first time, Encore installs it: a few seconds)…");
    await api("/api/camera", { method: "POST" });
    const worker = new Worker("/assets/pose-worker.js", { type: "module" });
    const waiting = new Map();
    let next = 0;
    const ready = new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => {
        if (data.type === "ready") resolve();
        else if (data.type === "error" && data.id === undefined) reject(new Error(`the pose model did not load: ${data.message}`));
        else {
          waiting.get(data.id)?.(data);
          waiting.delete(data.id);
        }
      };
      worker.onerror = (event) => reject(new Error(`the pose model did not load: ${event.message}`));
    });
    worker.postMessage({ type: "load" });
    await ready;
    return {
      /** The keypoints in `frame` (an ImageBitmap, handed to the worker). */
      read(frame) {
        const id = next++;
        return new Promise((resolve, reject) => {
          waiting.set(id, (data) => (data.type === "pose" ? resolve(data) : reject(new Error(data.message))));
          worker.postMessage({ type: "read", id, frame }, [frame]);
        });
      },
    };
  })();
  // A failed load may be tried again.
  loading.catch(() => { loading = null; });
  return loading;
}

/** One pose from the frame `video` shows, at `at` seconds of the take: [at, x, y, score, ...]. */
async function poseOf(model, video, at) {
  const { videoWidth: width, videoHeight: height } = video;
  if (!width || !height) return null;
  const { keypoints, ms } = await model.read(await createImageBitmap(video));
  window.encorePoseMs?.push(ms);
  window.encorePoses = (window.encorePoses ?? 0) + 1;
  const pose = [Number(at.toFixed(3))];
  for (const name of POINTS) {
    const point = keypoints.find((k) => k.part === name);
    if (!point) { pose.push(0, 0, 0); continue; }
    // Across and down in heights of the picture, so that a step is as long either way.
    const x = Math.min(4, Math.max(0, point.x * width / height));
    const y = Math.min(4, Math.max(0, point.y));
    pose.push(Number(x.toFixed(4)), Number(y.toFixed(4)), Number(Math.min(1, Math.max(0, point.score)).toFixed(3)));
  }
  return pose;
}
