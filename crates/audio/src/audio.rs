//! The one representation of sound that the rest of Encore works with.
//!
//! Every take, whatever its file format, channel count or sample rate, becomes mono `f32` at
//! 16 kHz: that is what speech models expect, it is plenty for speech (which carries little
//! above 8 kHz), and having a single form means no other crate ever has to think about formats.

use crate::resample::resample_all;

/// The sample rate of every [`Audio`], in Hz.
pub const SAMPLE_RATE: u32 = 16_000;

/// How long `samples` samples at [`SAMPLE_RATE`] last, in seconds.
pub fn seconds(samples: usize) -> f64 {
    samples as f64 / f64::from(SAMPLE_RATE)
}

/// How many samples at [`SAMPLE_RATE`] fit in `seconds` (rounded down; none for a negative or
/// not-a-number length).
pub fn samples_in(seconds: f64) -> usize {
    (seconds * f64::from(SAMPLE_RATE)) as usize
}

/// A take's sound: mono f32 samples at 16 kHz, in [-1, 1].
#[derive(Debug, Clone)]
pub struct Audio {
    pub samples: Vec<f32>,
}

impl Audio {
    /// Length in seconds.
    pub fn duration(&self) -> f64 {
        seconds(self.samples.len())
    }

    /// Mono 16-bit PCM (as a browser's recorder sends it), resampled to 16 kHz if needed.
    ///
    /// A `sample_rate` of 0 cannot describe real audio; it is taken to mean 16 kHz rather than
    /// failing, since the samples themselves are still usable.
    pub fn from_pcm16(samples: &[i16], sample_rate: u32) -> Audio {
        let floats = samples.iter().map(|&s| f32::from(s) / 32_768.0).collect();
        Audio::from_samples(floats, sample_rate)
    }

    /// Mono f32 samples, resampled to 16 kHz if needed and clamped to [-1, 1].
    ///
    /// A `sample_rate` of 0 is taken to mean 16 kHz (see [`Audio::from_pcm16`]).
    pub fn from_samples(samples: Vec<f32>, sample_rate: u32) -> Audio {
        let mut samples = if sample_rate == SAMPLE_RATE || sample_rate == 0 {
            samples
        } else {
            resample_all(&samples, sample_rate).unwrap_or_else(|_| linear_resample(&samples, sample_rate))
        };
        clamp_in_place(&mut samples);
        Audio { samples }
    }

    /// The samples between `start` and `end` seconds, clamped to the audio; empty if the range
    /// is empty, reversed or not a number.
    pub fn slice(&self, start: f64, end: f64) -> &[f32] {
        let len = self.samples.len();
        let index = |t: f64| -> usize {
            if t.is_nan() || t <= 0.0 { 0 } else { ((t * f64::from(SAMPLE_RATE)).round() as usize).min(len) }
        };
        let (a, b) = (index(start), index(end));
        if a >= b || end.is_nan() { &[] } else { &self.samples[a..b] }
    }
}

/// Resamplers overshoot a little around full-scale transients and decoders can emit values just
/// past ±1; downstream code is promised [-1, 1], and NaN would poison every energy sum.
pub(crate) fn clamp_in_place(samples: &mut [f32]) {
    for s in samples {
        *s = if s.is_nan() { 0.0 } else { s.clamp(-1.0, 1.0) };
    }
}

/// Last-resort conversion if the proper resampler cannot be built; it exists so that the
/// infallible constructors never panic, not for quality.
fn linear_resample(samples: &[f32], rate_in: u32) -> Vec<f32> {
    let ratio = f64::from(rate_in) / f64::from(SAMPLE_RATE);
    let n = (samples.len() as f64 / ratio).ceil() as usize;
    (0..n)
        .map(|i| {
            let pos = i as f64 * ratio;
            let j = pos.floor() as usize;
            let frac = (pos - j as f64) as f32;
            let a = samples.get(j).copied().unwrap_or(0.0);
            let b = samples.get(j + 1).copied().unwrap_or(a);
            a + (b - a) * frac
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_and_slice() {
        let audio = Audio { samples: (0..32_000).map(|i| i as f32 / 32_000.0).collect() };
        assert_eq!(audio.duration(), 2.0);
        assert_eq!(audio.slice(0.5, 1.0).len(), 8_000);
        assert_eq!(audio.slice(0.5, 1.0)[0], 8_000.0 / 32_000.0);
        assert_eq!(audio.slice(-3.0, 0.25).len(), 4_000);
        assert_eq!(audio.slice(1.5, 99.0).len(), 8_000);
        assert!(audio.slice(1.0, 0.5).is_empty());
        assert!(audio.slice(5.0, 6.0).is_empty());
        assert!(audio.slice(f64::NAN, 1.0).len() == 16_000);
        assert!(audio.slice(0.0, f64::NAN).is_empty());
    }

    #[test]
    fn pcm16_is_scaled_and_resampled() {
        let a = Audio::from_pcm16(&[i16::MIN, 0, 16_384, i16::MAX], 16_000);
        assert_eq!(a.samples, vec![-1.0, 0.0, 0.5, 32_767.0 / 32_768.0]);
        let b = Audio::from_pcm16(&vec![1_000; 48_000], 48_000);
        assert_eq!(b.samples.len(), 16_000);
        let mid = b.samples[8_000];
        assert!((mid - 1_000.0 / 32_768.0).abs() < 1e-3, "{mid}");
    }

    #[test]
    fn from_samples_clamps_and_cleans() {
        let a = Audio::from_samples(vec![2.0, -3.0, f32::NAN, 0.25], 16_000);
        assert_eq!(a.samples, vec![1.0, -1.0, 0.0, 0.25]);
        let b = Audio::from_samples(vec![0.1; 10], 0);
        assert_eq!(b.samples.len(), 10);
    }

    #[test]
    fn linear_fallback_has_the_right_length() {
        assert_eq!(linear_resample(&[0.0; 44_100], 44_100).len(), 16_000);
        assert_eq!(linear_resample(&[0.5; 8_000], 8_000)[31_999 / 2], 0.5);
    }
}
