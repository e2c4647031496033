//! The few numbers a take is judged by. A performer comparing takes wants one count of what went
//! wrong, not eight: every place they went wrong is a stumble, whatever its kind; fillers are
//! counted apart because many performers use a few on purpose and they do not break the text.

use std::cmp::Ordering;

use encore_take::TakeReport;
use serde::Serialize;

/// The few numbers a take is judged by, from its report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TakeScore {
    /// Correct script words over all script words, 0..1.
    pub accuracy: f64,
    /// Words correct per minute of speaking time.
    pub wcpm: f64,
    /// Filled pauses ("um", "uh").
    pub fillers: usize,
    /// Silences longer than the performer's usual pause at that place.
    pub hesitations: usize,
    /// Every place the performer went wrong: misread, skipped and inserted words, repetitions
    /// (a run of repeated words counts once), false starts, hesitations, and stretches of speech
    /// the recogniser could not make out. Fillers are not stumbles.
    pub stumbles: usize,
}

impl TakeScore {
    /// Reads the score off the report's summary.
    pub fn of(report: &TakeReport) -> TakeScore {
        let s = &report.summary;
        TakeScore {
            accuracy: s.accuracy,
            wcpm: s.wcpm,
            fillers: s.fillers,
            hesitations: s.hesitations,
            stumbles: s.misread + s.skipped + s.inserted + s.repetitions + s.false_starts + s.hesitations + s.stumbles,
        }
    }

    /// How this take ranks against another: `Greater` when it is the better take. Fewer stumbles
    /// first, then higher accuracy (to 0.1%), then more words correct per minute (to a whole
    /// word): the stumble count is the number a performer is shown, so a best take is the one with
    /// the fewest; the rounding keeps differences nobody could hear from making a new best.
    pub fn rank(&self, other: &TakeScore) -> Ordering {
        other
            .stumbles
            .cmp(&self.stumbles)
            .then(per_mille(self.accuracy).cmp(&per_mille(other.accuracy)))
            .then(whole(self.wcpm).cmp(&whole(other.wcpm)))
    }

    /// True when this take ranks strictly better than the other.
    pub fn beats(&self, other: &TakeScore) -> bool {
        self.rank(other) == Ordering::Greater
    }
}

/// Accuracy in tenths of a percent; a value that is no number ranks lowest.
fn per_mille(fraction: f64) -> i64 {
    if fraction.is_finite() { (fraction * 1000.0).round() as i64 } else { i64::MIN }
}

/// A rate to the whole word; a value that is no number ranks lowest.
pub(crate) fn whole(rate: f64) -> i64 {
    if rate.is_finite() { rate.round() as i64 } else { i64::MIN }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encore_take::testing::take;

    #[test]
    fn stumbles_count_every_kind_of_slip_but_fillers() {
        // Script: "one two three four five six seven eight". One misread, one skipped, one
        // insertion, one repetition of two words (counts once), one false start, one hesitation,
        // one stretch of unclear speech, and two fillers.
        let (report, _) = take(
            "one two three four five six seven eight",
            ". m:too x f:um . i:lazy . r:three r:four . s:si ? . h . f:uh",
        );
        let s = &report.summary;
        assert_eq!((s.misread, s.skipped, s.inserted, s.repetitions, s.false_starts), (1, 1, 1, 1, 1));
        assert_eq!((s.hesitations, s.stumbles, s.fillers), (1, 1, 2));
        let score = TakeScore::of(&report);
        assert_eq!(score.stumbles, 7);
        assert_eq!(score.fillers, 2);
        assert_eq!(score.hesitations, 1);
        assert_eq!(score.accuracy, 6.0 / 8.0);
        assert_eq!(score.wcpm, s.wcpm);
    }

    #[test]
    fn fewer_stumbles_rank_first_then_accuracy_then_pace() {
        let score = |stumbles, accuracy, wcpm| TakeScore { accuracy, wcpm, fillers: 0, hesitations: 0, stumbles };
        assert!(score(1, 0.9, 100.0).beats(&score(2, 1.0, 150.0)));
        assert!(score(1, 0.95, 100.0).beats(&score(1, 0.94, 150.0)));
        assert!(score(1, 0.95, 101.0).beats(&score(1, 0.95, 100.0)));
        assert!(!score(1, 0.95, 100.2).beats(&score(1, 0.95, 100.0)), "a fraction of a word is no gain");
        assert!(!score(1, 0.9504, 100.0).beats(&score(1, 0.9501, 100.0)), "nor is a hundredth of a percent");
    }
}
