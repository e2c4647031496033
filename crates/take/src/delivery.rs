//! How a take sounded, beside which words were said: the voice's pitch and loudness under the
//! words, per line and for the take, with the lines a coach would point at. Part of
//! `encore.take/1` (the `delivery` object); see `docs/take-report.md`.

use serde::{Deserialize, Serialize};

/// Pitch, loudness and pace of the take, line by line, and the contour they come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Median fundamental frequency of the voiced speech; `None` when nothing was voiced.
    #[serde(default, deserialize_with = "crate::finite::option_f32")]
    pub f0_median_hz: Option<f32>,
    /// Pitch range in semitones, 10th to 90th percentile of the voiced frames.
    #[serde(default, deserialize_with = "crate::finite::option_f32")]
    pub pitch_range_st: Option<f32>,
    /// Median loudness of the speech, dB relative to full scale, K-weighted.
    #[serde(default, deserialize_with = "crate::finite::option_f32")]
    pub loudness_db: Option<f32>,
    /// The whole take was said on too narrow a range of pitch.
    pub flat: bool,
    pub lines: Vec<LineDelivery>,
    pub contour: Contour,
}

/// How one script line sounded. The numbers are `None` when the line was not said (or, for
/// pitch, not voiced).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineDelivery {
    /// The line number in the script text, from 1.
    pub line: usize,
    #[serde(default, deserialize_with = "crate::finite::option_f32")]
    pub f0_median_hz: Option<f32>,
    #[serde(default, deserialize_with = "crate::finite::option_f32")]
    pub pitch_range_st: Option<f32>,
    #[serde(default, deserialize_with = "crate::finite::option_f32")]
    pub loudness_db: Option<f32>,
    /// Said words per minute, as in the report's `lines`.
    pub wpm: Option<f64>,
    /// Said on a narrow range of pitch, for speech and for this performer.
    pub flat: bool,
    /// The last words markedly quieter than the rest of the line.
    pub trailing_off: bool,
    /// Much faster than the performer's usual line.
    pub rushing: bool,
    /// Much slower than the performer's usual line.
    pub dragging: bool,
    /// Script words of the line after which the script has a pause (a full stop, a `/`, the end
    /// of a paragraph) that the performer passed without one.
    #[serde(default)]
    pub no_pause_after: Vec<usize>,
    /// Script words that end a yes-or-no question ("?") said without a rise in pitch.
    #[serde(default)]
    pub no_rise_at: Vec<usize>,
}

/// Pitch and loudness every `hop` seconds from the start of the audio, frame `i` centred on
/// `i * hop`. Long takes get a longer hop, so a contour never holds more than
/// [`Contour::MAX_FRAMES`] frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contour {
    /// Seconds between frames.
    pub hop: f64,
    /// Fundamental frequency in Hz, `None` where the frame is not voiced.
    #[serde(deserialize_with = "crate::finite::vec_option_f32")]
    pub f0_hz: Vec<Option<f32>>,
    /// Loudness in dB relative to full scale, K-weighted; [`Contour::FLOOR_DB`] at silence.
    #[serde(deserialize_with = "crate::finite::vec_f32")]
    pub loudness_db: Vec<f32>,
}

impl Contour {
    /// The finest hop, 10 ms.
    pub const HOP: f64 = 0.01;
    /// The most frames a contour holds (15 minutes at 10 ms); 2 hours take a 90 ms hop.
    pub const MAX_FRAMES: usize = 90_000;
    /// The loudness given to silence.
    pub const FLOOR_DB: f32 = -80.0;
}
