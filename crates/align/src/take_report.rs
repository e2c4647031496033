//! The report of one take, format `encore.take/1`: the contract that the command line, the web
//! stage and the tests share. Fields may be added; none may change meaning (see
//! `docs/take-report.md` and `docs/take-report.schema.json`).

use serde::{Deserialize, Serialize};

use crate::{Finding, Hesitation, LinePace, Stumble, Summary, TakeWord};

/// The value of `format`.
pub const FORMAT: &str = "encore.take/1";

/// What happened in one take, word by word and line by line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TakeReport {
    /// Always `encore.take/1`.
    pub format: String,
    pub audio: AudioSummary,
    pub script: ScriptSummary,
    /// Every script word once, and every extra spoken word, in the order things happened.
    pub words: Vec<TakeWord>,
    pub hesitations: Vec<Hesitation>,
    /// Speech no heard word accounts for.
    #[serde(default)]
    pub stumbles: Vec<Stumble>,
    pub lines: Vec<LinePace>,
    pub summary: Summary,
    /// The two or three findings that cost the most.
    #[serde(default)]
    pub findings: Vec<Finding>,
}

/// The length of the audio and how much of it was speech.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AudioSummary {
    pub duration: f64,
    pub speech: f64,
}

/// The size of the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptSummary {
    pub words: usize,
    pub lines: usize,
}
