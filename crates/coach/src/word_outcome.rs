//! What happened to one script word in one take, gathered from the report's entries: its verdict,
//! and the trouble that came just before it (a hesitation, unclear speech, extra words). Comparing
//! takes and finding trouble spots both work on these, one per script word.

use encore_take::{TakeReport, Verdict};
use serde::Serialize;

/// What happened to one script word in one take.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WordOutcome {
    /// `Correct`, `Misread` or `Skipped`.
    pub verdict: Verdict,
    /// What was heard for it; `None` when skipped.
    pub heard: Option<String>,
    /// A hesitation came right before it.
    pub hesitation_before: bool,
    /// Speech the recogniser could not make out came right before it (a possible stumble).
    pub stumble_before: bool,
    /// Fillers, repetitions, false starts and insertions spoken just before it, as heard.
    pub extras_before: Vec<String>,
}

impl WordOutcome {
    /// True when the performer had trouble here: the word was not said right, or a hesitation,
    /// unclear speech or extra words came just before it.
    pub fn trouble(&self) -> bool {
        self.verdict != Verdict::Correct
            || self.hesitation_before
            || self.stumble_before
            || !self.extras_before.is_empty()
    }
}

/// A word's outcome with the kind of each extra word before it, which trouble spots need.
#[derive(Debug, Clone)]
pub(crate) struct Observed {
    pub outcome: WordOutcome,
    /// The verdict of each of `outcome.extras_before`, in the same order.
    pub extra_verdicts: Vec<Verdict>,
}

impl Observed {
    /// The kinds of trouble at this word, in plain words: "skipped", "misread as \"within\"",
    /// "hesitation before", "filler before", and so on; each kind once.
    pub fn troubles(&self) -> Vec<String> {
        let outcome = &self.outcome;
        let mut found = Vec::new();
        match outcome.verdict {
            Verdict::Skipped => found.push("skipped".to_string()),
            Verdict::Misread => {
                found.push(format!("misread as \"{}\"", outcome.heard.as_deref().unwrap_or("something else")));
            }
            _ => {}
        }
        if outcome.hesitation_before {
            found.push("hesitation before".to_string());
        }
        if outcome.stumble_before {
            found.push("unclear speech before".to_string());
        }
        for (heard, verdict) in outcome.extras_before.iter().zip(&self.extra_verdicts) {
            let what = match verdict {
                Verdict::Filler => "filler before".to_string(),
                Verdict::Repeated => "went back before".to_string(),
                Verdict::FalseStart => "false start".to_string(),
                _ => format!("added \"{heard}\" before"),
            };
            if !found.contains(&what) {
                found.push(what);
            }
        }
        found
    }
}

/// One outcome per script word (`script_words` of them), from the report's entries. Extra words
/// belong to the script word they come before; extra words after the last script word belong to
/// none, and an insertion the rescorer judged never said is left out, as the report's counts leave
/// it out. A script word the report lacks (a report that does not fit its script) counts as
/// skipped.
pub(crate) fn observe(report: &TakeReport, script_words: usize) -> Vec<Observed> {
    let mut observed: Vec<Observed> = (0..script_words)
        .map(|_| Observed {
            outcome: WordOutcome {
                verdict: Verdict::Skipped,
                heard: None,
                hesitation_before: false,
                stumble_before: false,
                extras_before: Vec::new(),
            },
            extra_verdicts: Vec::new(),
        })
        .collect();
    let mut extras: Vec<String> = Vec::new();
    let mut extra_verdicts: Vec<Verdict> = Vec::new();
    for word in &report.words {
        match word.script_index {
            None => {
                if word.verdict == Verdict::Inserted && word.rescored {
                    continue;
                }
                extras.push(word.heard.clone().unwrap_or_default());
                extra_verdicts.push(word.verdict);
            }
            Some(index) => {
                let Some(slot) = observed.get_mut(index) else { continue };
                slot.outcome.verdict = word.verdict;
                slot.outcome.heard = word.heard.clone();
                slot.outcome.stumble_before = word.possible_stumble;
                slot.outcome.extras_before = std::mem::take(&mut extras);
                slot.extra_verdicts = std::mem::take(&mut extra_verdicts);
            }
        }
    }
    for hesitation in &report.hesitations {
        if let Some(slot) = hesitation.before_script_index.and_then(|index| observed.get_mut(index)) {
            slot.outcome.hesitation_before = true;
        }
    }
    for stumble in &report.stumbles {
        if let Some(slot) = stumble.before_script_index.and_then(|index| observed.get_mut(index)) {
            slot.outcome.stumble_before = true;
        }
    }
    observed
}

/// The last script word said (rightly or not): a take that stopped early never tried the words
/// after it.
pub(crate) fn last_said(observed: &[Observed]) -> Option<usize> {
    observed.iter().rposition(|o| o.outcome.verdict.is_said())
}

#[cfg(test)]
mod tests {
    use super::*;
    use encore_take::testing::take;

    #[test]
    fn extras_and_pauses_belong_to_the_next_script_word() {
        let (report, script) = take("ask not what your country", ". . . r:ask r:not f:um h . m:county");
        let observed = observe(&report, script.len());
        let outcomes: Vec<&WordOutcome> = observed.iter().map(|o| &o.outcome).collect();
        assert!(!outcomes[0].trouble() && !outcomes[2].trouble());
        assert_eq!(outcomes[3].extras_before, ["ask", "not", "um"]);
        assert!(outcomes[3].hesitation_before && outcomes[3].trouble());
        assert_eq!(observed[3].troubles(), ["hesitation before", "went back before", "filler before"]);
        assert_eq!(outcomes[4].verdict, Verdict::Misread);
        assert_eq!(observed[4].troubles(), ["misread as \"county\""]);
    }

    #[test]
    fn a_withdrawn_insertion_is_no_trouble() {
        let (mut report, script) = take("one two", ". i:too .");
        report.words[1].rescored = true;
        assert!(!observe(&report, script.len())[1].outcome.trouble());
    }
}
