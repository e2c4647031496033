//! The voice's loudness every frame, K-weighted as in ITU-R BS.1770 (the weighting behind LUFS):
//! a shelf that lifts what is above 1.5 kHz by 4 dB, the way the head does, and a high-pass that
//! ignores rumble under 40 Hz. It follows how loud speech is heard better than plain energy,
//! and unlike A-weighting it is meant for listening levels of programme material, not for
//! faint sounds. Values are dB relative to full scale (a full-scale sine is about -3 dB).

use encore_audio::SAMPLE_RATE;
use encore_take::Contour;

/// The span each frame's energy is averaged over, centred on the frame.
const WINDOW_SECONDS: f64 = 0.04;

/// Loudness of `samples` (Encore's mono 16 kHz) for `frames` frames `hop` seconds apart.
pub(crate) fn loudness(samples: &[f32], hop: f64, frames: usize) -> Vec<f32> {
    let rate = SAMPLE_RATE;
    let weighted = k_weighted(samples, f64::from(rate));
    // Running sums of squares make every frame's mean one subtraction, whatever the window.
    let mut sums = Vec::with_capacity(weighted.len() + 1);
    sums.push(0.0f64);
    let mut total = 0.0f64;
    for s in &weighted {
        total += s * s;
        sums.push(total);
    }
    let half = (WINDOW_SECONDS * rate as f64 / 2.0).round() as isize;
    (0..frames)
        .map(|i| {
            let centre = (i as f64 * hop * rate as f64).round() as isize;
            let from = (centre - half).clamp(0, weighted.len() as isize) as usize;
            let to = (centre + half).clamp(0, weighted.len() as isize) as usize;
            if to <= from {
                return Contour::FLOOR_DB;
            }
            let mean_square = (sums[to] - sums[from]) / (to - from) as f64;
            decibels(mean_square)
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

/// The two K-weighting filters, designed for `rate` from their analogue prototypes (the
/// standard gives coefficients for 48 kHz only).
fn k_weighted(samples: &[f32], rate: f64) -> Vec<f64> {
    let shelf = Biquad::high_shelf(1_681.974_450_955_533, 3.999_843_853_973_347, 0.707_175_236_955_419_6, rate);
    let high_pass = Biquad::high_pass(38.135_470_876_024_44, 0.500_327_037_323_877_3, rate);
    let once = shelf.filter(samples.iter().map(|&s| s as f64));
    high_pass.filter(once.into_iter()).into_iter().collect()
}

/// A second-order filter, normalised so that `a0` is 1.
struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
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
        }
    }

    fn filter(&self, input: impl Iterator<Item = f64>) -> Vec<f64> {
        let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
        input
            .map(|x| {
                let y = self.b[0] * x + self.b[1] * x1 + self.b[2] * x2 - self.a[0] * y1 - self.a[1] * y2;
                (x2, x1, y2, y1) = (x1, x, y1, y);
                y
            })
            .collect()
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
