//! How well each word of the script is known by heart, from the takes. The prompter that fades
//! hides what the performer has learnt and keeps in view what they have not; this is where it
//! learns which is which.
//!
//! A word is *mastered in a take* when it was said right with nothing troubling it: no
//! hesitation, filler, unclear speech, repetition, false start or insertion just before it, and
//! no prompt there (the hidden words had not had to be shown again at it). Its mastery is the
//! weighted share of the last five takes that had it in which it was mastered, the latest weighing
//! 1, the one before 0.6, then 0.36, 0.216 and 0.13 (each 0.6 of the next), and the share is of all
//! five weights, not only of the takes there were:
//!
//! - *The last five, the latest most.* Memory changes: a word fixed last week is known now, and a
//!   word that slipped in the latest take should come back into view whatever happened before.
//!   With these weights, a slip in the latest take of five clean ones leaves 0.57 (dimmed, shown),
//!   while a slip four takes back still leaves 0.94.
//! - *Of all five weights.* One clean take is little evidence (it may have been read off the
//!   page), so mastery grows take by take: 0.43 after one clean take, 0.69 after two, 0.85 after
//!   three, 1 after five. The stage hides a word at 0.8: three clean takes in a row.
//! - *Only takes that reached the word.* Words after the last one said in a take (a take stopped
//!   early) were never tried there: that take says nothing of them, and takes whose script lacked
//!   the word neither. A word never tried is 0.
//!
//! Takes read against older versions of the script count for the words the current version shares
//! with them (matched by their spoken form, as trouble spots are).

use encore_script::Script;
use encore_take::TakeReport;

use crate::script_map;
use crate::word_outcome::{last_said, observe};

/// How many of a word's latest takes count.
const TAKES_COUNTED: usize = 5;
/// Each take weighs this much of the one after it.
const OLDER_WEIGHS: f64 = 0.6;

/// For each word of `current`, how well it is known by heart, 0 to 1, from `takes` (each with the
/// script it was read against, oldest first, as the store lists a piece's takes): the weighted
/// share of its last five takes in which it was said right with no trouble before it and no
/// prompt at it, the latest weighing most (see the module's comment for why).
pub fn mastery(takes: &[(&TakeReport, &Script)], current: &Script) -> Vec<f64> {
    // For each current word, whether it was mastered in each take that tried it, latest first.
    let mut tried: Vec<Vec<bool>> = vec![Vec::new(); current.len()];
    for (report, script) in takes.iter().rev() {
        let mastered = mastered_in(report, script);
        for (index, from) in script_map::map(script, current).into_iter().enumerate() {
            if let Some(Some(mastered)) = from.map(|from| mastered.get(from).copied().flatten())
                && tried[index].len() < TAKES_COUNTED
            {
                tried[index].push(mastered);
            }
        }
    }
    let weights: Vec<f64> = (0..TAKES_COUNTED).map(|age| OLDER_WEIGHS.powi(age as i32)).collect();
    let all: f64 = weights.iter().sum();
    tried
        .iter()
        // An empty sum is -0.0 in Rust; adding 0.0 makes it the 0 a page expects.
        .map(|takes| {
            (takes.iter().zip(&weights).filter(|(mastered, _)| **mastered).map(|(_, w)| w).sum::<f64>() + 0.0) / all
        })
        .collect()
}

