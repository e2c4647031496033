//! Spans of the script that keep going wrong. One slip in one take is chance; the same words
//! tripping the performer up take after take is what to practise. Each take's trouble is placed on
//! the current script (words matched between versions by their spoken form), words with trouble in
//! at least two takes are gathered into spans, and the spans that went wrong in the most takes come
//! first.

use encore_script::Script;
use encore_take::TakeReport;
use serde::Serialize;

use crate::script_map;
use crate::word_outcome::observe;

/// The most trouble spots returned.
const KEPT: usize = 10;
/// A word is a trouble spot when it went wrong in at least this many takes.
const AT_LEAST: usize = 2;
/// Troubled words at most this many words apart (one clean word between them) form one span.
const JOIN_GAP: usize = 1;

/// A span of the script that went wrong in several takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TroubleSpot {
    /// The first word of the span, an index in the current script.
    pub first_index: usize,
    /// The last word of the span (inclusive), an index in the current script.
    pub last_index: usize,
    /// The line of the span's first word, from 1.
    pub line: usize,
    /// The script words of the span, as written, joined by spaces.
    pub text: String,
    /// Takes with trouble somewhere in the span.
    pub takes: usize,
    /// Takes whose script had (some of) the span's words.
    pub of_takes: usize,
    /// What went wrong and in how many takes, most frequent first: `("skipped", 3)`,
    /// `("hesitation before", 2)`, `("misread as \"within\"", 1)`.
    pub how: Vec<(String, usize)>,
}

/// The spans of `current` that went wrong in at least two of the `takes` (each with the script it
/// was read against), the spans with trouble in the most takes first, then in script order; at
/// most ten. Troubled words with at most one word between them form one span.
pub fn trouble(takes: &[(&TakeReport, &Script)], current: &Script) -> Vec<TroubleSpot> {
    // For each take, the kinds of trouble at each current word (empty: none, or not in its script)
    // and which current words its script had.
    let mut seen: Vec<Vec<Vec<String>>> = Vec::with_capacity(takes.len());
    let mut present: Vec<Vec<bool>> = Vec::with_capacity(takes.len());
    for (report, script) in takes {
        let observed = observe(report, script.len());
        let mapped = script_map::map(script, current);
        present.push(mapped.iter().map(Option::is_some).collect());
        seen.push(
            mapped
                .iter()
                .map(|from| from.and_then(|index| observed.get(index)).map(|o| o.troubles()).unwrap_or_default())
                .collect(),
        );
    }
    let troubled_takes = |index: usize| seen.iter().filter(|take| !take[index].is_empty()).count();

    let mut spans: Vec<(usize, usize)> = Vec::new();
    for index in (0..current.len()).filter(|&index| troubled_takes(index) >= AT_LEAST) {
        match spans.last_mut() {
            Some((_, last)) if index - *last <= JOIN_GAP + 1 => *last = index,
            _ => spans.push((index, index)),
        }
    }

    let words = current.words();
    let mut spots: Vec<TroubleSpot> = spans
        .into_iter()
        .map(|(first, last)| {
            let range = first..=last;
            let mut how: Vec<(String, usize)> = Vec::new();
            let mut takes_here = 0;
            for take in &seen {
                // Each kind of trouble counts once per take, however many words of the span it hit.
                let mut kinds: Vec<&String> = Vec::new();
                for kind in take[range.clone()].iter().flatten() {
                    if !kinds.contains(&kind) {
                        kinds.push(kind);
                    }
                }
                takes_here += usize::from(!kinds.is_empty());
                for kind in kinds {
                    match how.iter_mut().find(|(known, _)| known == kind) {
                        Some((_, count)) => *count += 1,
                        None => how.push((kind.clone(), 1)),
                    }
                }
            }
            // Most frequent first; a stable sort keeps ties in the order they were met.
            how.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
            TroubleSpot {
                first_index: first,
                last_index: last,
                line: words[first].line,
                text: words[range.clone()].iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" "),
                takes: takes_here,
                of_takes: present.iter().filter(|take| take[range.clone()].iter().any(|&p| p)).count(),
                how,
            }
        })
        .collect();
    spots.sort_by(|a, b| b.takes.cmp(&a.takes).then(a.first_index.cmp(&b.first_index)));
    spots.truncate(KEPT);
    spots
}

#[cfg(test)]
mod tests {
    use super::*;
    use encore_take::testing::take;

    const SCRIPT: &str = "four score and seven years ago our fathers brought forth on this continent";

    fn spots(marks: &[&str]) -> Vec<TroubleSpot> {
        let takes: Vec<(TakeReport, Script)> = marks.iter().map(|marks| take(SCRIPT, marks)).collect();
        let pairs: Vec<(&TakeReport, &Script)> = takes.iter().map(|(r, s)| (r, s)).collect();
        trouble(&pairs, &takes[0].1)
    }

    #[test]
    fn often_skipped_ranks_above_a_hesitation_twice_and_a_one_off_is_ignored() {
        // "seven" skipped in 3 of 4 takes; a hesitation before "fathers" in 2; "brought" misread
        // once.
        let found = spots(&[". . . x . . . h . .", ". . . x . . . h . m:bought", ". . . x", ". . . . . . . . ."]);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!((found[0].first_index, found[0].last_index, found[0].text.as_str()), (3, 3, "seven"));
        assert_eq!((found[0].takes, found[0].of_takes, found[0].line), (3, 4, 1));
        assert_eq!(found[0].how, [("skipped".to_string(), 3)]);
        assert_eq!((found[1].first_index, found[1].text.as_str(), found[1].takes), (7, "fathers", 2));
        assert_eq!(found[1].how, [("hesitation before".to_string(), 2)]);
    }

    #[test]
    fn neighbouring_trouble_forms_one_span() {
        // "years" and "our" (one clean word between) trip up all three takes; "seven" goes wrong
        // in take 2 only, "on" in take 2 only: neither starts nor extends a span.
        let found = spots(&[". . . . m:ears . f:um", ". . . x h . . f:uh . . . . m:in", ". . . . x . x"]);
        assert_eq!(found.len(), 1, "{found:#?}");
        let spot = &found[0];
        assert_eq!((spot.first_index, spot.last_index), (4, 6));
        assert_eq!(spot.text, "years ago our");
        assert_eq!((spot.takes, spot.of_takes, spot.line), (3, 3, 1));
        assert_eq!(
            spot.how,
            [
                ("filler before".to_string(), 2),
                ("misread as \"ears\"".to_string(), 1),
                ("hesitation before".to_string(), 1),
                ("skipped".to_string(), 1),
            ],
            "a take that skipped two words of the span counts once"
        );
    }

    #[test]
    fn one_take_is_no_pattern() {
        assert!(spots(&["x x x m:a"]).is_empty());
    }

    #[test]
    fn trouble_is_placed_on_the_current_script() {
        let old = take(SCRIPT, ". . . x");
        let older = take(SCRIPT, ". . . m:eleven");
        let current = Script::parse("Four score and seven long years ago our fathers brought forth").unwrap();
        let found = trouble(&[(&older.0, &older.1), (&old.0, &old.1)], &current);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].first_index, found[0].text.as_str(), found[0].takes), (3, "seven", 2));
        assert_eq!(found[0].how, [("misread as \"eleven\"".to_string(), 1), ("skipped".to_string(), 1)]);
    }
}
