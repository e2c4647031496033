//! The log-mel spectrogram Whisper was trained on.
//!
//! It must match the training features exactly (400-sample Hann window, 160-sample hop,
//! Slaney mel filters, log10 clamped to 8 below the peak), or the model hears a slightly
//! different voice and makes more mistakes. The filters are computed here, not shipped.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

pub const WINDOW: usize = 400;
pub const HOP: usize = 160;
/// Mel frames in one 30 s window.
pub const FRAMES_PER_WINDOW: usize = 3000;

/// A log-mel spectrogram stored band by band: `bands × frames`.
#[derive(Debug, Clone)]
pub struct Spectrogram {
    pub bands: usize,
    pub frames: usize,
    pub values: Vec<f32>,
}

impl Spectrogram {
    /// The `FRAMES_PER_WINDOW` frames from `first`, zero-padded past the end, band-major,
    /// ready to be the encoder's input.
    /// Frames past `length` are zero, as in the reference, which pads each window that way.
    pub fn window(&self, first: usize, length: usize) -> Vec<f32> {
        let mut out = vec![0.0; self.bands * FRAMES_PER_WINDOW];
        let available = self.frames.saturating_sub(first).min(FRAMES_PER_WINDOW).min(length);
        for band in 0..self.bands {
            let from = band * self.frames + first;
            out[band * FRAMES_PER_WINDOW..band * FRAMES_PER_WINDOW + available]
                .copy_from_slice(&self.values[from..from + available]);
        }
        out
    }
}

/// Computes the spectrogram of `samples` (16 kHz) followed by `padding` samples of silence,
/// as Whisper's reference does so that the last window sees silence, not noise.
pub fn log_mel(samples: &[f32], padding: usize, bands: usize) -> Spectrogram {
    let filters = mel_filters(bands);
    let total = samples.len() + padding;
    let frames = total / HOP;
    let fft: Arc<dyn Fft<f32>> = FftPlanner::new().plan_fft_forward(WINDOW);
    let hann: Vec<f32> = (0..WINDOW)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / WINDOW as f32).cos())
        .collect();
    let half = WINDOW / 2;
    // Reflect-padded signal value at position `i` of the centred STFT.
    let sample = |i: isize| -> f32 {
        let n = total as isize;
        let mut j = i - half as isize;
        if j < 0 {
            j = -j;
        }
        if j >= n {
            j = 2 * (n - 1) - j;
        }
        samples.get(j as usize).copied().unwrap_or(0.0)
    };
    let mut values = vec![0.0f32; bands * frames];
    let mut buffer = vec![Complex::new(0.0, 0.0); WINDOW];
    let mut scratch = vec![Complex::new(0.0, 0.0); fft.get_inplace_scratch_len()];
    let mut power = vec![0.0f32; half + 1];
    for frame in 0..frames {
        let start = (frame * HOP) as isize;
        for (k, slot) in buffer.iter_mut().enumerate() {
            *slot = Complex::new(sample(start + k as isize) * hann[k], 0.0);
        }
        fft.process_with_scratch(&mut buffer, &mut scratch);
        for (k, p) in power.iter_mut().enumerate() {
            *p = buffer[k].norm_sqr();
        }
        for band in 0..bands {
            let row = &filters[band * (half + 1)..(band + 1) * (half + 1)];
            let energy: f32 = row.iter().zip(&power).map(|(w, p)| w * p).sum();
            values[band * frames + frame] = energy.max(1e-10).log10();
        }
    }
    let peak = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for value in &mut values {
        *value = (value.max(peak - 8.0) + 4.0) / 4.0;
    }
    Spectrogram { bands, frames, values }
}

/// Slaney-style mel filters (librosa's default), `bands × (WINDOW/2 + 1)`.
fn mel_filters(bands: usize) -> Vec<f32> {
    const SAMPLE_RATE: f64 = 16_000.0;
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
        let tone: Vec<f32> = (0..16_000).map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 16_000.0).sin()).collect();
        let mel = log_mel(&tone, 0, 80);
        assert_eq!(mel.frames, 100);
        let frame = 50;
        let loudest = (0..80).max_by(|&a, &b| mel.values[a * 100 + frame].total_cmp(&mel.values[b * 100 + frame])).unwrap();
        // 440 Hz sits near mel band 9 of 80 on the Slaney scale up to 8 kHz.
        assert!((8..=11).contains(&loudest), "loudest band {loudest}");
    }

    #[test]
    fn silence_is_flat_and_bounded() {
        let mel = log_mel(&[0.0; 3200], 0, 80);
        assert!(mel.values.iter().all(|v| v.is_finite()));
    }
}
