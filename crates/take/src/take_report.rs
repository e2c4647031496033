//! The report of one take, format `encore.take/1`: the contract that the command line, the web
//! stage and the tests share. Fields may be added; none may change meaning (see
//! `docs/take-report.md` and `docs/take-report.schema.json`).

use serde::{Deserialize, Serialize};

use crate::{Delivery, PrompterUsed, TakeWord};

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
    /// How it sounded: pitch, loudness and pace. Absent only when the take has no speech (or
    /// the report was made before Encore measured delivery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    /// How the take looked, when the camera was on: stillness, sway, gestures, fidgeting and
    /// where the performer looked, per line and placed on the words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub movement: Option<crate::Movement>,
    /// How the prompter was used: the mode, how much of the script it hid, and where hidden
    /// words had to be shown again. Absent for a take read with the full text in view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompter: Option<PrompterUsed>,
    /// Verdicts a coach changed, oldest first; the numbers above count them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<crate::VerdictChange>,
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

impl TakeReport {
    /// The value of `format`.
    pub const FORMAT: &'static str = "encore.take/1";
}

/// The take in numbers: how much of the script was said and said right, how fast, and how often
/// each kind of stumble happened.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Correct script words over all script words.
    pub accuracy: f64,
    /// Said script words (correct or misread) over all script words.
    pub completeness: f64,
    /// Words correct per minute of speaking time (first heard word to last).
    pub wcpm: f64,
    /// Spoken words (fillers aside) per minute of speaking time.
    pub wpm: f64,
    pub fillers: usize,
    /// Times the performer went back: a run of repeated words counts once.
    pub repetitions: usize,
    pub hesitations: usize,
    pub misread: usize,
    pub skipped: usize,
    /// Inserted words, less those the rescorer judged not to have been said.
    pub inserted: usize,
    #[serde(default)]
    pub correct: usize,
    #[serde(default)]
    pub false_starts: usize,
    #[serde(default)]
    pub self_corrections: usize,
    #[serde(default)]
    pub stumbles: usize,
    #[serde(default)]
    pub rescored: usize,
    #[serde(default)]
    pub uncertain: usize,
    /// Seconds from the first heard word to the last.
    #[serde(default)]
    pub speaking_time: f64,
}

/// Pace per script line, so that a rushed or dragging line stands out against the performer's own
/// pace.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinePace {
    /// The line number in the script text, from 1.
    pub line: usize,
    /// When the first said word of the line started; `None` if no word of it was said.
    pub start: Option<f64>,
    pub end: Option<f64>,
    /// Script words of the line that were said (correct or misread).
    #[serde(default)]
    pub words: usize,
    /// Said words per minute over the line's time; `None` when too short to tell.
    pub wpm: Option<f64>,
}

/// A silence longer than the performer's usual pause at that place.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Hesitation {
    pub start: f64,
    pub end: f64,
    /// `end - start`, seconds.
    pub duration: f64,
    /// The script word said after the silence, if any.
    pub before_script_index: Option<usize>,
}

/// Speech that voice activity found and the recogniser did not write down (Whisper drops mumbles
/// and cut-off attempts), placed before the script word said after it: evidence of a possible
/// stumble there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stumble {
    pub start: f64,
    pub end: f64,
    pub before_script_index: Option<usize>,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Skipped,
    Misread,
    Inserted,
    Repeated,
    FalseStart,
    Fillers,
    Hesitation,
    Stumble,
    /// A line much faster or slower than the performer's usual line.
    Pace,
    /// A line, or the take, said on a narrow range of pitch.
    Flat,
    /// The end of a line much quieter than the rest of it.
    TrailingOff,
    /// No pause where the script has one.
    NoPause,
    /// A yes-or-no question said without a rise.
    NoRise,
    /// What the camera saw: the body frozen, swaying, fidgeting, or the eyes on the script.
    Movement,
}

/// One reason the take was not clean, in plain words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// The script word it is about, if one.
    pub script_index: Option<usize>,
    /// The script line it is about, if one.
    pub line: Option<usize>,
    /// What it cost the take; findings are ranked by it.
    pub cost: f64,
    /// "you skipped 'whom' in line 3".
    pub message: String,
}

/// A figure as a report keeps it: rounded to `places` decimals, finer than anyone reads and a
/// shorter report. The aligner, a coach's verdict change and the movement measures all round so.
pub fn round(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

/// How many findings a report keeps.
const KEPT: usize = 3;
/// Findings cheaper than this are not worth mentioning.
const WORTH_MENTIONING: f64 = 0.2;

/// The two or three findings that cost the most, costliest first (then in script order). The
/// aligner and the delivery measures each add theirs, and both rank through here.
pub fn costliest(mut found: Vec<Finding>) -> Vec<Finding> {
    found.retain(|f| f.cost >= WORTH_MENTIONING);
    found.sort_by(|a, b| {
        b.cost
            .total_cmp(&a.cost)
            .then(a.line.unwrap_or(usize::MAX).cmp(&b.line.unwrap_or(usize::MAX)))
            .then(a.script_index.unwrap_or(usize::MAX).cmp(&b.script_index.unwrap_or(usize::MAX)))
    });
    found.truncate(KEPT);
    found
}
