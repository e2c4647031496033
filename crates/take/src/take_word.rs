//! One entry of the take, in the order things happened: a script word with its verdict, or a
//! spoken word that stands for no script word.

use serde::{Deserialize, Serialize};

/// An entry of `words` in the take report (`encore.take/1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TakeWord {
    /// The script word's index, or `None` for a spoken word that is no script word.
    pub script_index: Option<usize>,
    /// The script word as written, or `None`.
    pub text: Option<String>,
    /// What was heard (several heard words joined by spaces), or `None` for a skipped word.
    pub heard: Option<String>,
    pub verdict: Verdict,
    /// Seconds from the start of the audio; `None` when nothing was heard.
    pub start: Option<f64>,
    pub end: Option<f64>,
    /// How sure the verdict is, 0..1, from the recogniser's confidence and the alignment margin.
    #[serde(deserialize_with = "crate::finite::f32")]
    pub confidence: f32,
    /// The performer first got this script word wrong (a false start) and then said it right.
    pub self_corrected: bool,
    /// The script line (from 1) of the word, or for an extra word of the script word it relates to.
    #[serde(default)]
    pub line: Option<usize>,
    /// The confidence is below the threshold: show the verdict with doubt.
    #[serde(default)]
    pub uncertain: bool,
    /// The audio, asked again, supported the script reading over what the recogniser wrote.
    #[serde(default)]
    pub rescored: bool,
    /// Speech that no heard word accounts for came just before this word.
    #[serde(default)]
    pub possible_stumble: bool,
    /// For a repetition or false start: the script word repeated or attempted.
    #[serde(default)]
    pub relates_to: Option<usize>,
    /// Median pitch of the word's voiced frames, Hz; `None` when unsaid or not voiced.
    #[serde(default, deserialize_with = "crate::finite::option_f32")]
    pub f0_hz: Option<f32>,
    /// Median loudness of the word, dB relative to full scale, K-weighted; `None` when unsaid.
    #[serde(default, deserialize_with = "crate::finite::option_f32")]
    pub loudness_db: Option<f32>,
}

/// The verdict of one entry in `words` of the take report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A script word said as written (fairly: "1995" read as "nineteen ninety-five").
    Correct,
    /// Another word said in place of a script word.
    Misread,
    /// A script word not said.
    Skipped,
    /// A spoken word that is not in the script.
    Inserted,
    /// "um", "uh" and the like.
    Filler,
    /// Script words said again.
    Repeated,
    /// A fragment or wrong word right before the word meant.
    FalseStart,
}

impl Verdict {
    /// True for the verdicts of script words.
    pub fn is_script_word(self) -> bool {
        matches!(self, Verdict::Correct | Verdict::Misread | Verdict::Skipped)
    }

    /// True when the script word was said (rightly or not).
    pub fn is_said(self) -> bool {
        matches!(self, Verdict::Correct | Verdict::Misread)
    }
}

/// How many times the performer went back: a run of repeated words is one repetition.
pub fn repetitions(words: &[TakeWord]) -> usize {
    words
        .iter()
        .enumerate()
        .filter(|&(at, w)| w.verdict == Verdict::Repeated && (at == 0 || words[at - 1].verdict != Verdict::Repeated))
        .count()
}

/// The script words of `line` that were said (rightly or not), in the take's order: what the
/// line's pace is measured on.
pub fn said_on_line(words: &[TakeWord], line: usize) -> Vec<&TakeWord> {
    words.iter().filter(|w| w.line == Some(line) && w.script_index.is_some() && w.verdict.is_said()).collect()
}
