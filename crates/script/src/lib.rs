//! The script side of Encore: the text a performer means to say, split into words that keep their
//! line, punctuation and intended pauses, and the rules a fair listener uses to decide that two ways
//! of writing something say the same thing ("1995" and "nineteen ninety-five", "don't" and "do not",
//! "colour" and "color"). The aligner compares spoken words with script words only through these
//! rules, so that nobody is marked wrong for reading "Dr." as "doctor".
//!
//! The crate is pure: no I/O, and parsing only fails for a script that cannot be performed.

mod abbreviation;
mod contraction;
mod number;
mod reading;
mod script;
mod script_error;
mod script_word;
mod spelling;

pub use reading::{Reading, fair_match, is_filler};
pub use script::Script;
pub use script_error::ScriptError;
pub use script_word::ScriptWord;
