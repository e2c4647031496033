//! The designed disfluency recordings: the verbatim transcript (`.txt`, with markers) aligned to
//! the intended script (`.script.txt`) gives the extra words that really happened; the take
//! report's extra words are compared with them by kind and by place in the script (the index of
//! the next script word, give or take one).

use encore_script::{Script, fair_match};
use encore_take::{TakeReport, Verdict};

use crate::tally::{Tally, show};

/// The kinds of extra words compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Filler,
    Repetition,
    FalseStart,
    Insertion,
    /// Laughter or a non-word: neither counted as found nor as a false alarm.
    Ignored,
}

pub const KINDS: [Kind; 4] = [Kind::Filler, Kind::Repetition, Kind::FalseStart, Kind::Insertion];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Filler => "fillers",
            Kind::Repetition => "repetitions",
            Kind::FalseStart => "false starts",
            Kind::Insertion => "insertions",
            Kind::Ignored => "ignored",
        }
    }
}

/// One extra word, placed before the script word with index `position`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub kind: Kind,
    pub position: usize,
}

/// The extra words that really happened: the verbatim text walked against the script. A word
/// that is the next script word moves on; one of the last four script words said again is a
/// repetition; `uh`, `um`, `hm`, `er` are fillers; `<cutoff-X>` is a false start; `<hes-X>` is
/// the word X drawn out; `[laughter]` and `<unk>` are ignored; any other word is an insertion.
pub fn reference(script: &Script, verbatim: &str) -> Vec<Event> {
    let words: Vec<&str> = script.words().iter().map(|w| w.text.as_str()).collect();
    let mut next = 0;
    let mut events = Vec::new();
    for token in verbatim.split_whitespace() {
        let lower = token.to_lowercase();
        let kind = if lower.starts_with("<cutoff-") {
            Some(Kind::FalseStart)
        } else if matches!(lower.as_str(), "uh" | "um" | "hm" | "hmm" | "er" | "erm") {
            Some(Kind::Filler)
        } else if lower.starts_with('[') || lower == "<unk>" {
            Some(Kind::Ignored)
        } else {
            let word = lower.strip_prefix("<hes-").and_then(|w| w.strip_suffix('>')).unwrap_or(&lower);
            if next < words.len() && fair_match(&[words[next]], &[word]) {
                next += 1;
                None
            } else if (next.saturating_sub(4)..next).any(|j| fair_match(&[words[j]], &[word])) {
                Some(Kind::Repetition)
            } else {
                Some(Kind::Insertion)
            }
        };
        if let Some(kind) = kind {
            events.push(Event { kind, position: next });
        }
    }
    events
}

/// The extra words of a take report (an insertion the rescorer withdrew is not one).
pub fn predicted(report: &TakeReport) -> Vec<Event> {
    let mut events = Vec::new();
    for (at, word) in report.words.iter().enumerate() {
        let kind = match word.verdict {
            Verdict::Filler => Kind::Filler,
            Verdict::Repeated => Kind::Repetition,
            Verdict::FalseStart => Kind::FalseStart,
            Verdict::Inserted if !word.rescored => Kind::Insertion,
            _ => continue,
        };
        let position = report.words[at..].iter().find_map(|w| w.script_index).unwrap_or(report.script.words);
        events.push(Event { kind, position });
    }
    events
}

