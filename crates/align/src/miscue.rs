//! What a spoken word that is no script word was: a filler, a repetition, a false start or a plain
//! insertion. The alignment uses this both to price an insertion (so that the best path prefers
//! the believable explanation) and, after the path is found, to label it.

use encore_take::Verdict;
use serde::{Deserialize, Serialize};

use crate::Costs;
use crate::pronunciation::{begins_like, onset_alike, similarity};
use crate::token::Token;

/// The kind of a spoken word that stands for no script word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Miscue {
    /// A word said that is not in the script.
    Inserted,
    /// "um", "uh", "er" and the like, or a non-speech sound.
    Filler,
    /// Script words said again: the performer went back.
    Repeated,
    /// A fragment or a wrong word right before the word the performer meant.
    FalseStart,
}

impl From<Miscue> for Verdict {
    fn from(miscue: Miscue) -> Self {
        match miscue {
            Miscue::Inserted => Verdict::Inserted,
            Miscue::Filler => Verdict::Filler,
            Miscue::Repeated => Verdict::Repeated,
            Miscue::FalseStart => Verdict::FalseStart,
        }
    }
}

/// Labels a spoken word inserted before script word `next`, with its cost and the script word it
/// relates to (the word repeated or attempted). `similarity_to_next`, when the caller has it
/// already, is how alike the word sounds to script word `next`; `following` is the next heard
/// word that is not a filler, if any.
///
/// Going back repeats a run of script words up to the place reached: a word equal to the script
/// word just before is repeated, but one equal to a word further back is repeated only when the
/// word heard after it goes on with the script from there ("ask not ask not"); alone, it is a
/// word said that the script does not have here ("the" said twice in a sentence whose script
/// has it once).
///
/// A whole word that sounds nearly like the next script word is a false start only when the
/// word itself (or another attempt at it) is heard next: followed by some other word, it is the
/// script word misheard ("deceased his" for "decease": then "his" was said), not a start the
/// performer took again. A piece of the word ("Four" for "forced") or a word that sounds less
/// like it ("Orst") stays a start whatever follows: the recogniser mishears the word said after
/// a cut-off too. A piece of a word said just before is one by its letters, or by its sounds
/// when it is no word of the dictionary ("tho" after "thoughts", but not "that").
pub(crate) fn classify(
    heard: &Token,
    following: Option<&Token>,
    script: &[Token],
    next: usize,
    costs: &Costs,
    similarity_to_next: Option<f32>,
) -> (Miscue, f32, Option<usize>) {
    if heard.filler {
        return (Miscue::Filler, costs.filler, None);
    }
    let reach = next.saturating_sub(costs.repeat_reach)..next.min(script.len());
    let goes_on =
        |k: usize| k + 1 == next || following.is_some_and(|f| script.get(k + 1).is_some_and(|s| f.matches(s)));
    if let Some(index) = reach.clone().rev().find(|&k| heard.matches(&script[k]) && goes_on(k)) {
        return (Miscue::Repeated, costs.repeat, Some(index));
    }
    if let Some(target) = script.get(next)
        && !heard.matches(target)
        && (is_piece_of(heard, target)
            || (onset_alike(&heard.phones, &target.phones) && {
                // Nearly the word's own sound, it is the word misheard unless the word follows.
                let alike = similarity_to_next.unwrap_or_else(|| similarity(&heard.phones, &target.phones));
                alike >= costs.false_start_similarity
                    && (alike < costs.misheard_similarity
                        || following.is_none_or(|f| f.matches(target) || attempts(f, target, costs)))
            }))
    {
        return (Miscue::FalseStart, costs.false_start, Some(next));
    }
    let recent = next.saturating_sub(3)..next.min(script.len());
    if let Some(index) = recent.rev().find(|&k| {
        heard.is_prefix_of(&script[k]) || (!heard.pronounced && begins_like(&heard.phones, &script[k].phones))
    }) {
        return (Miscue::FalseStart, costs.false_start + 0.05, Some(index));
    }
    (Miscue::Inserted, costs.insert, None)
}

/// Whether `heard` is a piece of `target`: its first letters, or its first sounds.
fn is_piece_of(heard: &Token, target: &Token) -> bool {
    heard.is_prefix_of(target) || begins_like(&heard.phones, &target.phones)
}

/// Whether `heard` sounds like an attempt at `target` that is not `target` itself: a piece of
/// it, or a word that begins like it and sounds alike enough ("forest" before "forced").
fn attempts(heard: &Token, target: &Token, costs: &Costs) -> bool {
    !heard.matches(target)
        && (is_piece_of(heard, target)
            || (onset_alike(&heard.phones, &target.phones)
                && similarity(&heard.phones, &target.phones) >= costs.false_start_similarity))
}

/// The first heard word after `index` that is not a filler.
pub(crate) fn following(heard: &[Token], index: usize) -> Option<&Token> {
    heard.get(index + 1..)?.iter().find(|t| !t.filler)
}
