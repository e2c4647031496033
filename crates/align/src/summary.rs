//! The take in numbers: how much of the script was said and said right, how fast, and how often
//! each kind of stumble happened.

use serde::{Deserialize, Serialize};

/// Totals of a take.
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
