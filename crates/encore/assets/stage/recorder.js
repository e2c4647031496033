// A take recorded in the page: the microphone through an AudioWorklet as 16 kHz 16-bit PCM,
// streamed over the WebSocket as it comes (no MediaRecorder, no browser codec), and the server's
// answers: where the performer is (follow), and at the end the take's report.
//
// For tests and tuning, each follow message that moves the place goes into window.encoreLit as
// { index, at }: the script word lit, and the seconds of audio sent when it was. Set against
// the report's times for the words, that is the prompter's latency as the performer sees it.

const RATE = 16000;

export class Recorder {
  /**
   * `target`: a piece's id, to record a take of it; or the WebSocket's path, such as
   * `/api/drills/3/record` for an attempt at a drill, which ends with the attempt instead of a take.
   * handlers: onFollow(message), onLevel(0..1), onReady(), onSaved(takeId), onLimit(message).
   */
  constructor(target, handlers) {
    this.path = typeof target === "string" ? target : `/api/pieces/${target}/record`;
    this.handlers = handlers;
    this.sent = 0;
    this.queue = [];
    this.finished = null;
    window.encoreLit = window.encoreLit || [];
  }

  /** Seconds of audio sent to the server so far. */
  get seconds() {
    return this.sent / RATE;
  }

  async start() {
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new Error("this browser cannot record here; use a recent Chrome, Firefox or Safari on this machine");
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: true },
      });
    } catch (error) {
      throw new Error(error.name === "NotAllowedError"
        ? "the browser was not allowed to use the microphone; allow it (the icon in the address bar) and try again"
        : `no microphone could be opened (${error.message || error.name}); check that one is connected`);
    }
    // A context at 16 kHz lets the browser resample well; where it cannot take the microphone at
    // that rate, the worklet resamples.
    try {
      this.context = new AudioContext({ sampleRate: RATE });
      this.source = this.context.createMediaStreamSource(this.stream);
    } catch {
      await this.context?.close();
      this.context = new AudioContext();
      this.source = this.context.createMediaStreamSource(this.stream);
    }
    await this.context.audioWorklet.addModule("/assets/pcm-worklet.js");
    this.node = new AudioWorkletNode(this.context, "pcm16", { processorOptions: { chunk: 640 } });
    // The worklet must be pulled by the graph to run; a silent gain keeps the speakers quiet.
    this.silence = this.context.createGain();
    this.silence.gain.value = 0;
    this.source.connect(this.node).connect(this.silence).connect(this.context.destination);

    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.socket = new WebSocket(`${scheme}://${location.host}${this.path}`);
    this.socket.binaryType = "arraybuffer";
    this.finished = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.socket.addEventListener("open", () => {
      for (const buffer of this.queue) this.send(buffer);
      this.queue = [];
    });
    this.socket.addEventListener("message", (event) => this.receive(event.data));
    this.socket.addEventListener("close", () => this.reject(new Error("the stage closed the connection before the report came; is `encore stage` still running?")));
    this.node.port.onmessage = (event) => {
      const { pcm, level, flushed } = event.data;
      if (flushed) { this.flushed?.(); return; }
      if (this.stopping) return;
      this.handlers.onLevel?.(level);
      if (this.socket.readyState === WebSocket.OPEN) this.send(pcm); else this.queue.push(pcm);
    };
    if (this.context.state === "suspended") await this.context.resume();
    return this.finished;
  }

  send(buffer) {
    this.socket.send(buffer);
    this.sent += buffer.byteLength / 2;
  }

  receive(data) {
    let message;
    try { message = JSON.parse(data); } catch { return; }
    switch (message.type) {
      case "ready": this.handlers.onReady?.(); break;
      case "follow": {
        this.handlers.onFollow?.(message);
        if (message.moved) window.encoreLit.push({ index: message.index, at: this.seconds });
        break;
      }
      case "limit": this.handlers.onLimit?.(message.message); this.stop(); break;
      case "saved": this.handlers.onSaved?.(message.take_id); break;
      case "report": this.resolve(message.take_id); this.release(); break;
      case "attempt": this.resolve(message.attempt); this.release(); break;
      case "error": {
        const error = new Error(message.message);
        error.takeId = message.take_id;
        this.reject(error);
        this.release();
        break;
      }
      default: break;
    }
  }

  /** Stops the microphone, sends what is left and asks for the report. */
  async stop() {
    if (this.stopping) return this.finished;
    if (!this.node) {
      this.release();
      throw new Error("the take stopped before the microphone opened; press Record again");
    }
    // The last chunk in the worklet goes out before the stop.
    await new Promise((resolve) => {
      this.flushed = resolve;
      this.node.port.postMessage("flush");
      setTimeout(resolve, 300);
    });
    this.stopping = true;
    this.releaseMicrophone();
    const stop = () => this.socket.send(JSON.stringify({ type: "stop" }));
    if (this.socket.readyState === WebSocket.OPEN) stop();
    else this.socket.addEventListener("open", stop, { once: true });
    return this.finished;
  }

  releaseMicrophone() {
    this.stream?.getTracks().forEach((track) => track.stop());
    this.source?.disconnect();
    this.node?.disconnect();
    if (this.context && this.context.state !== "closed") this.context.close().catch(() => {});
  }

  release() {
    this.releaseMicrophone();
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) this.socket.close();
  }
}
