//! Where in a take someone is speaking.
//!
//! The aligner needs this before it trusts any recognised word: a word whose start falls in
//! silence is moved to where the voice actually begins, and stretches of voice that no word
//! accounts for are ad-libs or lines the recogniser missed. Both uses need span edges accurate
//! to a few tens of milliseconds, on studio recordings and on phone recordings in a noisy room
//! alike, and need no model, so this is a plain signal-level detector.

use serde::Serialize;

use crate::audio::{Audio, SAMPLE_RATE};

/// A stretch of a take where someone is speaking, in seconds from the start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpeechSpan {
    pub start: f64,
    pub end: f64,
}

/// Energy is summed in 10 ms blocks; a frame is two blocks (20 ms), one frame per block.
const BLOCK: usize = (SAMPLE_RATE / 100) as usize;
const BLOCKS_PER_FRAME: usize = 2;
const FRAME_SECONDS: f64 = (BLOCK * BLOCKS_PER_FRAME) as f64 / SAMPLE_RATE as f64;
const HOP_SECONDS: f64 = BLOCK as f64 / SAMPLE_RATE as f64;

/// The noise floor and speech level are measured over ±10 s around each moment, updated every
/// half second: long enough to always include some pauses, short enough to follow a room that
/// gets noisier during a two-hour session.
const LEVEL_RADIUS_FRAMES: usize = 1000;
const LEVEL_STEP_FRAMES: usize = 50;
/// The floor is the 10th percentile of frame energies (the quieter frames: pauses and
/// closures), the speech level the 95th (vowels).
const FLOOR_PERCENTILE: f64 = 0.10;
const LEVEL_PERCENTILE: f64 = 0.95;

/// Speech must rise at least this far above the floor (dB): stationary noise almost never
/// does for 80 ms, even quiet speech always does.
const MIN_RISE_DB: f32 = 6.0;
/// ...and need not rise more than this, however clean the recording.
const MAX_RISE_DB: f32 = 25.0;
/// In clean recordings, only sound within this of the speech level counts, so breaths and
/// mouth noise 40 dB below the voice are not taken for words.
const BELOW_LEVEL_DB: f32 = 30.0;
/// Nothing quieter than this (frame RMS, dBFS) is speech, whatever the floor.
const ABSOLUTE_MIN_DB: f32 = -65.0;
/// Once in speech, stay in it until the energy falls this much below the entry threshold, so
/// the unstressed ends of words do not chop a span into pieces.
const HYSTERESIS_DB: f32 = 6.0;

/// Pauses shorter than this are part of speech (stop closures, quick breaths between words).
const MIN_GAP: f64 = 0.15;
/// Spans shorter than this are clicks, pops or taps, not syllables.
const MIN_SPAN: f64 = 0.08;
/// Spans are widened by this on each side: energy thresholds cut off the soft onsets and
/// releases of consonants, and a span that starts slightly early is harmless where one that
/// starts late clips the first sound of a word.
const PAD: f64 = 0.03;

/// Voice activity: the spans of the audio where someone is speaking, in order, non-overlapping.
///
/// # Design
///
/// This is an energy detector, deliberately: it is fast (a two-hour take takes about a second),
/// predictable, and its spans line up with what a person sees in a waveform, which is what
/// word-timing corrections need. Each part exists for a failure it prevents:
///
/// - **High-pass filter at 100 Hz** before measuring energy: mains hum, handling rumble and DC
///   offset carry a lot of energy but no speech, and would hide pauses.
/// - **20 ms frames every 10 ms**: short enough to place onsets to a frame, long enough to
///   span a pitch period of a low voice so energy does not flicker within a vowel.
/// - **Adaptive thresholds from local percentiles**: the noise floor is the level of the
///   quieter frames and the speech level that of the loudest, both measured over ±10 s. A fixed
///   dBFS threshold fails both ways: a noisy room sits above it throughout, a quiet microphone
///   never reaches it. The entry threshold is halfway between floor and speech level, at least
///   6 dB above the floor (stationary noise does not trigger) and at most 25 dB above it, but
///   never more than 30 dB below the speech level (breaths in a silent studio do not count).
/// - **Hysteresis**: a frame starts speech above the entry threshold but speech continues until
///   the energy falls 6 dB lower, so decaying word endings stay attached to their word.
/// - **Merging gaps under 0.15 s, dropping spans under 0.08 s, padding by 30 ms**: pauses
///   inside a phrase (stop consonants) are not pauses, isolated clicks are not speech, and
///   thresholds always clip the faint edges of consonants.
///
/// Returns no spans for silence, steady noise, or audio shorter than one frame.
pub fn voice_activity(audio: &Audio) -> Vec<SpeechSpan> {
    let energies = frame_energies_db(&audio.samples);
    if energies.is_empty() {
        return Vec::new();
    }
    let (floor, level) = local_levels(&energies);

    let mut raw: Vec<(usize, usize)> = Vec::new(); // first and last speech frame
    let mut current: Option<usize> = None;
    for (i, &e) in energies.iter().enumerate() {
        let rise = (0.5 * (level[i] - floor[i])).clamp(MIN_RISE_DB, MAX_RISE_DB);
        let on = (floor[i] + rise).max(level[i] - BELOW_LEVEL_DB).max(ABSOLUTE_MIN_DB);
        let off = on - HYSTERESIS_DB.min(0.5 * (on - floor[i]));
        match current {
            None if e > on => current = Some(i),
            Some(start) if e <= off => {
                raw.push((start, i - 1));
                current = None;
            }
            _ => {}
        }
    }
    if let Some(start) = current {
        raw.push((start, energies.len() - 1));
    }

    let spans = raw.into_iter().map(|(first, last)| SpeechSpan {
        start: first as f64 * HOP_SECONDS,
        end: last as f64 * HOP_SECONDS + FRAME_SECONDS,
    });
    tidy(spans, audio.duration())
}

