//! Stumbles the recogniser left unwritten. Whisper writes the sentence it expects: an "um"
//! between two words, or words said twice, are often dropped, their time taken by the words
//! around them. Where a word and the silence before it last longer than its sounds need, the
//! model is asked whether the words as heard, with a filler or words said again put in there,
//! fit the audio nearly as well as the words as heard; where one does, it goes into the report.
//!
//! A word's cut-off start is not asked about: tiny.en found the cut-off reading unlikely even
//! where one was spliced in (align-eval: 1 more of 75 false starts found), and the questions
//! cost a third of judging.

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

/// The same for words said again: odds of 1 to 500. The model finds a word said twice unlikely
/// text even where the audio holds it (spliced set: half the repetitions there get under
/// 1 to 10,000); 0.0067 found 0.50 of them, 0.0005 0.58 but flagged more read words (spliced
/// set: 179 against 170 of 8110).
const REPEAT_BAR: f32 = 0.002;

/// How sure a stumble found this way is: on the spliced set, 0.90 of the fillers found were
/// there, and 0.55 of the words found said again.
const FILLER_CONFIDENCE: f32 = 0.9;
const REPEAT_CONFIDENCE: f32 = 0.55;

/// The spellings asked about, as the verbatim prompt writes them.
const FILLERS: [&str; 2] = ["um,", "uh,"];

/// Words said twice take their sounds' time twice: a run is asked about only where its time
/// and the next word's hold the run's sounds this much more than once. Asking about every run
/// before a long word flagged words read right (true scripts: 44 against 41 of 2347); 0.5
/// flagged 43, 1.0 none more than without these questions.
const REPEAT_ROOM: f64 = 1.0;

/// The longest silence (seconds) counted as room for words said again.
const LONGEST_PAUSE_IN_ROOM: f64 = 1.0;

/// The longest run of words asked about as said twice.
const LONGEST_REPEAT: usize = 3;

