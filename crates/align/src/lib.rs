//! Spoken words against script words: the heart of Encore. Forced aligners assume the performer
//! said the script; Encore assumes they did not, and finds the likeliest account of what happened,
//! word by word: correct, misread, skipped, and every extra word as an insertion, a filler, a
//! repetition or a false start; then hesitations, stumbles and pace. The result is the take
//! report, format `encore.take/1`.
//!
//! Invariants: the crate does no I/O (the pronouncing dictionary is embedded), `analyze` cannot
//! fail, and the same input always gives the same report. It does not depend on the recogniser:
//! `Hearing` is defined here, and a `Rescorer` is the only way back to the audio.

mod align_options;
mod analyze;
mod costs;
mod finding;
mod hearing;
mod hesitation;
mod line_pace;
mod miscue;
mod path;
mod prompter;
mod pronunciation;
mod rescorer;
mod segment;
mod stumble;
mod summary;
mod take_report;
mod take_word;
mod token;
mod verdict;

pub use align_options::AlignOptions;
pub use analyze::analyze;
pub use costs::Costs;
pub use finding::{Finding, FindingKind, findings};
pub use hearing::{HeardWord, Hearing, Unrecognised};
pub use hesitation::Hesitation;
pub use line_pace::LinePace;
pub use miscue::Miscue;
pub use prompter::{Prompter, Step};
pub use rescorer::{NoRescorer, Rescorer};
pub use stumble::Stumble;
pub use summary::Summary;
pub use take_report::{AudioSummary, FORMAT, ScriptSummary, TakeReport};
pub use take_word::TakeWord;
pub use verdict::Verdict;

#[cfg(test)]
mod tests;
