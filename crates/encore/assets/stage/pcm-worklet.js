// The microphone as 16 kHz 16-bit mono PCM, in the audio thread: mixes the channels, resamples
// by averaging each output period (a box filter: enough for speech, and exact when the context
// already runs at 16 kHz), and posts chunks of about 40 ms with their loudness for the meter.

const TARGET_RATE = 16000;

class Pcm16Processor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const settings = (options && options.processorOptions) || {};
    this.ratio = sampleRate / TARGET_RATE;
    this.size = settings.chunk || 640;
    this.chunk = new Int16Array(this.size);
    this.filled = 0;
    this.energy = 0;
    this.pending = new Float32Array(0);
    this.position = 0;
    this.port.onmessage = (event) => {
      if (event.data === "flush") {
        this.post();
        this.port.postMessage({ flushed: true });
      }
    };
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0 || input[0].length === 0) return true;
    const frames = input[0].length;
    const mono = new Float32Array(this.pending.length + frames);
    mono.set(this.pending);
    for (let c = 0; c < input.length; c += 1) {
      const channel = input[c];
      for (let i = 0; i < frames; i += 1) mono[this.pending.length + i] += channel[i] / input.length;
    }
    if (this.ratio === 1) {
      for (let i = 0; i < mono.length; i += 1) this.emit(mono[i]);
      this.pending = new Float32Array(0);
      return true;
    }
    let t = this.position;
    while (t + this.ratio <= mono.length) {
      const from = Math.floor(t);
      const to = Math.max(from + 1, Math.floor(t + this.ratio));
      let sum = 0;
      for (let i = from; i < to; i += 1) sum += mono[i];
      this.emit(sum / (to - from));
      t += this.ratio;
    }
    const used = Math.floor(t);
    this.pending = mono.slice(used);
    this.position = t - used;
    return true;
  }

  emit(sample) {
    const clamped = Math.max(-1, Math.min(1, sample));
    this.chunk[this.filled] = Math.round(clamped * 32767);
    this.energy += clamped * clamped;
    this.filled += 1;
    if (this.filled === this.size) this.post();
  }

  post() {
    if (this.filled === 0) return;
    const pcm = this.chunk.slice(0, this.filled);
    const level = Math.sqrt(this.energy / this.filled);
    this.port.postMessage({ pcm: pcm.buffer, level }, [pcm.buffer]);
    this.filled = 0;
    this.energy = 0;
  }
}

registerProcessor("pcm16", Pcm16Processor);
