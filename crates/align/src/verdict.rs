//! The judgement on one entry of the take: what happened to a script word, or what an extra
//! spoken word was.

use serde::{Deserialize, Serialize};

use crate::Miscue;

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

impl From<Miscue> for Verdict {
    fn from(miscue: Miscue) -> Self {
        match miscue {
            Miscue::Inserted => Verdict::Inserted,
            Miscue::Filler => Verdict::Filler,
            Miscue::Repeated => Verdict::Repeated,
            Miscue::FalseStart => Verdict::FalseStart,
        }
    }
}
