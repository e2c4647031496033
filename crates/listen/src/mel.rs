//! The log-mel spectrogram Whisper was trained on.
//!
//! It must match the training features exactly (400-sample Hann window, 160-sample hop,
//! Slaney mel filters, log10 clamped to 8 below the peak), or the model hears a slightly
//! different voice and makes more mistakes. The filters are computed here, not shipped.

use std::sync::Arc;

use rayon::prelude::*;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::whisper::{FRAMES_PER_WINDOW, HOP, STFT_WINDOW as WINDOW};

/// The log-mel spectrogram of a take, computed window by window as decoding asks for it.
///
/// Only the peak is computed up front (it sets the floor of every frame): holding the whole
/// spectrogram would cost 230 MB for a 2-hour take, more than the model.
pub struct Spectrogram<'a> {
    samples: &'a [f32],
    /// Samples including the silence padded after the take.
    total: usize,
    pub bands: usize,
    pub frames: usize,
    filters: Vec<f32>,
    /// The frequency bins each band's filter weighs, from its first non-zero weight to its
    /// last: a band reads a few bins of 201, and summing only those gives the same sum (the
    /// rest add zeros), a tenth of the spectrogram's time saved.
    spans: Vec<std::ops::Range<usize>>,
    fft: Arc<dyn Fft<f32>>,
    hann: Vec<f32>,
    peak: f32,
}

impl<'a> Spectrogram<'a> {
    /// The spectrogram of `samples` (16 kHz) followed by `padding` samples of silence, as
    /// Whisper's reference computes it so that the last window sees silence, not noise.
    pub fn new(samples: &'a [f32], padding: usize, bands: usize) -> Spectrogram<'a> {
        Spectrogram::continuing(samples, padding, bands, &mut SettledPeak::default())
    }

    /// [`Spectrogram::new`] for a take still being recorded, of which `settled` holds the peak
    /// of the frames that an earlier, shorter spectrogram could already not change: only the
    /// frames after those are read for the peak, and `settled` takes in the ones this take
    /// has settled since. The result is the same as `new` on the same samples.
    pub fn continuing(samples: &'a [f32], padding: usize, bands: usize, settled: &mut SettledPeak) -> Spectrogram<'a> {
        let total = samples.len() + padding;
        let filters = mel_filters(bands);
        let spans = filters
            .chunks_exact(WINDOW / 2 + 1)
            .map(|row| {
                let first = row.iter().position(|&w| w != 0.0).unwrap_or(0);
                let last = row.iter().rposition(|&w| w != 0.0).map_or(first, |last| last + 1);
                first..last
            })
            .collect();
        let mut spectrogram = Spectrogram {
            samples,
            total,
            bands,
            frames: total / HOP,
            filters,
            spans,
            fft: FftPlanner::new().plan_fft_forward(WINDOW),
            hann: (0..WINDOW)
                .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / WINDOW as f32).cos())
                .collect(),
            peak: f32::NEG_INFINITY,
        };
        // Frames past the take hold only the padding's silence, whose energy is the floor.
        let voiced_frames = (samples.len() / HOP + WINDOW / HOP + 1).min(spectrogram.frames);
        // A frame whose STFT window ends inside the samples reads none of the padding or the
        // reflection at the end, so more audio leaves it as it is.
        let settled_frames =
            if samples.len() < WINDOW / 2 { 0 } else { ((samples.len() - WINDOW / 2) / HOP + 1).min(voiced_frames) };
        if settled.frames > settled_frames {
            // Shorter than the take that was settled: another take.
            *settled = SettledPeak::default();
        }
        settled.peak = settled.peak.max(spectrogram.peak_over(settled.frames..settled_frames));
        settled.frames = settled_frames;
        spectrogram.peak = settled.peak.max(spectrogram.peak_over(settled_frames..voiced_frames));
        spectrogram
    }

