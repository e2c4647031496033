//! A second opinion from the audio. The recogniser sometimes writes a word the performer did not
//! say ("puddy" heard as "putty", a quiet word dropped); when the aligner finds a disagreement it
//! may ask the caller, who has the audio and the model, how likely the script reading is on that
//! stretch. The aligner itself stays pure: it only calls this trait.

/// Asks the audio which reading of a stretch is likelier.
pub trait Rescorer {
    /// The probability (0..1) that the `script` words, not the `heard` words, were said between
    /// `start` and `end` seconds; `None` when the rescorer has no opinion. Either list may be
    /// empty: a skipped word has no heard words, an inserted word no script words.
    fn prefer_script(&self, start: f64, end: f64, heard: &[&str], script: &[&str]) -> Option<f32>;

    /// The probability (0..1) that the `extra` words were said right before the heard word that
    /// starts at `before` seconds, where the recogniser wrote none: a filler, words said again,
    /// the start of a word cut off. `None` when the rescorer has no opinion.
    fn prefer_extra(&self, _before: f64, _extra: &[&str]) -> Option<f32> {
        None
    }
}

/// A rescorer that never has an opinion: the alignment stands as found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoRescorer;

impl Rescorer for NoRescorer {
    fn prefer_script(&self, _start: f64, _end: f64, _heard: &[&str], _script: &[&str]) -> Option<f32> {
        None
    }
}
