// A personal best's moment: a banner and warm sparks rising for three seconds; with the
// "applause sound" setting on, a short round of applause made on the spot with Web Audio (a
// crowd of filtered noise claps), nothing fetched.

import { h, reducedMotion } from "./dom.js";

export function applaud({ sound = false } = {}) {
  const layer = h("div", { class: "applause", "aria-hidden": "true" }, h("div", { class: "banner" }, "Personal best!"));
  if (!reducedMotion()) {
    for (let i = 0; i < 28; i += 1) {
      const spark = h("i", { style: `left:${(Math.random() * 100).toFixed(1)}%;animation-delay:${(Math.random() * 0.9).toFixed(2)}s;transform:scale(${(0.5 + Math.random()).toFixed(2)})` });
      layer.append(spark);
    }
  }
  document.body.append(layer);
  setTimeout(() => layer.remove(), 3600);
  if (sound) clap();
}

function clap() {
  let context;
  try { context = new AudioContext(); } catch { return; }
  const seconds = 2.6;
  const noise = context.createBuffer(1, context.sampleRate * 0.05, context.sampleRate);
  const data = noise.getChannelData(0);
  for (let i = 0; i < data.length; i += 1) data[i] = (Math.random() * 2 - 1) * Math.exp(-i / (context.sampleRate * 0.008));
  const out = context.createGain();
  out.gain.setValueAtTime(0.0001, context.currentTime);
  out.gain.exponentialRampToValueAtTime(0.5, context.currentTime + 0.25);
  out.gain.setValueAtTime(0.5, context.currentTime + seconds - 1);
  out.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + seconds);
  out.connect(context.destination);
  for (let i = 0; i < 160; i += 1) {
    const source = context.createBufferSource();
    source.buffer = noise;
    const band = context.createBiquadFilter();
    band.type = "bandpass";
    band.frequency.value = 900 + Math.random() * 1600;
    band.Q.value = 1.2;
    const gain = context.createGain();
    gain.gain.value = 0.3 + Math.random() * 0.7;
    source.connect(band).connect(gain).connect(out);
    source.start(context.currentTime + Math.random() * seconds);
  }
  setTimeout(() => context.close(), (seconds + 0.5) * 1000);
}