    /// The loudest band energy in `frames`.
    fn peak_over(&self, frames: std::ops::Range<usize>) -> f32 {
        frames
            .into_par_iter()
            .fold(
                || (vec![0.0; self.bands], Scratch::new(&self.fft), f32::NEG_INFINITY),
                |(mut column, mut scratch, peak), frame| {
                    self.log_energies(frame, &mut column, &mut scratch);
                    let peak = column.iter().copied().fold(peak, f32::max);
                    (column, scratch, peak)
                },
            )
            .map(|(_, _, peak)| peak)
            .reduce(|| f32::NEG_INFINITY, f32::max)
    }

    /// The `FRAMES_PER_WINDOW` frames from `first`, band-major, ready to be the encoder's
    /// input. Frames past `length` are zero, as in the reference, which pads each window that
    /// way.
    pub fn window(&self, first: usize, length: usize) -> Vec<f32> {
        let available = self.frames.saturating_sub(first).min(FRAMES_PER_WINDOW).min(length);
        // Frame-major first (frames are independent, so they are computed in parallel), then
        // turned band-major for the encoder.
        let mut frames = vec![0.0f32; self.bands * available];
        frames.par_chunks_mut(self.bands).enumerate().for_each_init(
            || Scratch::new(&self.fft),
            |scratch, (offset, column)| self.log_energies(first + offset, column, scratch),
        );
        let mut out = vec![0.0; self.bands * FRAMES_PER_WINDOW];
        for (offset, column) in frames.chunks_exact(self.bands).enumerate() {
            for (band, value) in column.iter().enumerate() {
                out[band * FRAMES_PER_WINDOW + offset] = (value.max(self.peak - 8.0) + 4.0) / 4.0;
            }
        }
        out
    }

    /// log10 of each mel band's energy in one frame of the centred, reflect-padded STFT.
    fn log_energies(&self, frame: usize, column: &mut [f32], scratch: &mut Scratch) {
        let half = WINDOW / 2;
        let n = self.total as isize;
        let start = (frame * HOP) as isize - half as isize;
        for (k, slot) in scratch.buffer.iter_mut().enumerate() {
            let mut j = start + k as isize;
            if j < 0 {
                j = -j;
            }
            if j >= n {
                j = 2 * (n - 1) - j;
            }
            let sample = self.samples.get(j as usize).copied().unwrap_or(0.0);
            *slot = Complex::new(sample * self.hann[k], 0.0);
        }
        self.fft.process_with_scratch(&mut scratch.buffer, &mut scratch.fft);
        for (k, p) in scratch.power.iter_mut().enumerate() {
            *p = scratch.buffer[k].norm_sqr();
        }
        for (band, value) in column.iter_mut().enumerate() {
            let row = &self.filters[band * (half + 1)..(band + 1) * (half + 1)];
            let span = self.spans[band].clone();
            let energy: f32 = row[span.clone()].iter().zip(&scratch.power[span]).map(|(w, p)| w * p).sum();
            *value = energy.max(1e-10).log10();
        }
    }
}

/// The peak of a growing take's settled frames (see [`Spectrogram::continuing`]): hearing a
/// take while it is recorded would otherwise read the whole take again for its peak at every
/// window, and at the stop (0.05 s a minute of take).
#[derive(Debug, Clone, Copy)]
pub struct SettledPeak {
    frames: usize,
    peak: f32,
}

impl Default for SettledPeak {
    fn default() -> SettledPeak {
        SettledPeak { frames: 0, peak: f32::NEG_INFINITY }
    }
}

struct Scratch {
    buffer: Vec<Complex<f32>>,
    fft: Vec<Complex<f32>>,
    power: Vec<f32>,
}

impl Scratch {
    fn new(fft: &Arc<dyn Fft<f32>>) -> Scratch {
        Scratch {
            buffer: vec![Complex::new(0.0, 0.0); WINDOW],
            fft: vec![Complex::new(0.0, 0.0); fft.get_inplace_scratch_len()],
            power: vec![0.0; WINDOW / 2 + 1],
        }
    }
}