/// Merges short gaps, drops blips and pads, keeping spans sorted and disjoint.
fn tidy(spans: impl Iterator<Item = SpeechSpan>, duration: f64) -> Vec<SpeechSpan> {
    let mut merged: Vec<SpeechSpan> = Vec::new();
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start - last.end < MIN_GAP => last.end = span.end,
            _ => merged.push(span),
        }
    }
    let mut out: Vec<SpeechSpan> = Vec::new();
    for span in merged.into_iter().filter(|s| s.end - s.start >= MIN_SPAN) {
        let padded = SpeechSpan { start: (span.start - PAD).max(0.0), end: (span.end + PAD).min(duration) };
        match out.last_mut() {
            Some(last) if padded.start <= last.end => last.end = padded.end,
            _ => out.push(padded),
        }
    }
    out
}

/// Energy (dB re full scale, mean square) of each 20 ms frame, one every 10 ms, after a
/// 100 Hz high-pass. Streams over the samples so a two-hour take needs no filtered copy.
fn frame_energies_db(samples: &[f32]) -> Vec<f32> {
    let mut filter = HighPass::new(100.0);
    let blocks: Vec<f64> = samples
        .chunks_exact(BLOCK)
        .map(|block| {
            block
                .iter()
                .map(|&x| {
                    let y = filter.process(f64::from(x));
                    y * y
                })
                .sum::<f64>()
        })
        .collect();
    blocks
        .windows(BLOCKS_PER_FRAME)
        .map(|w| {
            let mean_square = w.iter().sum::<f64>() / (BLOCK * BLOCKS_PER_FRAME) as f64;
            (10.0 * (mean_square + 1e-12).log10()) as f32
        })
        .collect()
}