/// For each word of a take's script: `Some(true)` when it was mastered in the take, `Some(false)`
/// when not, `None` when the take never reached it.
fn mastered_in(report: &TakeReport, script: &Script) -> Vec<Option<bool>> {
    let observed = observe(report, script.len());
    let reached = last_said(&observed).map_or(0, |last| last + 1);
    let prompts: &[usize] = report.prompter.as_ref().map_or(&[], |used| &used.prompts);
    observed
        .iter()
        .enumerate()
        .map(|(index, o)| (index < reached).then(|| !o.outcome.trouble() && !prompts.contains(&index)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use encore_take::testing::take;
    use encore_take::{PrompterMode, PrompterUsed};

    const SCRIPT: &str = "four score and seven years ago\nour fathers brought forth on this continent";

    fn mastery_of(marks: &[&str]) -> Vec<f64> {
        let takes: Vec<(TakeReport, Script)> = marks.iter().map(|marks| take(SCRIPT, marks)).collect();
        let pairs: Vec<(&TakeReport, &Script)> = takes.iter().map(|(r, s)| (r, s)).collect();
        mastery(&pairs, &Script::parse(SCRIPT).unwrap())
    }

    fn near(value: f64, expected: f64) -> bool {
        (value - expected).abs() < 0.005
    }

    #[test]
    fn mastery_grows_with_each_clean_take_and_counts_the_last_five() {
        let clean = ". . . . . . . . . . . . .";
        assert!(mastery_of(&[]).iter().all(|&m| m == 0.0 && m.is_sign_positive()), "no takes, nothing known");
        let grows: Vec<f64> = (1..=6).map(|n| mastery_of(&vec![clean; n])[0]).collect();
        let expected = [0.434, 0.694, 0.850, 0.944, 1.0, 1.0];
        for (got, want) in grows.iter().zip(expected) {
            assert!(near(*got, want), "{grows:?}");
        }
        assert!(mastery_of(&[clean; 3]).iter().all(|&m| m >= 0.8), "three clean takes hide every word");
    }

    #[test]
    fn the_latest_take_weighs_most() {
        let clean = ". . . . . . . . . . . . .";
        let slip = ". . . x";
        let slipped_last = mastery_of(&[clean, clean, clean, clean, slip]);
        let slipped_first = mastery_of(&[slip, clean, clean, clean, clean]);
        assert!(near(slipped_last[3], 0.566), "{}", slipped_last[3]);
        assert!(near(slipped_first[3], 0.944), "{}", slipped_first[3]);
        assert_eq!(slipped_last[2], 1.0, "the words around it are untouched");
        // A slip six takes back no longer counts.
        assert_eq!(mastery_of(&[slip, clean, clean, clean, clean, clean])[3], 1.0);
    }

    #[test]
    fn trouble_before_a_word_means_it_was_not_known() {
        // A hesitation before "seven", a filler before "ago", unclear speech before "fathers", a
        // misread "brought", a false start at "on", "our" said again before "this".
        let found = mastery_of(&[". . . h . . f:um . . ? . m:bought . s:o . r:our . ."]);
        let known: Vec<usize> = (0..found.len()).filter(|&i| found[i] > 0.0).collect();
        assert_eq!(known, [0, 1, 2, 4, 6, 9, 12], "{found:?}");
    }

    #[test]
    fn a_prompt_means_the_word_was_not_known_there() {
        let takes: Vec<(TakeReport, Script)> = (0..2).map(|_| take(SCRIPT, "")).collect();
        let (mut prompted, script) = take(SCRIPT, "");
        prompted.prompter = Some(PrompterUsed { mode: PrompterMode::Fading, hidden_words: 13, prompts: vec![7] });
        let mut pairs: Vec<(&TakeReport, &Script)> = takes.iter().map(|(r, s)| (r, s)).collect();
        pairs.push((&prompted, &script));
        let found = mastery(&pairs, &script);
        assert!(near(found[7], 0.416), "{}", found[7]);
        assert!(near(found[6], 0.850) && near(found[8], 0.850), "{found:?}");
    }

    #[test]
    fn words_a_take_never_reached_are_not_held_against_it() {
        // The second take stopped after "years": it says nothing of the words after.
        let found = mastery_of(&[". . . . . . . . . . . . .", ". . . . . x x x x x x x x"]);
        assert!(near(found[4], 0.694) && near(found[12], 0.434), "{found:?}");
        // A word skipped with words said after it was forgotten.
        let found = mastery_of(&[". . x . . . . . . . . . ."]);
        assert!(near(found[1], 0.434) && found[2] == 0.0, "{found:?}");
    }

    #[test]
    fn mastery_is_placed_on_the_current_script() {
        let (old, old_script) = take(SCRIPT, ". . . h");
        let current = Script::parse("four score and seven long years ago\nour fathers").unwrap();
        let found = mastery(&[(&old, &old_script)], &current);
        assert_eq!(found.len(), current.len());
        assert!(near(found[0], 0.434) && near(found[5], 0.434));
        assert_eq!((found[3], found[4]), (0.0, 0.0), "hesitated before, and new");
    }
}
