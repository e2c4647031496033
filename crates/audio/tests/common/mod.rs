//! Helpers shared by the integration tests: fixture paths, a tiny WAV writer (so bad and
//! synthetic inputs are made in the test rather than committed), and envelope comparison.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

use encore_audio::{Audio, SAMPLE_RATE};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn no_progress() -> impl FnMut(f64) {
    |_| {}
}

/// A canonical 44-byte WAV header for 16-bit PCM.
pub fn wav_header(channels: u16, rate: u32, data_bytes: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(44);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(36 + data_bytes).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&channels.to_le_bytes());
    h.extend_from_slice(&rate.to_le_bytes());
    h.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    h.extend_from_slice(&(channels * 2).to_le_bytes());
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_bytes.to_le_bytes());
    h
}

/// A complete 16-bit WAV from interleaved samples in [-1, 1].
pub fn wav_bytes(channels: u16, rate: u32, interleaved: &[f32]) -> Vec<u8> {
    let mut out = wav_header(channels, rate, (interleaved.len() * 2) as u32);
    for &s in interleaved {
        out.write_all(&((s.clamp(-1.0, 1.0) * 32_767.0).round() as i16).to_le_bytes()).unwrap();
    }
    out
}

/// Deterministic noise in [-amplitude, amplitude].
pub fn noise(n: usize, amplitude: f32, seed: u64) -> Vec<f32> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amplitude
        })
        .collect()
}

pub fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 56) as u8
        })
        .collect()
}

/// RMS in 20 ms windows.
pub fn envelope(samples: &[f32]) -> Vec<f64> {
    samples
        .chunks(SAMPLE_RATE as usize / 50)
        .map(|w| (w.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / w.len() as f64).sqrt())
        .collect()
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let ma = a.iter().sum::<f64>() / n as f64;
    let mb = b.iter().sum::<f64>() / n as f64;
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// Best envelope correlation of `audio` with `reference` over lags of up to ±100 ms, and the
/// lag (in seconds, positive when `audio` is late) where it is reached. Sample-level comparison
/// would fail for lossy codecs; the envelope shows whether it is the same speech, in place.
pub fn envelope_match(audio: &Audio, reference: &Audio) -> (f64, f64) {
    let per_lag = SAMPLE_RATE as usize / 1000; // 1 ms steps
    let mut best = (f64::MIN, 0.0);
    for lag_ms in -100i64..=100 {
        let shift = lag_ms.unsigned_abs() as usize * per_lag;
        let (a, r) = if lag_ms >= 0 {
            (audio.samples.get(shift..).unwrap_or(&[]), &reference.samples[..])
        } else {
            (&audio.samples[..], reference.samples.get(shift..).unwrap_or(&[]))
        };
        let c = pearson(&envelope(a), &envelope(r));
        if c > best.0 {
            best = (c, lag_ms as f64 / 1000.0);
        }
    }
    best
}
