//! The voice's fundamental frequency, frame by frame, with a voicing decision. Autocorrelation
//! with candidates and a best path, after Boersma (1993), the method behind Praat's default
//! pitch tracker: each frame offers the lags where the signal best resembles itself (and "not
//! voiced"), and a path through the frames that pays for octave jumps and for switching voicing
//! picks one. The path is what keeps a creaky or breathy frame from reporting half or double the
//! pitch, the error simple trackers make.
//!
//! The search runs on the take resampled to 8 kHz: the voice's pitch lies under 600 Hz, and
//! half the samples make the autocorrelation four times cheaper.

use encore_audio::{SAMPLE_RATE, seconds};

/// The lowest pitch looked for; also sets the window, three of its periods.
const FLOOR_HZ: f64 = 75.0;
/// The highest pitch looked for.
const CEILING_HZ: f64 = 600.0;
/// The rate the search runs at.
const RATE: f64 = 8_000.0;
/// Frames whose candidates are found from one stretch of resampled signal (30 s at 10 ms).
const FRAMES_PER_STRETCH: usize = 3_000;
/// The most candidates a frame offers, "not voiced" among them.
const CANDIDATES: usize = 15;
/// A frame quieter than this share of the take's peak is silence.
const SILENCE_THRESHOLD: f64 = 0.03;
/// How strong a frame's self-resemblance must be to call it voiced.
const VOICING_THRESHOLD: f64 = 0.45;
/// Favours higher candidates a little (per octave under the ceiling), so that a period and its
/// double do not tie.
const OCTAVE_COST: f64 = 0.01;
/// What the path pays per octave of jump between voiced frames (at a 10 ms hop).
const OCTAVE_JUMP_COST: f64 = 0.35;
/// What the path pays to switch between voiced and not voiced (at a 10 ms hop).
const VOICED_UNVOICED_COST: f64 = 0.14;

/// One frame's offer: a pitch (`None` for "not voiced") and how strongly the frame supports it.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    hz: Option<f64>,
    strength: f64,
    /// log2 of `hz`, kept so that the path's octave-jump costs are a subtraction.
    octave: f64,
}

/// The pitch of `samples` (Encore's mono 16 kHz) every `hop` seconds, frame `i` centred on
/// `i * hop`; `None` where the frame is not voiced.
pub(crate) fn track(samples: &[f32], hop: f64) -> Vec<Option<f32>> {
    let frames = frame_count(samples.len(), hop);
    let peak = samples.iter().fold(0.0f32, |m, &s| m.max(s.abs())) as f64;
    if frames == 0 || peak == 0.0 {
        return vec![None; frames];
    }
    let window = Window::new();
    let centre = |frame: usize| (frame as f64 * hop * RATE).round() as isize;
    let reach = (window.shape.len() / 2 + 1) as isize;
    // The take is resampled a stretch at a time, so that a long take never holds a second copy
    // of itself.
    let mut candidates: Vec<Vec<Candidate>> = Vec::with_capacity(frames);
    let mut first = 0;
    while first < frames {
        let last = (first + FRAMES_PER_STRETCH).min(frames);
        let from = centre(first) - reach;
        let stretch = to_search_rate(samples, from, centre(last - 1) + reach);
        candidates.extend((first..last).map(|i| window.candidates(&stretch, centre(i) - from, peak)));
        first = last;
    }
    best_path(&candidates, hop).into_iter().map(|hz| hz.map(|hz| hz as f32)).collect()
}

/// Frames centred on `0, hop, 2 hop, …` up to the end of the audio.
pub(crate) fn frame_count(samples: usize, hop: f64) -> usize {
    if samples == 0 {
        return 0;
    }
    let duration = seconds(samples);
    (duration / hop).floor() as usize + 1
}

/// The Hann window of three floor periods, its own normalised autocorrelation (to divide out of
/// each frame's), and the lags searched.
struct Window {
    shape: Vec<f64>,
    self_correlation: Vec<f64>,
    shortest_lag: usize,
    longest_lag: usize,
}

