//! Drills: the stretches of the script that went wrong, cut out to be practised alone until they
//! stick. A drill is the troubled words with a word or two of context on either side, so that
//! the performer practises getting into and out of the hard part, and never more than a line or
//! two, so that one attempt takes seconds. How an attempt went is heard, not asked: clean is
//! Good, one stumble Hard, more (or a wrong word) Again.

use encore_script::Script;
use encore_take::{Rating, TakeReport, Verdict};

use crate::script_map;
use crate::word_outcome::{Observed, last_said, observe};

/// Words of context on each side of the troubled words.
const CONTEXT: usize = 2;
/// A drill never spans more words than this...
const MOST_WORDS: usize = 24;
/// ...nor more lines.
const MOST_LINES: usize = 2;
/// A clean attempt within this ratio of the performer's usual pace is Easy.
const USUAL_PACE: std::ops::RangeInclusive<f64> = 0.85..=1.2;
/// Too few words or seconds to tell a pace.
const FEWEST_WORDS_FOR_PACE: usize = 3;
const SHORTEST_FOR_PACE: f64 = 0.5;

/// A stretch of a script: its first and last word (inclusive), script indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stretch {
    pub first_word: usize,
    pub last_word: usize,
}

impl Stretch {
    /// True when the two stretches share a word.
    pub fn overlaps(&self, other: &Stretch) -> bool {
        self.first_word <= other.last_word && other.first_word <= self.last_word
    }

    /// The stretch's words as written, a line break where the script's line changes, so that the
    /// stretch read alone as a script keeps its lines.
    pub fn text(&self, script: &Script) -> String {
        let words = &script.words()[self.first_word..=self.last_word.min(script.len().saturating_sub(1))];
        let mut text = String::new();
        for (i, word) in words.iter().enumerate() {
            if i > 0 {
                text.push(if word.line != words[i - 1].line { '\n' } else { ' ' });
            }
            text.push_str(&word.text);
        }
        text
    }
}

/// The stretches of `script` to drill after a take: every word the performer had trouble with
/// (said wrong, skipped, or with a hesitation, a stumble or extra words before it), with
/// `CONTEXT` words either side; stretches that overlap or touch are one drill while it stays
/// within two lines and `MOST_WORDS`. `prompted` are the words the prompter had to show again,
/// trouble too. Words after the last one said are not trouble: the take stopped before them.
pub fn drill_stretches(report: &TakeReport, script: &Script, prompted: &[usize]) -> Vec<Stretch> {
    let observed = observe(report, script.len());
    let Some(reached) = last_said(&observed) else { return Vec::new() };
    let words = script.words();
    let mut stretches: Vec<Stretch> = Vec::new();
    for index in (0..=reached).filter(|&index| observed[index].outcome.trouble() || prompted.contains(&index)) {
        let wanted =
            Stretch { first_word: index.saturating_sub(CONTEXT), last_word: (index + CONTEXT).min(script.len() - 1) };
        if let Some(last) = stretches.last_mut() {
            let merged = Stretch { first_word: last.first_word, last_word: wanted.last_word };
            let lines = words[merged.last_word].line - words[merged.first_word].line + 1;
            if wanted.first_word <= last.last_word + 1 {
                if merged.last_word - merged.first_word < MOST_WORDS && lines <= MOST_LINES {
                    *last = merged;
                    continue;
                }
                // Too long to be one drill. A word the last drill already holds stays there; a
                // word past it starts the next drill, after the last one ends.
                if index > last.last_word {
                    let first_word = last.last_word + 1;
                    stretches.push(Stretch { first_word, last_word: wanted.last_word });
                }
                continue;
            }
        }
        stretches.push(wanted);
    }
    stretches
}

