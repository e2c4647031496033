//! Streaming conversion of mono audio to 16 kHz.
//!
//! Everything downstream (voice activity, the speech model, word timing) assumes one rate, so
//! every source rate is converted here, once. It works chunk by chunk because a two-hour take at
//! 44.1 kHz must not be held at its source rate: only the 16 kHz result is kept whole. It also
//! removes the resampler's start-up delay and pads the end, so that sample `n` of the output is
//! exactly time `n / 16000` of the input; word times would otherwise drift by a few
//! milliseconds per format.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, Indexing, ResampleError, Resampler, ResamplerConstructionError,
    SincInterpolationParameters, WindowFunction,
};

use crate::audio::SAMPLE_RATE;

/// Input frames per resampler call: large enough to amortise the FFTs, small enough that the
/// buffers stay in cache.
const CHUNK: usize = 4096;

/// Above this many input frames in the smallest exact FFT block (the reduced rate ratio), the
/// FFT resampler would need huge blocks for odd rates such as 44 101 Hz; the sinc resampler
/// handles any ratio at a fixed cost.
const MAX_FFT_BLOCK: usize = 2048;

/// Converts a stream of mono samples at one rate into 16 kHz, appending to a caller's buffer.
pub(crate) struct StreamResampler {
    /// `None` when the input is already at 16 kHz: samples pass through untouched.
    inner: Option<Box<dyn Resampler<f32>>>,
    ratio: f64,
    /// Input not yet consumed because it does not fill a whole chunk.
    pending: Vec<f32>,
    /// Scratch output for one chunk.
    chunk_out: Vec<f32>,
    /// Output frames still to drop: the resampler's start-up delay.
    to_trim: usize,
    total_in: u64,
    total_out: u64,
}

impl StreamResampler {
    pub(crate) fn new(rate_in: u32) -> Result<Self, ResamplerConstructionError> {
        let ratio = f64::from(SAMPLE_RATE) / f64::from(rate_in);
        let inner: Option<Box<dyn Resampler<f32>>> = if rate_in == SAMPLE_RATE {
            None
        } else if (rate_in / gcd(rate_in, SAMPLE_RATE)) as usize <= MAX_FFT_BLOCK {
            // Fixed ratio: the FFT resampler is both the fastest and the cleanest.
            Some(Box::new(Fft::<f32>::new(rate_in as usize, SAMPLE_RATE as usize, CHUNK, 1, FixedSync::Input)?))
        } else {
            let params = SincInterpolationParameters::new(128, WindowFunction::BlackmanHarris2);
            Some(Box::new(Async::<f32>::new_sinc(ratio, 1.0, &params, CHUNK, 1, FixedAsync::Input)?))
        };
        let (to_trim, chunk_out) = match &inner {
            Some(r) => (r.output_delay(), vec![0.0; r.output_frames_max()]),
            None => (0, Vec::new()),
        };
        Ok(StreamResampler {
            inner,
            ratio,
            pending: Vec::with_capacity(2 * CHUNK),
            chunk_out,
            to_trim,
            total_in: 0,
            total_out: 0,
        })
    }

    /// Feeds more input; whatever output is ready is appended to `out`.
    pub(crate) fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), ResampleError> {
        self.total_in += input.len() as u64;
        let Some(r) = self.inner.as_mut() else {
            out.extend_from_slice(input);
            self.total_out += input.len() as u64;
            return Ok(());
        };
        self.pending.extend_from_slice(input);
        let mut start = 0;
        loop {
            let need = r.input_frames_next();
            if self.pending.len() - start < need {
                break;
            }
            let inp = InterleavedSlice::new(&self.pending[start..start + need], 1, need)
                .expect("slice length matches frame count");
            let cap = self.chunk_out.len();
            let mut outp =
                InterleavedSlice::new_mut(&mut self.chunk_out[..], 1, cap).expect("slice length matches frame count");
            let (used, made) = r.process_into_buffer(&inp, &mut outp, None)?;
            start += used;
            emit(&self.chunk_out[..made], &mut self.to_trim, &mut self.total_out, out);
        }
        self.pending.drain(..start);
        Ok(())
    }

    /// Flushes the tail. Afterwards `out` holds exactly `ceil(input_len * 16000 / rate_in)`
    /// samples from this resampler, aligned with the input.
    pub(crate) fn finish(mut self, out: &mut Vec<f32>) -> Result<(), ResampleError> {
        let Some(mut r) = self.inner.take() else {
            return Ok(());
        };
        let expected = (self.total_in as f64 * self.ratio).ceil() as u64;
        // The last partial chunk, then silence, until the delayed output has all come out.
        let mut partial = self.pending.len();
        let mut guard = 0;
        while self.total_out < expected && guard < 1000 {
            guard += 1;
            let need = r.input_frames_next();
            self.pending.resize(need.max(partial), 0.0);
            let inp = InterleavedSlice::new(&self.pending[..need], 1, need).expect("slice length matches frame count");
            let cap = self.chunk_out.len();
            let mut outp =
                InterleavedSlice::new_mut(&mut self.chunk_out[..], 1, cap).expect("slice length matches frame count");
            let indexing = Indexing::new().partial_len(partial.min(need));
            let (_, made) = r.process_into_buffer(&inp, &mut outp, Some(&indexing))?;
            emit(&self.chunk_out[..made], &mut self.to_trim, &mut self.total_out, out);
            self.pending.clear();
            partial = 0;
        }
        if self.total_out > expected {
            let extra = (self.total_out - expected) as usize;
            out.truncate(out.len().saturating_sub(extra));
        }
        Ok(())
    }
}

