//! How a take stands against the earlier takes of the same piece: better or worse than last time,
//! and whether it is a new personal best. Said in plain words, in the one number a performer
//! follows from take to take: stumbles.

use std::cmp::Ordering;

use encore_take::TakeReport;
use serde::Serialize;

use crate::TakeScore;
use crate::take_score::whole;

/// How a take stands against the earlier takes of the same piece.
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    /// The take just before this one.
    pub previous: Option<TakeScore>,
    /// The best earlier take (see [`TakeScore::rank`]); of equally good takes, the first.
    pub best_before: Option<TakeScore>,
    /// This take beats every earlier take; never true for a first take.
    pub personal_best: bool,
    /// No earlier take.
    pub first_take: bool,
}

/// How `this` take stands against the `earlier` takes of the same piece, oldest first.
pub fn standing(this: &TakeReport, earlier: &[&TakeReport]) -> Standing {
    let score = TakeScore::of(this);
    let scores: Vec<TakeScore> = earlier.iter().map(|report| TakeScore::of(report)).collect();
    let best_before = scores.iter().copied().reduce(|best, score| if score.beats(&best) { score } else { best });
    Standing {
        previous: scores.last().copied(),
        best_before,
        personal_best: best_before.is_some_and(|best| score.beats(&best)),
        first_take: scores.is_empty(),
    }
}

impl Standing {
    /// The standing in plain words, for `this` take's score: "3 fewer stumbles than last time,
    /// new personal best", "2 more stumbles than last time; your best is still 4", "as many
    /// stumbles as last time, 12 more words correct per minute", "your first take of this piece".
    pub fn describe(&self, this: &TakeScore) -> String {
        let Some(last) = self.previous.filter(|_| !self.first_take) else {
            return "your first take of this piece".to_string();
        };
        let difference = this.stumbles.abs_diff(last.stumbles);
        let mut text = match this.stumbles.cmp(&last.stumbles) {
            Ordering::Less => {
                format!("{difference} fewer {} than last time", plural(difference, "stumble", "stumbles"))
            }
            Ordering::Greater => {
                format!("{difference} more {} than last time", plural(difference, "stumble", "stumbles"))
            }
            Ordering::Equal if this.stumbles == 0 => "no stumbles, like last time".to_string(),
            Ordering::Equal => "as many stumbles as last time".to_string(),
        };
        // With the stumbles level, pace tells the takes apart.
        if this.stumbles == last.stumbles && this.wcpm.is_finite() && last.wcpm.is_finite() {
            let pace = whole(this.wcpm) - whole(last.wcpm);
            let words = plural(pace.unsigned_abs() as usize, "word", "words");
            match pace.cmp(&0) {
                Ordering::Greater => text.push_str(&format!(", {pace} more {words} correct per minute")),
                Ordering::Less => text.push_str(&format!(", {} fewer {words} correct per minute", -pace)),
                Ordering::Equal => {}
            }
        }
        if self.personal_best {
            text.push_str(", new personal best");
        } else if let Some(best) = self.best_before.filter(|best| this.stumbles > best.stumbles) {
            text.push_str(&format!("; your best is still {}", best.stumbles));
        }
        text
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encore_take::testing::take;

    const SCRIPT: &str = "four score and seven years ago our fathers brought forth";

    /// A take with the given marks, its pace set by hand.
    fn report(marks: &str, wcpm: f64) -> TakeReport {
        let (mut report, _) = take(SCRIPT, marks);
        report.summary.wcpm = wcpm;
        report
    }

    fn check(this: &TakeReport, earlier: &[&TakeReport], personal_best: bool, expected: &str) {
        let standing = standing(this, earlier);
        assert_eq!(standing.personal_best, personal_best, "{expected}");
        assert_eq!(standing.describe(&TakeScore::of(this)), expected);
    }

    #[test]
    fn a_first_take_has_nothing_to_beat() {
        let first = report("x x", 100.0);
        let standing = standing(&first, &[]);
        assert!(standing.first_take && !standing.personal_best);
        assert!(standing.previous.is_none() && standing.best_before.is_none());
        assert_eq!(standing.describe(&TakeScore::of(&first)), "your first take of this piece");
    }

    #[test]
    fn better_worse_and_level_in_plain_words() {
        let four = report("x x x x", 100.0);
        let six = report("x x x x x x", 100.0);
        let three = report("x x x", 100.0);
        let two = report("x h", 100.0);

        // Better than all before: a new best.
        check(&three, &[&four, &six], true, "3 fewer stumbles than last time, new personal best");
        check(&two, &[&three], true, "1 fewer stumble than last time, new personal best");
        // Worse than last time, and the best was earlier.
        check(&six, &[&four], false, "2 more stumbles than last time; your best is still 4");
        check(&six, &[&four, &six], false, "as many stumbles as last time; your best is still 4");
        // Better than last time, yet not the best.
        check(&four, &[&three, &six], false, "2 fewer stumbles than last time; your best is still 3");
        let standing = standing(&four, &[&three, &six]);
        assert_eq!(standing.previous.unwrap().stumbles, 6);
        assert_eq!(standing.best_before.unwrap().stumbles, 3);
    }

    #[test]
    fn with_stumbles_level_pace_decides() {
        let slow = report("x x", 100.0);
        let fast = report("x x", 112.3);
        check(
            &fast,
            &[&slow],
            true,
            "as many stumbles as last time, 12 more words correct per minute, new personal best",
        );
        check(&slow, &[&fast], false, "as many stumbles as last time, 12 fewer words correct per minute");
        // An equal take is no new best.
        check(&slow, &[&slow], false, "as many stumbles as last time");
        let clean = report("", 120.0);
        check(&clean, &[&clean], false, "no stumbles, like last time");
        let quicker = report("", 121.0);
        check(
            &quicker,
            &[&clean],
            true,
            "no stumbles, like last time, 1 more word correct per minute, new personal best",
        );
    }

    #[test]
    fn accuracy_breaks_a_tie_in_stumbles() {
        // Both have one stumble: a hesitation costs no accuracy, a skipped word does.
        let hesitant = report("h", 100.0);
        let skipping = report("x", 130.0);
        check(
            &hesitant,
            &[&skipping],
            true,
            "as many stumbles as last time, 30 fewer words correct per minute, new personal best",
        );
        check(&skipping, &[&hesitant], false, "as many stumbles as last time, 30 more words correct per minute");
    }
}
