//! The knobs of one alignment: the path costs, the thresholds that turn numbers into flags, and
//! the optional rescorer. `Default` gives the values the tests and the app use.

use crate::{Costs, Rescorer};

/// How to align a take.
#[derive(Clone, Copy)]
pub struct AlignOptions<'a> {
    /// Asked about misreads, skips and insertions; `None` keeps the alignment as found.
    pub rescorer: Option<&'a dyn Rescorer>,
    /// A disagreement becomes `correct` (with `rescored: true`) when the rescorer gives the script
    /// reading at least this probability. 0.5 (the audio supports the script better than what
    /// was heard) was measured against 0.8 with align-eval: false alarms 4.1% against 4.3%,
    /// recall of injected miscues 0.93 in both.
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
            rescore_threshold: 0.5,
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
