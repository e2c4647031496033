//! Two takes, word by word over the script: which words the performer fixed, which went wrong
//! that were fine before, and which still trip them up. The takes may be of different versions of
//! the script; words are matched between versions by their spoken form, and a word the later
//! version added has nothing to compare with.

use encore_script::Script;
use encore_take::TakeReport;
use serde::Serialize;

use crate::word_outcome::observe;
use crate::{LineDeliveryCompared, TakeScore, WordOutcome, compare_delivery, script_map};

/// Two takes, word by word over the script of the later one.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Every word of the later take's script, in order.
    pub words: Vec<ComparedWord>,
    /// Words with trouble before and none now.
    pub fixed: usize,
    /// Words with no trouble before and trouble now.
    pub worse: usize,
    /// Words with trouble in both takes.
    pub still_trips: usize,
    pub before: TakeScore,
    pub after: TakeScore,
    /// How each line sounded in both takes (empty when either take has no delivery).
    pub delivery: Vec<LineDeliveryCompared>,
}

/// One script word in both takes.
#[derive(Debug, Clone, Serialize)]
pub struct ComparedWord {
    /// The word as written in the later take's script.
    pub text: String,
    /// Its line in the later take's script, from 1.
    pub line: usize,
    /// Its index in the later take's script.
    pub script_index: usize,
    /// What happened to it in the earlier take; `None` when the earlier take's script did not
    /// have it.
    pub before: Option<WordOutcome>,
    pub after: WordOutcome,
    pub change: Change,
}

/// How a word fared from one take to the next ("trouble" as in [`WordOutcome::trouble`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Trouble before, none now.
    Fixed,
    /// No trouble before, trouble now.
    Worse,
    /// Trouble in both takes.
    StillTrips,
    /// No trouble in either take.
    Steady,
    /// The word is new in this version of the script.
    New,
}

/// Compares an earlier take (`before`) with a later one (`after`), each with the script it was
/// read against.
pub fn compare(before: (&TakeReport, &Script), after: (&TakeReport, &Script)) -> Comparison {
    let (before_report, before_script) = before;
    let (after_report, after_script) = after;
    let mut before_outcomes: Vec<Option<WordOutcome>> =
        observe(before_report, before_script.len()).into_iter().map(|observed| Some(observed.outcome)).collect();
    let after_outcomes = observe(after_report, after_script.len());
    let mapped = script_map::map(before_script, after_script);
    let mut comparison = Comparison {
        words: Vec::with_capacity(after_script.len()),
        fixed: 0,
        worse: 0,
        still_trips: 0,
        before: TakeScore::of(before_report),
        after: TakeScore::of(after_report),
        delivery: compare_delivery(before, after),
    };
    for ((word, observed), from) in after_script.words().iter().zip(after_outcomes).zip(mapped) {
        let before = from.and_then(|index| before_outcomes.get_mut(index)).and_then(Option::take);
        let after = observed.outcome;
        let change = match &before {
            None => Change::New,
            Some(before) => match (before.trouble(), after.trouble()) {
                (true, false) => Change::Fixed,
                (false, true) => Change::Worse,
                (true, true) => Change::StillTrips,
                (false, false) => Change::Steady,
            },
        };
        match change {
            Change::Fixed => comparison.fixed += 1,
            Change::Worse => comparison.worse += 1,
            Change::StillTrips => comparison.still_trips += 1,
            Change::Steady | Change::New => {}
        }
        comparison.words.push(ComparedWord {
            text: word.text.clone(),
            line: word.line,
            script_index: word.index,
            before,
            after,
            change,
        });
    }
    comparison
}

#[cfg(test)]
mod tests {
    use encore_take::Verdict;

    use super::*;
    use encore_take::testing::take;

    fn changes(comparison: &Comparison) -> Vec<Change> {
        comparison.words.iter().map(|word| word.change).collect()
    }

    #[test]
    fn same_script_fixed_worse_still_and_steady() {
        let script = "four score and seven years ago";
        let before = take(script, ". x . m:eleven h . .");
        let after = take(script, ". . f:um . m:heaven . .");
        let comparison = compare((&before.0, &before.1), (&after.0, &after.1));
        use Change::*;
        assert_eq!(changes(&comparison), [Steady, Fixed, Worse, StillTrips, Fixed, Steady]);
        assert_eq!((comparison.fixed, comparison.worse, comparison.still_trips), (2, 1, 1));
        let seven = &comparison.words[3];
        assert_eq!((seven.text.as_str(), seven.line, seven.script_index), ("seven", 1, 3));
        assert_eq!(seven.before.as_ref().unwrap().heard.as_deref(), Some("eleven"));
        assert_eq!(seven.after.heard.as_deref(), Some("heaven"));
        assert_eq!(comparison.words[2].after.extras_before, ["um"]);
        assert!(comparison.words[4].before.as_ref().unwrap().hesitation_before);
        assert_eq!(comparison.before.stumbles, 3);
        assert_eq!(comparison.after.stumbles, 1);
    }

    #[test]
    fn a_word_added_to_the_script_is_new() {
        let before = take("four score and seven years ago", ". . . x . .");
        let after = take("Four score and seven long years ago.", ". . . . . m:a .");
        let comparison = compare((&before.0, &before.1), (&after.0, &after.1));
        use Change::*;
        assert_eq!(changes(&comparison), [Steady, Steady, Steady, Fixed, New, Worse, Steady]);
        assert!(comparison.words[4].before.is_none());
        assert_eq!(comparison.words[4].after.verdict, Verdict::Correct);
        assert_eq!(comparison.words[5].after.verdict, Verdict::Misread);
        assert_eq!(comparison.words[6].text, "ago.");
        assert_eq!(comparison.words[6].script_index, 6);
        assert_eq!(comparison.words[6].before.as_ref().unwrap().verdict, Verdict::Correct);
    }

    #[test]
    fn changes_serialise_in_snake_case() {
        assert_eq!(serde_json::to_string(&Change::StillTrips).unwrap(), "\"still_trips\"");
    }
}
