//! Speech that voice activity found and the recogniser did not write down. Whisper tidies speech
//! up and drops mumbles and cut-off attempts, so such a stretch is kept as evidence of a possible
//! stumble at that place rather than thrown away.

use serde::{Deserialize, Serialize};

/// A stretch of unrecognised speech, placed before the script word said after it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stumble {
    pub start: f64,
    pub end: f64,
    pub before_script_index: Option<usize>,
}
