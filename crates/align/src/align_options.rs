//! The knobs of one alignment: the path costs, the thresholds that turn numbers into flags, and
//! the optional rescorer. `Default` gives the values the tests and the app use.

use crate::{Costs, Rescorer};

/// How to align a take.
#[derive(Clone, Copy)]
pub struct AlignOptions<'a> {
    /// Asked about misreads, skips and insertions; `None` keeps the alignment as found.
    pub rescorer: Option<&'a dyn Rescorer>,
    /// A disagreement becomes `correct` (with `rescored: true`) when the rescorer gives the script
    /// reading at least this probability: odds of 1 to 5.7 against it are enough. A performer is
    /// told they went wrong only where the model hears what it wrote clearly better than the
    /// script, since tiny.en writes the common word it expects; the words excused this way keep
    /// a low confidence. 0.15 is the lowest bar that kept the recall of injected miscues on
    /// align-eval; the curve from 0.5 down to 0.02 is in `docs/decisions.md`.
    pub rescore_threshold: f32,
    /// A verdict whose confidence is below this is marked `uncertain`.
    pub uncertain_below: f32,
    /// The shortest silence inside a phrase that can count as a hesitation, seconds, whatever the
    /// performer's usual pauses.
    pub min_hesitation: f64,
    pub costs: Costs,
}

impl Default for AlignOptions<'_> {
    fn default() -> Self {
        AlignOptions {
            rescorer: None,
            rescore_threshold: 0.15,
            uncertain_below: 0.5,
            min_hesitation: 0.4,
            costs: Costs::default(),
        }
    }
}

impl std::fmt::Debug for AlignOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlignOptions")
            .field("rescorer", &self.rescorer.map(|_| "dyn Rescorer"))
            .field("rescore_threshold", &self.rescore_threshold)
            .field("uncertain_below", &self.uncertain_below)
            .field("min_hesitation", &self.min_hesitation)
            .field("costs", &self.costs)
            .finish()
    }
}