/// Slaney-style mel filters (librosa's default), `bands × (WINDOW/2 + 1)`.
fn mel_filters(bands: usize) -> Vec<f32> {
    const SAMPLE_RATE: f64 = crate::whisper::SAMPLE_RATE as f64;
    let to_mel = |hz: f64| {
        if hz < 1000.0 { hz * 3.0 / 200.0 } else { 15.0 + (hz / 1000.0).ln() / (6.4f64.ln() / 27.0) }
    };
    let to_hz = |mel: f64| {
        if mel < 15.0 { mel * 200.0 / 3.0 } else { 1000.0 * ((mel - 15.0) * 6.4f64.ln() / 27.0).exp() }
    };
    let bins = WINDOW / 2 + 1;
    let top = to_mel(SAMPLE_RATE / 2.0);
    let edges: Vec<f64> = (0..bands + 2).map(|i| to_hz(top * i as f64 / (bands + 1) as f64)).collect();
    let mut filters = vec![0.0f32; bands * bins];
    for band in 0..bands {
        let (low, centre, high) = (edges[band], edges[band + 1], edges[band + 2]);
        let area = 2.0 / (high - low);
        for bin in 0..bins {
            let hz = bin as f64 * SAMPLE_RATE / WINDOW as f64;
            let rising = (hz - low) / (centre - low);
            let falling = (high - hz) / (high - centre);
            filters[band * bins + bin] = (rising.min(falling).max(0.0) * area) as f32;
        }
    }
    filters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_lights_the_band_of_its_pitch() {
        let tone: Vec<f32> =
            (0..16_000).map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 16_000.0).sin()).collect();
        let mel = Spectrogram::new(&tone, 0, 80);
        assert_eq!(mel.frames, 100);
        let values = mel.window(0, 100);
        let frame = 50;
        let at = |band: usize| values[band * FRAMES_PER_WINDOW + frame];
        let loudest = (0..80).max_by(|&a, &b| at(a).total_cmp(&at(b))).unwrap();
        // 440 Hz sits near mel band 9 of 80 on the Slaney scale up to 8 kHz.
        assert!((8..=11).contains(&loudest), "loudest band {loudest}");
    }

    #[test]
    fn a_growing_take_has_the_peak_and_frames_of_the_whole() {
        // A voice-like signal whose loudest moment comes late, and audio cut at odd lengths.
        let take: Vec<f32> = (0..80_000)
            .map(|i| {
                let t = i as f32 / 16_000.0;
                (t * 0.7).min(1.5) * (2.0 * std::f32::consts::PI * 220.0 * t).sin() * (1.0 + (t * 3.1).sin()) / 3.0
            })
            .collect();
        let mut settled = SettledPeak::default();
        for length in [150, 16_123, 40_000, 40_001, 63_999, 80_000] {
            let growing = Spectrogram::continuing(&take[..length], 4_800, 80, &mut settled);
            let whole = Spectrogram::new(&take[..length], 4_800, 80);
            assert_eq!(growing.peak, whole.peak, "{length} samples");
            assert_eq!(growing.window(0, 600), whole.window(0, 600));
        }
        // A shorter take after a longer one starts again.
        let again = Spectrogram::continuing(&take[..20_000], 0, 80, &mut settled);
        assert_eq!(again.peak, Spectrogram::new(&take[..20_000], 0, 80).peak);
    }

    /// Each band sums only the bins its filter weighs: the energies must be those of the whole
    /// row of weights, to the bit.
    #[test]
    fn a_band_s_energy_is_its_whole_filter_s() {
        let chirp: Vec<f32> = (0..8_000).map(|i| (i as f32 * (0.01 + i as f32 * 2e-5)).sin() * 0.3).collect();
        let mel = Spectrogram::new(&chirp, 0, 80);
        let mut scratch = Scratch::new(&mel.fft);
        let mut column = vec![0.0; 80];
        for frame in [0, 7, 25, 49] {
            mel.log_energies(frame, &mut column, &mut scratch);
            for (band, row) in mel.filters.chunks_exact(WINDOW / 2 + 1).enumerate() {
                let energy: f32 = row.iter().zip(&scratch.power).map(|(w, p)| w * p).sum();
                assert_eq!(column[band].to_bits(), energy.max(1e-10).log10().to_bits(), "frame {frame}, band {band}");
            }
        }
    }

    #[test]
    fn silence_is_flat_and_bounded() {
        let mel = Spectrogram::new(&[0.0; 3200], 0, 80);
        assert!(mel.window(0, 20).iter().all(|v| v.is_finite()));
    }
}