/// Where `stretch` of `from` is in `to`, an edited version of the same script: `None` when a word
/// of it was changed or removed, or words were put between them. A drill whose words are still
/// all there, in order and together, moves; any other is retired.
pub fn moved_stretch(stretch: Stretch, from: &Script, to: &Script) -> Option<Stretch> {
    let mapped = script_map::map(from, to);
    let first_word = mapped.iter().position(|&from_index| from_index == Some(stretch.first_word))?;
    let length = stretch.last_word - stretch.first_word + 1;
    let together = (0..length).all(|k| mapped.get(first_word + k) == Some(&Some(stretch.first_word + k)));
    together.then_some(Stretch { first_word, last_word: first_word + length - 1 })
}

/// How the stretch went in a take of the whole piece, as the rating of a review of its drill;
/// `None` when the take stopped before the end of the stretch. `usual_wpm` is the performer's
/// usual pace on this piece.
pub fn rate_stretch(report: &TakeReport, script: &Script, stretch: Stretch, usual_wpm: Option<f64>) -> Option<Rating> {
    let observed = observe(report, script.len());
    if last_said(&observed).is_none_or(|reached| reached < stretch.last_word) {
        return None;
    }
    Some(rate(report, &observed, stretch, usual_wpm))
}

/// How an attempt at a drill went, judged against the drill's own words as a script: every
/// word must be said, so an attempt cut short is Again.
pub fn rate_attempt(report: &TakeReport, script: &Script, usual_wpm: Option<f64>) -> Rating {
    if script.is_empty() {
        return Rating::Again;
    }
    let observed = observe(report, script.len());
    rate(report, &observed, Stretch { first_word: 0, last_word: script.len() - 1 }, usual_wpm)
}

fn rate(report: &TakeReport, observed: &[Observed], stretch: Stretch, usual_wpm: Option<f64>) -> Rating {
    let outcomes = &observed[stretch.first_word..=stretch.last_word];
    let wrong = outcomes.iter().any(|o| o.outcome.verdict != Verdict::Correct);
    let stumbles = outcomes.iter().filter(|o| o.outcome.trouble()).count();
    match (wrong, stumbles) {
        (true, _) | (false, 2..) => Rating::Again,
        (false, 1) => Rating::Hard,
        (false, _) => {
            let pace = pace(report, stretch).zip(usual_wpm).map(|(wpm, usual)| wpm / usual);
            if pace.is_some_and(|ratio| USUAL_PACE.contains(&ratio)) { Rating::Easy } else { Rating::Good }
        }
    }
}