/// Pairs predictions with the reference one to one, same kind and within one script word,
/// nearest first. Returns the tally per kind in `KINDS` order, and one for any extra word
/// whatever its kind.
pub fn score(reference: &[Event], predicted: &[Event]) -> ([Tally; 4], Tally) {
    let mut per_kind = [Tally::default(); 4];
    for (slot, kind) in KINDS.iter().enumerate() {
        let truth: Vec<usize> = reference.iter().filter(|e| e.kind == *kind).map(|e| e.position).collect();
        let found: Vec<usize> = predicted.iter().filter(|e| e.kind == *kind).map(|e| e.position).collect();
        let (hits, unmatched) = pair(&truth, &found);
        // A prediction where laughter or a non-word was is neither right nor wrong.
        let ignored: Vec<usize> = reference.iter().filter(|e| e.kind == Kind::Ignored).map(|e| e.position).collect();
        let (_, false_alarms) = pair(&ignored, &unmatched);
        per_kind[slot] = Tally { hits, false_alarms: false_alarms.len(), misses: truth.len() - hits };
    }
    let truth: Vec<usize> = reference.iter().filter(|e| e.kind != Kind::Ignored).map(|e| e.position).collect();
    let found: Vec<usize> = predicted.iter().map(|e| e.position).collect();
    let (hits, unmatched) = pair(&truth, &found);
    let ignored: Vec<usize> = reference.iter().filter(|e| e.kind == Kind::Ignored).map(|e| e.position).collect();
    let (_, false_alarms) = pair(&ignored, &unmatched);
    (per_kind, Tally { hits, false_alarms: false_alarms.len(), misses: truth.len() - hits })
}

/// Matches found positions to true positions within one, exact matches first. Returns the number
/// matched and the found positions left over.
fn pair(truth: &[usize], found: &[usize]) -> (usize, Vec<usize>) {
    let mut used = vec![false; truth.len()];
    let mut left: Vec<usize> = found.to_vec();
    let mut hits = 0;
    for distance in 0..=1usize {
        left.retain(|&position| {
            let slot = (0..truth.len()).find(|&t| !used[t] && truth[t].abs_diff(position) == distance);
            match slot {
                Some(t) => {
                    used[t] = true;
                    hits += 1;
                    false
                }
                None => true,
            }
        });
    }
    (hits, left)
}

/// Prints extra words by kind, precision, recall and F1, one column per configuration
/// (`header` names them), with the truth counted from the first.
pub fn print_by_kind(tallies: &[[Tally; 4]], header: &str) {
    println!("{:<16} {:>5}{header}", "kind", "truth");
    let sub: String = tallies.iter().map(|_| format!(" | {:<6} {:<6} {:<8}", "P", "R", "F1")).collect();
    println!("{:<16} {:>5}{sub}", "", "");
    for (slot, kind) in KINDS.iter().enumerate() {
        let truth = tallies[0][slot].hits + tallies[0][slot].misses;
        let cells: String = tallies
            .iter()
            .map(|t| {
                let tally = t[slot];
                format!(" | {:<6} {:<6} {:<8}", show(tally.precision()), show(tally.recall()), show(tally.f1()))
            })
            .collect();
        println!("{:<16} {truth:>5}{cells}", kind.name());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(verbatim: &str) -> Vec<(Kind, usize)> {
        let script = Script::parse("montreal forced aligner").unwrap();
        reference(&script, verbatim).into_iter().map(|e| (e.kind, e.position)).collect()
    }

    #[test]
    fn the_reference_follows_the_markers() {
        use Kind::*;
        assert_eq!(kinds("montreal forced uh um forced aligner"), [(Filler, 2), (Filler, 2), (Repetition, 2)]);
        assert_eq!(
            kinds("<cutoff-montreal> montreal <hes-forced> aligner aligner"),
            [(FalseStart, 0), (Repetition, 3)]
        );
        assert_eq!(
            kinds("you know montreal [laughter] forced aligner"),
            [(Insertion, 0), (Insertion, 0), (Ignored, 1)]
        );
    }

    #[test]
    fn scoring_pairs_by_kind_and_place() {
        let e = |kind, position| Event { kind, position };
        let truth = [e(Kind::Filler, 2), e(Kind::Filler, 2), e(Kind::Ignored, 1)];
        let found = [e(Kind::Filler, 2), e(Kind::Filler, 0), e(Kind::Insertion, 3)];
        let (tallies, any) = score(&truth, &found);
        assert_eq!(
            (tallies[0].hits, tallies[0].false_alarms, tallies[0].misses),
            (1, 0, 1),
            "one filler hit, one on laughter"
        );
        assert_eq!((tallies[3].hits, tallies[3].false_alarms), (0, 1));
        assert_eq!((any.hits, any.false_alarms, any.misses), (2, 0, 0));
    }
}
