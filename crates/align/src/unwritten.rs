//! Fillers the recogniser left unwritten. Whisper writes the sentence it expects, and an "um"
//! between two words is often dropped, its time taken by the words around it. Where a word and
//! the silence before it last longer than its sounds need, the model is asked whether an "um" or
//! an "uh" before that word, or before the next one, fits the audio nearly as well as the words
//! as heard; where it does, the filler goes into the report.

use encore_take::{TakeWord, Verdict};

use crate::Rescorer;
use crate::analyze::{extra_entry, heard_end_before};
use crate::token::Token;

/// A word is looked into when it and the silence before it last this much longer (seconds)
/// than [`SECONDS_PER_SOUND`] for each of its sounds. Asking before every word found no more
/// fillers and more that were not there (spliced set: F1 0.64 against 0.71).
const LONGER_THAN_ITS_SOUNDS: f64 = 0.3;

/// A sound's time at an unhurried reading pace. Fixed rather than the take's own pace, so that
/// the words looked into do not change as a live take goes on: the questions asked while it is
/// recorded are the ones its report asks again, answered already. The take's median pace
/// chose the same fillers (align-eval) and asked more questions.
const SECONDS_PER_SOUND: f64 = 0.08;

/// The least likelihood, against the heard reading, that makes a filler heard: odds of 1 to
/// 150. The heard reading is what the decoder chose, so a reading it found nearly as likely is
/// strong evidence; on align-eval, 0.0025 found more fillers but flagged read words, 0.018 fewer.
const FILLER_BAR: f32 = 0.0067;

/// How sure a filler found this way is: on the spliced set, 0.90 of them were there.
const FOUND_CONFIDENCE: f32 = 0.9;

/// The spellings asked about, as the verbatim prompt writes them.
const FILLERS: [&str; 2] = ["um,", "uh,"];

/// Asks the rescorer about the words that last too long for their sounds, and puts the fillers it
/// hears before them into `words`.
pub(crate) fn find_unwritten_fillers(words: &mut Vec<TakeWord>, script_tokens: &[Token], rescorer: &dyn Rescorer) {
    let sounds = |entry: &TakeWord| {
        entry.script_index.and_then(|k| script_tokens.get(k)).map_or(1, |t| t.phones.len().max(1)) as f64
    };
    // Each word heard right: from the end of the entry before to its own end.
    let stretches: Vec<Option<f64>> = (0..words.len())
        .map(|at| {
            let entry = &words[at];
            // A word the rescorer put back has times shared out, not heard.
            let heard = entry.verdict == Verdict::Correct && entry.script_index.is_some() && !entry.rescored;
            let end = entry.end.filter(|_| heard)?;
            let before = heard_end_before(words, at).unwrap_or(entry.start.unwrap_or(end));
            Some((end - before).max(0.0))
        })
        .collect();
    // The filler may be in the long word's time or at its end: before it, or before the next.
    let mut before: Vec<usize> = Vec::new();
    for (at, stretch) in stretches.iter().enumerate() {
        if stretch.is_some_and(|s| s - SECONDS_PER_SOUND * sounds(&words[at]) >= LONGER_THAN_ITS_SOUNDS) {
            for next in [at, at + 1] {
                if stretches.get(next).is_some_and(Option::is_some) && !before.contains(&next) {
                    before.push(next);
                }
            }
        }
    }

    let mut found: Vec<(usize, &str, f32)> = Vec::new();
    before.sort_unstable();
    for at in before {
        let Some(start) = words[at].start else { continue };
        let heard = FILLERS
            .iter()
            .filter_map(|filler| Some((*filler, rescorer.prefer_extra(start, &[filler])?)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((filler, p)) = heard.filter(|&(_, p)| p >= FILLER_BAR) else { continue };
        // One long stretch is one filler: heard before a word and before the next, it is put
        // where the model hears it likelier.
        match found.last_mut() {
            Some(last) if last.0 + 1 == at => {
                if p > last.2 {
                    *last = (at, filler, p);
                }
            }
            _ => found.push((at, filler, p)),
        }
    }
    for (at, filler, _) in found.into_iter().rev() {
        let from = heard_end_before(words, at).unwrap_or(0.0);
        let to = words[at].start.unwrap_or(from).max(from);
        let heard = filler.trim_end_matches(',').to_string();
        let entry = extra_entry(heard, Verdict::Filler, (from, to), FOUND_CONFIDENCE, words[at].line);
        words.insert(at, entry);
    }
}
