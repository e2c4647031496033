//! Spoken words against script words: the heart of Encore. Forced aligners assume the performer
//! said the script; Encore assumes they did not, and finds the likeliest account of what happened,
//! word by word: correct, misread, skipped, and every extra word as an insertion, a filler, a
//! repetition or a false start; then hesitations, stumbles and pace. The result is the take
//! report, format `encore.take/1`.
//!
//! Invariants: the crate does no I/O (the pronouncing dictionary is embedded), `analyze` cannot
//! fail, and the same input always gives the same report. It does not depend on the recogniser:
//! it reads a `Hearing` and writes a `TakeReport` (both in `encore-take`), and a `Rescorer` is the
//! only way back to the audio.

mod align_options;
mod analyze;
mod costs;
mod finding;
mod hesitation;
mod miscue;
mod path;
mod prompter;
mod pronunciation;
mod rescorer;
mod segment;
mod token;
mod unwritten;

pub use align_options::AlignOptions;
pub use analyze::analyze;
pub use costs::Costs;
pub use finding::findings;
pub use miscue::Miscue;
pub use prompter::{Prompter, Step};
pub use rescorer::{NoRescorer, Rescorer};

#[cfg(test)]
mod tests;