impl Window {
    fn new() -> Window {
        let length = (3.0 / FLOOR_HZ * RATE).round() as usize;
        let shape: Vec<f64> = (0..length)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * (i as f64 + 0.5) / length as f64).cos())
            .collect();
        let longest_lag = (RATE / FLOOR_HZ).ceil() as usize + 1;
        let zero: f64 = shape.iter().map(|w| w * w).sum();
        let self_correlation = (0..=longest_lag)
            .map(|lag| shape.iter().zip(&shape[lag..]).map(|(a, b)| a * b).sum::<f64>() / zero)
            .collect();
        let shortest_lag = ((RATE / CEILING_HZ).floor() as usize).max(2);
        Window { shape, self_correlation, shortest_lag, longest_lag }
    }

    /// The candidates of the frame centred on sample `centre` of the 8 kHz signal.
    fn candidates(&self, signal: &[f32], centre: isize, global_peak: f64) -> Vec<Candidate> {
        let length = self.shape.len();
        let first = centre - (length / 2) as isize;
        let mut frame: Vec<f32> = (0..length)
            .map(|i| {
                let at = first + i as isize;
                if at >= 0 && (at as usize) < signal.len() { signal[at as usize] } else { 0.0 }
            })
            .collect();
        // The mean over a longest period each side of the centre, so that a slow drift is not
        // taken for a period; the peak over half a period each side, after windowing.
        let period = (RATE / FLOOR_HZ) as usize;
        let middle = length / 2;
        let near = &frame[middle.saturating_sub(period)..(middle + period).min(length)];
        let mean = near.iter().map(|&s| s as f64).sum::<f64>() / near.len() as f64;
        for (s, w) in frame.iter_mut().zip(&self.shape) {
            *s = ((*s as f64 - mean) * w) as f32;
        }
        let half = period / 2 + 1;
        let local_peak = frame[middle.saturating_sub(half)..(middle + half).min(length)]
            .iter()
            .fold(0.0f64, |m, &s| m.max((s as f64).abs()))
            .min(global_peak);
        let unvoiced = Candidate {
            hz: None,
            octave: 0.0,
            strength: VOICING_THRESHOLD
                + (2.0 - (local_peak / global_peak) / (SILENCE_THRESHOLD / (1.0 + VOICING_THRESHOLD))).max(0.0),
        };
        let energy = correlation(&frame, 0);
        if energy <= 0.0 {
            return vec![unvoiced];
        }
        // r(lag) for the lags searched and one each side, so every searched lag can be a peak.
        let low = self.shortest_lag - 1;
        let r: Vec<f64> = (low..=self.longest_lag)
            .map(|lag| correlation(&frame, lag) / energy / self.self_correlation[lag].max(1e-6))
            .collect();
        let mut voiced: Vec<Candidate> = Vec::new();
        for i in 1..r.len() - 1 {
            let (before, here, after) = (r[i - 1], r[i], r[i + 1]);
            if here <= 0.5 * VOICING_THRESHOLD || here < before || here < after {
                continue;
            }
            let curve = before - 2.0 * here + after;
            let shift = if curve < 0.0 { 0.5 * (before - after) / curve } else { 0.0 };
            let mut height = here - 0.25 * (before - after) * shift;
            // A peak above 1 comes from a window edge, not from periodicity: punish it.
            if height > 1.0 {
                height = 1.0 / height;
            }
            let lag = (low + i) as f64 + shift;
            let hz = RATE / lag;
            if !(FLOOR_HZ..=CEILING_HZ).contains(&hz) {
                continue;
            }
            voiced.push(Candidate {
                hz: Some(hz),
                strength: height - OCTAVE_COST * (CEILING_HZ / hz).log2(),
                octave: hz.log2(),
            });
        }
        voiced.sort_by(|a, b| b.strength.total_cmp(&a.strength));
        voiced.truncate(CANDIDATES - 1);
        voiced.push(unvoiced);
        voiced
    }
}

/// Σ frame[i] · frame[i + lag], eight lanes at a time so that the compiler can use the vector unit.
fn correlation(frame: &[f32], lag: usize) -> f64 {
    let (a, b) = (&frame[..frame.len() - lag], &frame[lag..]);
    let mut lanes = [0.0f32; 8];
    let mut a_chunks = a.chunks_exact(8);
    let mut b_chunks = b.chunks_exact(8);
    for (x, y) in (&mut a_chunks).zip(&mut b_chunks) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    let rest: f32 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() as f64 + rest as f64
}