/// Words per minute over the stretch, from the first said word's start to the last's end.
fn pace(report: &TakeReport, stretch: Stretch) -> Option<f64> {
    let said: Vec<(f64, f64)> = report
        .words
        .iter()
        .filter(|w| w.script_index.is_some_and(|i| (stretch.first_word..=stretch.last_word).contains(&i)))
        .filter(|w| w.verdict.is_said())
        .filter_map(|w| w.start.zip(w.end))
        .collect();
    let (first, last) = (said.first()?, said.last()?);
    let seconds = last.1 - first.0;
    (said.len() >= FEWEST_WORDS_FOR_PACE && seconds >= SHORTEST_FOR_PACE).then(|| said.len() as f64 * 60.0 / seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use encore_take::testing::take;

    const SCRIPT: &str = "four score and seven years ago\nour fathers brought forth on this continent\na new nation";

    fn stretches(marks: &str) -> Vec<(usize, usize)> {
        let (report, script) = take(SCRIPT, marks);
        drill_stretches(&report, &script, &[]).iter().map(|s| (s.first_word, s.last_word)).collect()
    }

    #[test]
    fn a_slip_becomes_a_drill_with_two_words_either_side() {
        // "seven" (3) skipped: the drill runs from "score" (1) to "ago" (5).
        assert_eq!(stretches(". . . x"), [(1, 5)]);
        let (report, script) = take(SCRIPT, ". . . x");
        assert_eq!(drill_stretches(&report, &script, &[])[0].text(&script), "score and seven years ago");
    }

    #[test]
    fn overlapping_trouble_is_one_drill_and_its_text_keeps_the_line_break() {
        // A hesitation before "our" (6) and "fathers" (7) misread: one drill over the line break.
        let (report, script) = take(SCRIPT, ". . . . . . h . m:feathers");
        let found = drill_stretches(&report, &script, &[]);
        assert_eq!(found, [Stretch { first_word: 4, last_word: 9 }]);
        assert_eq!(found[0].text(&script), "years ago\nour fathers brought forth");
    }

    #[test]
    fn trouble_far_apart_makes_two_drills_and_a_clean_take_none() {
        assert_eq!(stretches(". x . . . . . . . . . . . m:gnu"), [(0, 3), (11, 15)]);
        assert!(stretches("").is_empty());
    }

    #[test]
    fn words_after_the_take_stopped_are_not_trouble_and_prompts_are() {
        let (report, script) = take("one two three four five six seven eight nine ten", ". . . x x x x x x x");
        assert!(drill_stretches(&report, &script, &[]).is_empty(), "the take stopped after three");
        assert_eq!(drill_stretches(&report, &script, &[1]), [Stretch { first_word: 0, last_word: 3 }]);
    }

    #[test]
    fn a_drill_never_grows_past_two_lines() {
        let script = "a b c\nd e f\ng h i\nj k l";
        // Trouble at every other word: merging all of it would cover four lines.
        let (report, parsed) = take(script, "m:x . m:x . m:x . m:x . m:x . m:x .");
        let found = drill_stretches(&report, &parsed, &[]);
        assert!(found.len() >= 2, "{found:?}");
        for stretch in &found {
            let words = parsed.words();
            assert!(words[stretch.last_word].line - words[stretch.first_word].line < MOST_LINES, "{stretch:?}");
        }
        assert!(found.windows(2).all(|pair| pair[0].last_word < pair[1].first_word), "{found:?}");
    }

    #[test]
    fn a_stretch_moves_with_its_words_and_is_lost_when_they_change() {
        let from = Script::parse(SCRIPT).unwrap();
        let stretch = Stretch { first_word: 1, last_word: 5 };
        let moved = |edited: &str| moved_stretch(stretch, &from, &Script::parse(edited).unwrap());
        let edited = "Now four score and seven years ago\nour fathers brought forth on this continent";
        assert_eq!(moved(edited), Some(Stretch { first_word: 2, last_word: 6 }));
        assert_eq!(moved("four score and eight years ago our fathers"), None, "a word of it changed");
        assert_eq!(moved("four score and seven long years ago our fathers"), None, "a word came between");
    }

    #[test]
    fn an_attempt_is_rated_by_its_stumbles() {
        let rated = |marks: &str, usual: Option<f64>| {
            let (report, script) = take("score and seven years ago", marks);
            rate_attempt(&report, &script, usual)
        };
        assert_eq!(rated(". . . . .", None), Rating::Good);
        // Each word lasts 0.3 s with 0.1 s between: five words in 1.9 s, about 158 words a minute.
        assert_eq!(rated(". . . . .", Some(150.0)), Rating::Easy);
        assert_eq!(rated(". . . . .", Some(60.0)), Rating::Good, "much faster than usual is not easy");
        assert_eq!(rated(". . h . .", None), Rating::Hard);
        assert_eq!(rated(". f:um . h . .", None), Rating::Again);
        assert_eq!(rated(". . m:eleven . .", None), Rating::Again);
        assert_eq!(rated(". . . x x", None), Rating::Again, "cut short");
    }

    #[test]
    fn a_whole_take_reviews_the_stretches_it_reached() {
        let (report, script) = take(SCRIPT, ". . . . . . . . . x x x x x x x");
        let early = Stretch { first_word: 1, last_word: 5 };
        let late = Stretch { first_word: 11, last_word: 14 };
        assert_eq!(rate_stretch(&report, &script, early, None), Some(Rating::Good));
        assert_eq!(rate_stretch(&report, &script, late, None), None);
        let (report, script) = take(SCRIPT, ". . . r:seven .");
        assert_eq!(rate_stretch(&report, &script, early, None), Some(Rating::Hard));
    }
}