/// The noise floor and speech level around each frame (see the constants for why).
fn local_levels(energies: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let n = energies.len();
    // Values at the centre of each step, interpolated in between so thresholds move smoothly.
    let centres: Vec<usize> = (0..n.div_ceil(LEVEL_STEP_FRAMES))
        .map(|k| (k * LEVEL_STEP_FRAMES + LEVEL_STEP_FRAMES / 2).min(n - 1))
        .collect();
    let mut scratch = Vec::with_capacity(2 * LEVEL_RADIUS_FRAMES + 1);
    let at_centres: Vec<(f32, f32)> = centres
        .iter()
        .map(|&c| {
            let lo = c.saturating_sub(LEVEL_RADIUS_FRAMES);
            let hi = (c + LEVEL_RADIUS_FRAMES + 1).min(n);
            scratch.clear();
            scratch.extend_from_slice(&energies[lo..hi]);
            (percentile(&mut scratch, FLOOR_PERCENTILE), percentile(&mut scratch, LEVEL_PERCENTILE))
        })
        .collect();
    let mut floor = Vec::with_capacity(n);
    let mut level = Vec::with_capacity(n);
    for i in 0..n {
        let k = centres.partition_point(|&c| c <= i);
        let (f, l) = if k == 0 {
            at_centres[0]
        } else if k == centres.len() {
            at_centres[k - 1]
        } else {
            let (c0, c1) = (centres[k - 1], centres[k]);
            let t = (i - c0) as f32 / (c1 - c0).max(1) as f32;
            let (a, b) = (at_centres[k - 1], at_centres[k]);
            (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
        };
        floor.push(f);
        level.push(l);
    }
    (floor, level)
}

fn percentile(values: &mut [f32], p: f64) -> f32 {
    let k = ((values.len() - 1) as f64 * p).round() as usize;
    *values.select_nth_unstable_by(k, f32::total_cmp).1
}

/// Second-order Butterworth high-pass (RBJ biquad).
struct HighPass {
    b: [f64; 3],
    a: [f64; 2],
    x: [f64; 2],
    y: [f64; 2],
}

impl HighPass {
    fn new(cutoff: f64) -> Self {
        let w0 = 2.0 * std::f64::consts::PI * cutoff / f64::from(SAMPLE_RATE);
        let alpha = w0.sin() / (2.0 * std::f64::consts::FRAC_1_SQRT_2);
        let cos = w0.cos();
        let a0 = 1.0 + alpha;
        HighPass {
            b: [(1.0 + cos) / 2.0 / a0, -(1.0 + cos) / a0, (1.0 + cos) / 2.0 / a0],
            a: [-2.0 * cos / a0, (1.0 - alpha) / a0],
            x: [0.0; 2],
            y: [0.0; 2],
        }
    }

    fn process(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.b[1] * self.x[0] + self.b[2] * self.x[1]
            - self.a[0] * self.y[0]
            - self.a[1] * self.y[1];
        self.x = [x, self.x[0]];
        self.y = [y, self.y[0]];
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic noise source, so tests do not need a random-number crate.
    fn noise(n: usize, amplitude: f32, seed: u64) -> Vec<f32> {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amplitude
            })
            .collect()
    }

    /// A vowel-like tone (150 Hz with harmonics) between `start` and `end` seconds.
    fn add_voice(samples: &mut [f32], start: f64, end: f64, amplitude: f32) {
        let (a, b) = ((start * 16_000.0) as usize, (end * 16_000.0) as usize);
        for (i, s) in samples[a..b].iter_mut().enumerate() {
            let t = i as f32 / 16_000.0;
            let v: f32 = (1..6).map(|h| (2.0 * std::f32::consts::PI * 150.0 * h as f32 * t).sin() / h as f32).sum();
            *s += amplitude * v / 2.0;
        }
    }

    #[test]
    fn silence_and_steady_noise_have_no_speech() {
        assert!(voice_activity(&Audio { samples: vec![0.0; 48_000] }).is_empty());
        assert!(voice_activity(&Audio { samples: noise(48_000, 0.05, 1) }).is_empty());
        assert!(voice_activity(&Audio { samples: noise(48_000, 0.0005, 2) }).is_empty());
        assert!(voice_activity(&Audio { samples: vec![] }).is_empty());
        assert!(voice_activity(&Audio { samples: vec![0.3; 100] }).is_empty());
    }

    #[test]
    fn finds_bursts_in_silence_and_in_noise() {
        for (noise_amp, voice_amp) in [(0.0, 0.3), (0.02, 0.3), (0.05, 0.15)] {
            let mut s = noise(6 * 16_000, noise_amp, 3);
            add_voice(&mut s, 1.0, 2.0, voice_amp);
            add_voice(&mut s, 3.0, 3.5, voice_amp);
            add_voice(&mut s, 3.6, 4.5, voice_amp); // a 0.1 s gap: same phrase
            let spans = voice_activity(&Audio { samples: s });
            assert_eq!(spans.len(), 2, "noise {noise_amp}: {spans:?}");
            assert!((spans[0].start - 1.0).abs() < 0.06, "{spans:?}");
            assert!((spans[0].end - 2.0).abs() < 0.06, "{spans:?}");
            assert!((spans[1].start - 3.0).abs() < 0.06, "{spans:?}");
            assert!((spans[1].end - 4.5).abs() < 0.06, "{spans:?}");
        }
    }

    #[test]
    fn drops_clicks_and_hum() {
        let mut s = vec![0.0f32; 4 * 16_000];
        // Mains hum at 50 Hz, loud, everywhere.
        for (i, v) in s.iter_mut().enumerate() {
            *v = 0.2 * (2.0 * std::f32::consts::PI * 50.0 * i as f32 / 16_000.0).sin();
        }
        // A 5 ms click.
        for v in &mut s[16_000..16_080] {
            *v += 0.8;
        }
        add_voice(&mut s, 2.0, 3.0, 0.2);
        let spans = voice_activity(&Audio { samples: s });
        assert_eq!(spans.len(), 1, "{spans:?}");
        assert!((spans[0].start - 2.0).abs() < 0.06, "{spans:?}");
    }

    #[test]
    fn spans_are_ordered_disjoint_and_in_bounds() {
        let mut s = noise(10 * 16_000, 0.01, 4);
        for k in 0..20 {
            let t = 0.02 + k as f64 * 0.5;
            add_voice(&mut s, t, t + 0.1 + 0.01 * k as f64, 0.3);
        }
        let audio = Audio { samples: s };
        let spans = voice_activity(&audio);
        assert!(!spans.is_empty());
        for w in spans.windows(2) {
            assert!(w[0].end < w[1].start, "{spans:?}");
        }
        for s in &spans {
            assert!(s.start >= 0.0 && s.end <= audio.duration() && s.start < s.end);
        }
    }
}