/// The path through the frames' candidates with the most strength less the costs of its jumps.
fn best_path(frames: &[Vec<Candidate>], hop: f64) -> Vec<Option<f64>> {
    let scale = 0.01 / hop;
    let transition = |from: &Candidate, to: &Candidate| -> f64 {
        match (from.hz, to.hz) {
            (None, None) => 0.0,
            (Some(_), Some(_)) => OCTAVE_JUMP_COST * scale * (from.octave - to.octave).abs(),
            _ => VOICED_UNVOICED_COST * scale,
        }
    };
    let mut score: Vec<f64> = frames[0].iter().map(|c| c.strength).collect();
    let mut came_from: Vec<Vec<u8>> = Vec::with_capacity(frames.len());
    came_from.push(vec![0; frames[0].len()]);
    for pair in frames.windows(2) {
        let (before, here) = (&pair[0], &pair[1]);
        let mut next = Vec::with_capacity(here.len());
        let mut from = Vec::with_capacity(here.len());
        for to in here {
            let (best, value) = before
                .iter()
                .enumerate()
                .map(|(k, c)| (k, score[k] - transition(c, to)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .expect("a frame has at least the unvoiced candidate");
            next.push(value + to.strength);
            from.push(best as u8);
        }
        score = next;
        came_from.push(from);
    }
    let mut at = score.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(k, _)| k).unwrap_or(0);
    let mut path = vec![None; frames.len()];
    for i in (0..frames.len()).rev() {
        path[i] = frames[i][at].hz;
        at = came_from[i][at] as usize;
    }
    path
}

/// Samples `from..to` of the signal at 8 kHz (zero outside the take): a windowed-sinc low-pass
/// under 3.6 kHz, then every other sample.
fn to_search_rate(samples: &[f32], from: isize, to: isize) -> Vec<f32> {
    const HALF: isize = 16;
    let cutoff = 3_600.0 / f64::from(SAMPLE_RATE);
    let taps: Vec<f32> = (-HALF..=HALF)
        .map(|n| {
            let x = n as f64;
            let pi = std::f64::consts::PI;
            let sinc = if n == 0 { 2.0 * cutoff } else { (2.0 * pi * cutoff * x).sin() / (pi * x) };
            let blackman = 0.42 + 0.5 * (pi * x / HALF as f64).cos() + 0.08 * (2.0 * pi * x / HALF as f64).cos();
            (sinc * blackman) as f32
        })
        .collect();
    let gain: f32 = taps.iter().sum();
    let taps: Vec<f32> = taps.iter().map(|t| t / gain).collect();
    let length = samples.len() as isize;
    (from..to)
        .map(|j| {
            let start = 2 * j - HALF;
            if start >= 0 && start + taps.len() as isize <= length {
                let window = &samples[start as usize..start as usize + taps.len()];
                window.iter().zip(&taps).map(|(s, t)| s * t).sum::<f32>()
            } else {
                // At the take's ends: the samples beyond it are silence.
                taps.iter()
                    .enumerate()
                    .filter_map(|(k, t)| {
                        let at = start + k as isize;
                        (at >= 0 && at < length).then(|| t * samples[at as usize])
                    })
                    .sum::<f32>()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f64, seconds: f64, amplitude: f32) -> Vec<f32> {
        // A voice-like wave: a fundamental with falling harmonics.
        (0..(seconds * 16_000.0) as usize)
            .map(|i| {
                let t = i as f64 / 16_000.0;
                let wave: f64 =
                    (1..=8).map(|k| (2.0 * std::f64::consts::PI * hz * k as f64 * t).sin() / k as f64).sum();
                amplitude * wave as f32 * 0.5
            })
            .collect()
    }

    fn cents(a: f32, b: f64) -> f64 {
        1200.0 * (a as f64 / b).log2().abs()
    }

    #[test]
    fn a_steady_voice_is_heard_at_its_pitch_whatever_its_register() {
        for hz in [85.0, 120.0, 210.0, 330.0, 480.0] {
            let f0 = track(&tone(hz, 0.6, 0.5), 0.01);
            let voiced: Vec<f32> = f0[5..f0.len() - 5].iter().map(|f| f.expect("voiced in the middle")).collect();
            let worst = voiced.iter().map(|&f| cents(f, hz)).fold(0.0, f64::max);
            assert!(worst < 10.0, "{hz} Hz measured up to {worst:.1} cents off");
        }
    }

    #[test]
    fn silence_and_noise_are_not_voiced() {
        let mut audio = vec![0.0f32; 8_000];
        let mut seed = 1u32;
        audio.extend((0..8_000).map(|_| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1 << 24) as f32 - 0.5
        }));
        let f0 = track(&audio, 0.01);
        assert_eq!(f0.len(), 101);
        let voiced = f0.iter().filter(|f| f.is_some()).count();
        assert!(voiced <= 2, "{voiced} frames of silence and noise called voiced");
    }

    #[test]
    fn a_glide_is_followed_without_octave_jumps() {
        // 150 Hz rising to 300 Hz over a second.
        let audio: Vec<f32> = {
            let mut phase = 0.0f64;
            (0..16_000)
                .map(|i| {
                    let hz = 150.0 * 2f64.powf(i as f64 / 16_000.0);
                    phase += 2.0 * std::f64::consts::PI * hz / 16_000.0;
                    let wave: f64 = (1..=6).map(|k| (phase * k as f64).sin() / k as f64).sum();
                    0.4 * wave as f32
                })
                .collect()
        };
        let f0 = track(&audio, 0.01);
        for (i, f) in f0.iter().enumerate().take(95).skip(5) {
            let expected = 150.0 * 2f64.powf(i as f64 / 100.0);
            let off = cents(f.expect("voiced"), expected);
            assert!(off < 30.0, "frame {i}: {f:?} for {expected:.0} Hz");
        }
    }

    #[test]
    fn no_audio_has_no_frames() {
        assert!(track(&[], 0.01).is_empty());
    }
}