/// Appends a chunk of resampler output, first dropping what remains of the start-up delay.
fn emit(chunk: &[f32], to_trim: &mut usize, total_out: &mut u64, out: &mut Vec<f32>) {
    let skip = (*to_trim).min(chunk.len());
    *to_trim -= skip;
    out.extend_from_slice(&chunk[skip..]);
    *total_out += (chunk.len() - skip) as u64;
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Resamples a whole clip in memory (for audio that arrives already decoded). Fails only for
/// a nonsensical rate.
pub(crate) fn resample_all(samples: &[f32], rate_in: u32) -> Result<Vec<f32>, String> {
    let mut r = StreamResampler::new(rate_in).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity((samples.len() as f64 * r.ratio) as usize + 16);
    // Feed it in pieces: one huge push would make a second copy of the whole clip in `pending`.
    for piece in samples.chunks(1 << 16) {
        r.push(piece, &mut out).map_err(|e| e.to_string())?;
    }
    r.finish(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, secs: f64) -> Vec<f32> {
        let n = (secs * f64::from(rate)) as usize;
        (0..n).map(|i| (0.5 * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin()) as f32).collect()
    }

    /// Phase and amplitude of `freq` in `x`, by correlation with sine and cosine.
    fn phase_amp(x: &[f32], freq: f64) -> (f64, f64) {
        let (mut s, mut c) = (0.0, 0.0);
        for (i, &v) in x.iter().enumerate() {
            let w = 2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(SAMPLE_RATE);
            s += f64::from(v) * w.sin();
            c += f64::from(v) * w.cos();
        }
        let n = x.len() as f64;
        (c.atan2(s), 2.0 * (s * s + c * c).sqrt() / n)
    }

    #[test]
    fn common_rates_give_exact_length_and_no_delay() {
        for rate in [8_000, 11_025, 16_000, 22_050, 32_000, 44_100, 48_000, 96_000, 44_101] {
            let input = sine(440.0, rate, 1.0);
            let out = resample_all(&input, rate).unwrap();
            let expected = (input.len() as f64 * 16_000.0 / f64::from(rate)).ceil() as usize;
            assert_eq!(out.len(), expected, "rate {rate}");
            // The middle of the output must be the same sine, in phase: no start-up delay left.
            let mid = &out[4_000..12_000];
            let (phase, amp) = phase_amp(mid, 440.0);
            let want = 2.0 * std::f64::consts::PI * 440.0 * 4_000.0 / 16_000.0;
            let diff = (phase - want).rem_euclid(2.0 * std::f64::consts::PI);
            let diff = diff.min(2.0 * std::f64::consts::PI - diff);
            // Rubato reports its delay in whole output frames, so a sub-sample offset remains;
            // a tenth of a millisecond is far below anything word timing can notice.
            let seconds_off = diff / (2.0 * std::f64::consts::PI * 440.0);
            assert!(seconds_off < 1e-4, "rate {rate}: off by {seconds_off} s");
            assert!((amp - 0.5).abs() < 0.01, "rate {rate}: amplitude {amp}");
        }
    }

    #[test]
    fn removes_content_above_new_nyquist() {
        let input = sine(12_000.0, 48_000, 1.0);
        let out = resample_all(&input, 48_000).unwrap();
        let rms = (out.iter().map(|v| v * v).sum::<f32>() / out.len() as f32).sqrt();
        assert!(rms < 0.01, "12 kHz tone leaked through: rms {rms}");
    }

    #[test]
    fn streaming_in_odd_pieces_matches_one_go() {
        let input = sine(300.0, 44_100, 2.0);
        let whole = resample_all(&input, 44_100).unwrap();
        let mut r = StreamResampler::new(44_100).unwrap();
        let mut out = Vec::new();
        for piece in input.chunks(777) {
            r.push(piece, &mut out).unwrap();
        }
        r.finish(&mut out).unwrap();
        assert_eq!(out.len(), whole.len());
        let max_diff = out.iter().zip(&whole).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(max_diff < 1e-4, "{max_diff}");
    }

    #[test]
    fn tiny_and_empty_inputs() {
        assert!(resample_all(&[], 44_100).unwrap().is_empty());
        assert_eq!(resample_all(&[0.1; 3], 44_100).unwrap().len(), 2);
    }
}