/// What may have been said before a word, unwritten.
#[derive(Debug, Clone, PartialEq)]
enum Unwritten {
    Filler(&'static str),
    /// The entries from this one to the word asked before, said again.
    Repeat(usize),
}

impl Unwritten {
    fn bar(&self) -> f32 {
        match self {
            Unwritten::Filler(_) => FILLER_BAR,
            Unwritten::Repeat(_) => REPEAT_BAR,
        }
    }
}

/// Asks the rescorer about the words that last too long for their sounds, and puts the fillers
/// and the words said again that it hears before them into `words`.
pub(crate) fn find_unwritten_stumbles(words: &mut Vec<TakeWord>, script_tokens: &[Token], rescorer: &dyn Rescorer) {
    let sounds = |entry: &TakeWord| {
        entry.script_index.and_then(|k| script_tokens.get(k)).map_or(1, |t| t.phones.len().max(1)) as f64
    };
    // A word the rescorer put back has times shared out, not heard.
    let heard_right =
        |entry: &TakeWord| entry.verdict == Verdict::Correct && entry.script_index.is_some() && !entry.rescored;
    // Each word heard right: from the end of the entry before to its own end.
    let stretches: Vec<Option<f64>> = (0..words.len())
        .map(|at| {
            let entry = &words[at];
            let end = entry.end.filter(|_| heard_right(entry))?;
            let before = heard_end_before(words, at).unwrap_or(entry.start.unwrap_or(end));
            Some((end - before).max(0.0))
        })
        .collect();
    // The stumble may be in the long word's time or at its end: before it, or before the next.
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

    let mut found: Vec<(usize, Unwritten, f32)> = Vec::new();
    before.sort_unstable();
    for at in before {
        let Some(start) = words[at].start else { continue };
        let heard = readings_before(words, at, &heard_right, &sounds)
            .into_iter()
            .filter_map(|unwritten| {
                let extra = extra_words(words, at, &unwritten);
                let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
                let p = rescorer.prefer_extra(start, &extra)?;
                Some((unwritten, p))
            })
            .filter(|(unwritten, p)| *p >= unwritten.bar())
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((unwritten, p)) = heard else { continue };
        // One long stretch is one stumble: heard before a word and before the next, it is put
        // where the model hears it likelier.
        match found.last_mut() {
            Some(last) if last.0 + 1 == at => {
                if p > last.2 {
                    *last = (at, unwritten, p);
                }
            }
            _ => found.push((at, unwritten, p)),
        }
    }
    for (at, unwritten, _) in found.into_iter().rev() {
        put_in(words, at, &unwritten);
    }
}

/// What is asked before entry `at`: each filler; the one to [`LONGEST_REPEAT`] entries before it
/// said again, where they are script words heard right in a row, have the room, and are not a
/// whole line.
fn readings_before(
    words: &[TakeWord],
    at: usize,
    heard_right: &dyn Fn(&TakeWord) -> bool,
    sounds: &dyn Fn(&TakeWord) -> f64,
) -> Vec<Unwritten> {
    let mut readings: Vec<Unwritten> = FILLERS.iter().map(|f| Unwritten::Filler(f)).collect();
    for length in 1..=LONGEST_REPEAT.min(at) {
        let from = at - length;
        let run = &words[from..at];
        let in_a_row =
            run.windows(2).all(|pair| pair[0].script_index.zip(pair[1].script_index).is_some_and(|(a, b)| a + 1 == b));
        if !run.iter().all(heard_right) || !in_a_row {
            break;
        }
        // The words' own time, and the short silences between and before them: a longer one
        // is a pause, where the recogniser would have heard words said again.
        let mut room = 0.0;
        let mut last_end = heard_end_before(words, from);
        for word in &words[from..=at] {
            let (Some(start), Some(end)) = (word.start, word.end) else { continue };
            let silence = last_end.map_or(0.0, |last| (start - last).max(0.0));
            room += (end - start) + if silence <= LONGEST_PAUSE_IN_ROOM { silence } else { 0.0 };
            last_end = Some(end);
        }
        let needs: f64 = run.iter().map(sounds).sum::<f64>() * (1.0 + REPEAT_ROOM) + sounds(&words[at]);
        // A whole line is not asked about: a short one (a poem's number, a title) is read
        // slowly and set apart, which leaves room that no word said again took, and the model
        // heard "II" said twice in a clean reading of a sonnet.
        let line = run[0].line;
        let whole_line = run.iter().all(|w| w.line == line)
            && words[..from].iter().rev().find(|w| w.script_index.is_some()).is_none_or(|w| w.line != line)
            && words[at].line != line;
        if room >= SECONDS_PER_SOUND * needs && !whole_line {
            readings.push(Unwritten::Repeat(from));
        }
    }
    readings
}

/// The extra words of `unwritten` put before entry `at`, as the model is asked them.
fn extra_words(words: &[TakeWord], at: usize, unwritten: &Unwritten) -> Vec<String> {
    match unwritten {
        Unwritten::Filler(filler) => vec![filler.to_string()],
        Unwritten::Repeat(from) => words[*from..at].iter().filter_map(|w| w.heard.clone()).collect(),
    }
}

/// Puts the stumble heard before entry `at` into the report. A filler stands in the silence
/// before the word. Words said again share the time the words as heard took: the first saying
/// the first half, the second the rest.
fn put_in(words: &mut Vec<TakeWord>, at: usize, unwritten: &Unwritten) {
    match unwritten {
        Unwritten::Filler(filler) => {
            let from = heard_end_before(words, at).unwrap_or(0.0);
            let start = words[at].start.unwrap_or(from).max(from);
            let line = words[at].line;
            let heard = filler.trim_end_matches(',').to_string();
            words.insert(at, extra_entry(heard, Verdict::Filler, (from, start), FILLER_CONFIDENCE, line));
        }
        Unwritten::Repeat(first) => {
            let (Some(begin), Some(end)) = (words[*first].start, words[at - 1].end) else { return };
            let half = |t: f64| begin + (t - begin) / 2.0;
            let mut again = Vec::new();
            for word in &mut words[*first..at] {
                let (s, e) = (word.start.unwrap_or(begin), word.end.unwrap_or(end));
                word.start = Some(half(s));
                word.end = Some(half(e));
                let mut entry = extra_entry(
                    word.heard.clone().unwrap_or_default(),
                    Verdict::Repeated,
                    (half(s) + (end - begin) / 2.0, half(e) + (end - begin) / 2.0),
                    REPEAT_CONFIDENCE,
                    word.line,
                );
                entry.relates_to = word.script_index;
                again.push(entry);
            }
            words.splice(at..at, again);
        }
    }
}
