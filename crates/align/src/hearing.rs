//! What the recogniser heard in a take: words with times and confidence, and the stretches where
//! voice activity found speech that no word accounts for. Defined here, not in the recogniser's
//! crate, so that alignment can be built and tested without it.

use serde::{Deserialize, Serialize};

/// One word as the recogniser wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeardWord {
    pub text: String,
    /// Seconds from the start of the audio.
    pub start: f64,
    pub end: f64,
    /// The recogniser's confidence, 0..1.
    pub confidence: f32,
}

/// Speech found by voice activity that no heard word accounts for: often a mumble, a cut-off
/// attempt or a filler the recogniser tidied away.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Unrecognised {
    pub start: f64,
    pub end: f64,
}

/// Everything the aligner gets from listening to one take.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Hearing {
    /// Length of the audio, seconds.
    pub duration: f64,
    /// Seconds of voiced audio.
    pub speech: f64,
    pub words: Vec<HeardWord>,
    pub unrecognised: Vec<Unrecognised>,
}
