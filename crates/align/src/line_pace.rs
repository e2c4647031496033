//! Pace per script line: when the performer started and finished each line and how fast it went,
//! so that a rushed or dragging line stands out against the performer's own pace.

use serde::{Deserialize, Serialize};

/// The pace of one script line.
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
