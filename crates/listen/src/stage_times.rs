//! What the recogniser heard: the `encore.transcript/1` format.

use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "encore.transcript/1";

/// Every word heard in a take, with its time and how sure the recogniser was.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Transcript {
    pub format: String,
    /// Seconds of audio.
    pub duration: f64,
    /// Seconds in which voice activity found speech.
    pub speech: f64,
    pub words: Vec<HeardWord>,
    /// Speech that voice activity found but no word accounts for: a possible stumble.
    pub unrecognised: Vec<Span>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HeardWord {
    /// The word as written by the recogniser, with its punctuation ("nation,").
    pub text: String,
    pub start: f64,
    pub end: f64,
    /// Mean probability of the word's tokens, 0 to 1.
    pub confidence: f32,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Span {
    pub start: f64,
    pub end: f64,
}

/// Seconds spent in each stage, for `--profile` and the benchmarks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StageTimes {
    pub mel: f64,
    pub encoder: f64,
    pub decoder: f64,
    pub timing: f64,
    pub voice_activity: f64,
    pub windows: usize,
}

/// Progress through a long take.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Seconds of audio done.
    pub done: f64,
    pub total: f64,
}

/// What the aligner takes from listening. The conversion lives here, once, because listening
/// is the stage that produces it; the aligner stays free of the recogniser.
impl From<&Transcript> for encore_align::Hearing {
    fn from(transcript: &Transcript) -> encore_align::Hearing {
        encore_align::Hearing {
            duration: transcript.duration,
            speech: transcript.speech,
            words: transcript
                .words
                .iter()
                .map(|w| encore_align::HeardWord {
                    text: w.text.clone(),
                    start: w.start,
                    end: w.end,
                    confidence: w.confidence,
                })
                .collect(),
            unrecognised: transcript
                .unrecognised
                .iter()
                .map(|s| encore_align::Unrecognised { start: s.start, end: s.end })
                .collect(),
        }
    }
}
