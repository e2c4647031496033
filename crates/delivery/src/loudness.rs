//! The voice's loudness every frame, K-weighted as in ITU-R BS.1770 (the weighting behind LUFS):
//! a shelf that lifts what is above 1.5 kHz by 4 dB, the way the head does, and a high-pass that
//! ignores rumble under 40 Hz. It follows how loud speech is heard better than plain energy,
//! and unlike A-weighting it is meant for listening levels of programme material, not for
//! faint sounds. Values are dB relative to full scale (a full-scale sine is about -3 dB).

use encore_audio::SAMPLE_RATE;
use encore_take::Contour;

/// The span each frame's energy is averaged over, centred on the frame.
const WINDOW_SECONDS: f64 = 0.04;
/// The blocks the weighted energy is summed in as it is filtered.
const BLOCK_SECONDS: f64 = 0.01;

/// Loudness of `samples` (Encore's mono 16 kHz) for `frames` frames `hop` seconds apart (`hop`
/// a multiple of 10 ms).
pub(crate) fn loudness(samples: &[f32], hop: f64, frames: usize) -> Vec<f32> {
    // The weighted signal is summed in 10 ms blocks as it is filtered, so that a long take never
    // holds a weighted copy of itself; a frame's window is the blocks around its centre.
    let block = (BLOCK_SECONDS * f64::from(SAMPLE_RATE)) as usize;
    let blocks = k_weighted_blocks(samples, f64::from(SAMPLE_RATE), block);
    let reach = (WINDOW_SECONDS / BLOCK_SECONDS / 2.0).round() as isize;
    let per_frame = (hop / BLOCK_SECONDS).round() as isize;
    (0..frames as isize)
        .map(|i| {
            let from = (i * per_frame - reach).clamp(0, blocks.len() as isize) as usize;
            let to = (i * per_frame + reach).clamp(0, blocks.len() as isize) as usize;
            let counted: usize = (from..to).map(|k| block.min(samples.len().saturating_sub(k * block))).sum();
            if counted == 0 {
                return Contour::FLOOR_DB;
            }
            decibels(blocks[from..to].iter().sum::<f64>() / counted as f64)
        })
        .collect()
}

/// BS.1770's loudness of a mean square, floored at [`Contour::FLOOR_DB`].
fn decibels(mean_square: f64) -> f32 {
    if mean_square <= 0.0 {
        return Contour::FLOOR_DB;
    }
    ((-0.691 + 10.0 * mean_square.log10()) as f32).max(Contour::FLOOR_DB)
}

/// The sums of squares of the K-weighted signal over blocks of `block` samples. The two
/// K-weighting filters are designed for `rate` from their analogue prototypes (the standard gives
/// coefficients for 48 kHz only).
fn k_weighted_blocks(samples: &[f32], rate: f64, block: usize) -> Vec<f64> {
    let mut shelf = Biquad::high_shelf(1_681.974_450_955_533, 3.999_843_853_973_347, 0.707_175_236_955_419_6, rate);
    let mut high_pass = Biquad::high_pass(38.135_470_876_024_44, 0.500_327_037_323_877_3, rate);
    samples
        .chunks(block)
        .map(|chunk| {
            chunk
                .iter()
                .map(|&s| {
                    let weighted = high_pass.next(shelf.next(f64::from(s)));
                    weighted * weighted
                })
                .sum()
        })
        .collect()
}

/// A second-order filter, normalised so that `a0` is 1.
struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
    /// The last two inputs and outputs.
    state: [f64; 4],
}

impl Biquad {
    fn high_shelf(centre: f64, gain_db: f64, q: f64, rate: f64) -> Biquad {
        let a = 10f64.powf(gain_db / 40.0);
        let w0 = 2.0 * std::f64::consts::PI * centre / rate;
        let (sin, cos) = w0.sin_cos();
        let alpha = sin / (2.0 * q);
        let root = 2.0 * a.sqrt() * alpha;
        let a0 = (a + 1.0) - (a - 1.0) * cos + root;
        Biquad {
            b: [
                a * ((a + 1.0) + (a - 1.0) * cos + root) / a0,
                -2.0 * a * ((a - 1.0) + (a + 1.0) * cos) / a0,
                a * ((a + 1.0) + (a - 1.0) * cos - root) / a0,
            ],
            a: [2.0 * ((a - 1.0) - (a + 1.0) * cos) / a0, ((a + 1.0) - (a - 1.0) * cos - root) / a0],
            state: [0.0; 4],
        }
    }

    fn high_pass(centre: f64, q: f64, rate: f64) -> Biquad {
        let w0 = 2.0 * std::f64::consts::PI * centre / rate;
        let (sin, cos) = w0.sin_cos();
        let alpha = sin / (2.0 * q);
        let a0 = 1.0 + alpha;
        Biquad {
            b: [(1.0 + cos) / 2.0 / a0, -(1.0 + cos) / a0, (1.0 + cos) / 2.0 / a0],
            a: [-2.0 * cos / a0, (1.0 - alpha) / a0],
            state: [0.0; 4],
        }
    }

    /// The next output for input `x`.
    fn next(&mut self, x: f64) -> f64 {
        let [x1, x2, y1, y2] = self.state;
        let y = self.b[0] * x + self.b[1] * x1 + self.b[2] * x2 - self.a[0] * y1 - self.a[1] * y2;
        self.state = [x, x1, y, y1];
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(hz: f64, amplitude: f32) -> Vec<f32> {
        (0..16_000).map(|i| amplitude * (2.0 * std::f64::consts::PI * hz * i as f64 / 16_000.0).sin() as f32).collect()
    }

    #[test]
    fn a_full_scale_sine_at_one_kilohertz_measures_as_the_standard_says() {
        // BS.1770: a 0 dBFS 997 Hz sine reads -3.01 LKFS. At 16 kHz the shelf is designed nearer
        // the Nyquist frequency than at 48 kHz, which costs about a quarter of a decibel here.
        let level = loudness(&sine(997.0, 1.0), 0.01, 101)[50];
        assert!((level + 3.01).abs() < 0.35, "{level}");
    }

    #[test]
    fn twelve_decibels_down_reads_twelve_decibels_quieter() {
        let loud = loudness(&sine(440.0, 0.5), 0.01, 101)[50];
        let quiet = loudness(&sine(440.0, 0.5 * 10f32.powf(-12.0 / 20.0)), 0.01, 101)[50];
        assert!((loud - quiet - 12.0).abs() < 0.05, "{loud} {quiet}");
    }

    #[test]
    fn rumble_counts_for_less_than_voice_and_silence_is_the_floor() {
        let rumble = loudness(&sine(25.0, 0.5), 0.01, 101)[50];
        let voice = loudness(&sine(300.0, 0.5), 0.01, 101)[50];
        assert!(voice - rumble > 3.0, "{voice} {rumble}");
        assert_eq!(loudness(&vec![0.0; 1600], 0.01, 11)[5], Contour::FLOOR_DB);
    }
}
