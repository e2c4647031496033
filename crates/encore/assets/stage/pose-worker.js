// The pose model off the page's main thread: MoveNet through `human` on TensorFlow.js's
// WebAssembly backend, reading the frames camera.js hands it. On the main thread each reading
// held the page for 30-40 ms, ten times a second, and the microphone's chunks and the
// prompter's messages waited behind it.
//
// Messages in: {type: "load"}, then {type: "read", id, frame} (an ImageBitmap, handed over).
// Out: {type: "ready"} or {type: "error", message}; {type: "pose", id, keypoints, ms}, each
// keypoint {part, x, y, score} with x and y in shares of the frame's width and height.

let human = null;

self.onmessage = async ({ data }) => {
  try {
    if (data.type === "load") {
      const { Human } = await import("/pose/human.esm.js");
      human = new Human({
        backend: "wasm", wasmPath: "/pose/", modelBasePath: "/pose/", debug: false, warmup: "none",
        // Every frame is read afresh: a performer standing still must not be "the same frame again".
        cacheSensitivity: 0, filter: { enabled: false },
        face: { enabled: false }, hand: { enabled: false }, object: { enabled: false },
        gesture: { enabled: false }, segmentation: { enabled: false },
        body: { enabled: true, modelPath: "movenet-lightning.json", maxDetected: 1, minConfidence: 0, skipFrames: 0, skipTime: 0 },
      });
      await human.load();
      self.postMessage({ type: "ready" });
    } else if (data.type === "read") {
      const started = performance.now();
      const result = await human.detect(data.frame);
      data.frame.close();
      const keypoints = (result.body?.[0]?.keypoints ?? [])
        .map((k) => ({ part: k.part, x: k.positionRaw[0], y: k.positionRaw[1], score: k.score }));
      self.postMessage({ type: "pose", id: data.id, keypoints, ms: performance.now() - started });
    }
  } catch (error) {
    self.postMessage({ type: "error", id: data.id, message: error.message || String(error) });
  }
};
