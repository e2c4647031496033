//! What the recogniser heard in a take (`encore.transcript/1`, what `encore transcribe --json`
//! prints): words with times and confidence, and the stretches where voice activity found speech
//! that no word accounts for.

use serde::{Deserialize, Serialize};

/// Everything heard in one take: what listening gives the aligner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hearing {
    /// Always [`Hearing::FORMAT`].
    #[serde(default = "transcript_format")]
    pub format: String,
    /// Length of the audio, seconds.
    pub duration: f64,
    /// Seconds in which voice activity found speech.
    pub speech: f64,
    pub words: Vec<HeardWord>,
    /// Speech that voice activity found but no word accounts for: a possible stumble.
    pub unrecognised: Vec<Unrecognised>,
}

impl Hearing {
    /// The value of `format`.
    pub const FORMAT: &'static str = "encore.transcript/1";
}

impl Default for Hearing {
    fn default() -> Hearing {
        Hearing { format: transcript_format(), duration: 0.0, speech: 0.0, words: Vec::new(), unrecognised: Vec::new() }
    }
}

fn transcript_format() -> String {
    Hearing::FORMAT.to_string()
}

/// One word as the recogniser wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeardWord {
    /// The word as written by the recogniser, with its punctuation ("nation,").
    pub text: String,
    /// Seconds from the start of the audio.
    pub start: f64,
    pub end: f64,
    /// Mean probability of the word's tokens, 0 to 1.
    #[serde(deserialize_with = "crate::finite::f32")]
    pub confidence: f32,
}

/// Speech found by voice activity that no heard word accounts for: often a mumble, a cut-off
/// attempt or a filler the recogniser tidied away.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Unrecognised {
    pub start: f64,
    pub end: f64,
}
