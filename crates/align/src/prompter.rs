//! The teleprompter's sense of place: which script word the performer has just said, from the
//! words heard in the last few seconds of a take still being recorded.
//!
//! The full alignment waits for the whole take; a prompter cannot. It keeps one place in the
//! script and moves it forward only: the recent words are aligned locally (Smith–Waterman)
//! against the script a little behind and a good way ahead of that place, and the place moves
//! to the script word matched by the last heard word that matched. A jump far ahead needs more
//! matching words than a step to the next word, and must explain the recent words better than
//! the script already said does, so that a misheard word, or a phrase the script uses twice
//! ("thy beauty's field" ... "thy beauty lies"), cannot throw the prompter to another line;
//! nor does it move faster than a performer can speak. Being forward only, a prompter thrown
//! ahead could never come back. A word heard with an ending added or dropped ("asked" for
//! "ask") matches: the prompter follows what was said, the report judges how.

use encore_script::{Reading, Script};

use crate::pronunciation::{phones_of, same_onset, similarity};

/// Script words before the place that the recent words may still match (they were said
/// already, but recent audio hears them again).
const BEHIND: usize = 12;
/// Script words after the place searched for what was said.
const AHEAD: usize = 40;
/// Steps within this many words of the place need one matching word; further, two.
const NEAR: usize = 3;
/// Jumps beyond this many words (a line or more: the performer skipped, or the prompter is
/// being misled) need three, and a better alignment than any path ending on words already
/// said. Catching up a few words, which the prompter does often, stays quick.
const FAR: usize = 8;
/// Words a performer can say in a second, and a few more at once: a move further than that
/// since the last is the decoder writing ahead of the audio (it knows famous lines by heart),
/// and waits until the audio has had time to say them.
const WORDS_PER_SECOND: f64 = 5.0;
const WORDS_AT_ONCE: f64 = 2.0;

const MATCH: i32 = 2;
const MISMATCH: i32 = -1;
const GAP: i32 = -1;

/// Where the performer is in the script.
#[derive(Debug, Clone)]
pub struct Prompter {
    readings: Vec<Reading>,
    /// Each script word's phones, for words tiny.en writes as another that sounds alike.
    phones: Vec<Vec<u8>>,
    /// The last script word said, if any yet.
    place: Option<usize>,
    /// When it ended, in seconds.
    said_until: f64,
}

/// The prompter moved: the performer has just said script word `index`, which ended at `end`
/// seconds into the take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    pub index: usize,
    pub end: f64,
}

impl Prompter {
    pub fn new(script: &Script) -> Prompter {
        let readings: Vec<Reading> = script.words().iter().map(|w| w.reading.clone()).collect();
        let phones = readings.iter().map(|r| phones_of(r.preferred())).collect();
        Prompter { readings, phones, place: None, said_until: 0.0 }
    }

    /// The last script word said, if any yet.
    pub fn place(&self) -> Option<usize> {
        self.place
    }

    /// Takes the words heard recently (text and end time, in the order said) and moves the
    /// place forward if they show the performer further on.
    pub fn hear(&mut self, recent: &[(&str, f64)]) -> Option<Step> {
        let heard: Vec<(Reading, f64)> = recent
            .iter()
            .map(|&(text, end)| (Reading::of(text), end))
            .filter(|(reading, _)| !reading.is_empty())
            .collect();
        let heard_phones: Vec<Vec<u8>> = heard.iter().map(|(r, _)| phones_of(r.preferred())).collect();
        if heard.is_empty() || self.readings.is_empty() {
            return None;
        }
        let next = self.place.map_or(0, |p| p + 1);
        let low = next.saturating_sub(BEHIND);
        let high = (next + AHEAD).min(self.readings.len());
        let script = &self.readings[low..high];
        let script_phones = &self.phones[low..high];

        // Local alignment; `matches` counts the matching pairs along the best path to a cell.
        let columns = script.len() + 1;
        let mut score = vec![0i32; (heard.len() + 1) * columns];
        let mut matches = vec![0u32; (heard.len() + 1) * columns];
        let mut best: Option<(i32, usize)> = None;
        // The best path that ends on script already said: what a far jump must beat.
        let mut best_behind = 0;
        for i in 1..=heard.len() {
            for j in 1..columns {
                let same = heard[i - 1].0.matches(&script[j - 1])
                    || inflected(&heard[i - 1].0, &script[j - 1])
                    || sounds_alike(&heard_phones[i - 1], &script_phones[j - 1]);
                let diagonal = score[(i - 1) * columns + j - 1] + if same { MATCH } else { MISMATCH };
                let up = score[(i - 1) * columns + j] + GAP;
                let left = score[i * columns + j - 1] + GAP;
                let cell = i * columns + j;
                let (value, count) = if diagonal >= up && diagonal >= left {
                    (diagonal, matches[(i - 1) * columns + j - 1] + u32::from(same))
                } else if up >= left {
                    (up, matches[(i - 1) * columns + j])
                } else {
                    (left, matches[i * columns + j - 1])
                };
                if value <= 0 {
                    continue;
                }
                score[cell] = value;
                matches[cell] = count;
                // Only a path that ends on a match says where the performer is; later heard
                // words win ties, since they are the most recent.
                if same && best.is_none_or(|(top, _)| value >= top) {
                    best = Some((value, cell));
                }
                if same && low + j - 1 < next {
                    best_behind = best_behind.max(value);
                }
            }
        }
        let (_, cell) = best?;
        let (i, j) = (cell / columns, cell % columns);
        let index = low + j - 1;
        if index < next {
            return None;
        }
        let distance = index - next;
        let needed = if distance < NEAR {
            1
        } else if distance < FAR {
            2
        } else {
            3
        };
        if matches[cell] < needed || (distance >= FAR && score[cell] <= best_behind) {
            return None;
        }
        let end = heard[i - 1].1;
        let said = (index + 1 - next) as f64;
        if said > WORDS_AT_ONCE + WORDS_PER_SECOND * (end - self.said_until).max(0.0) {
            return None;
        }
        self.place = Some(index);
        self.said_until = self.said_until.max(end);
        Some(Step { index, end })
    }
}

/// Phones in the shortest word that may be taken for another that sounds like it: shorter
/// words ("thy", "thee", "in", "and") sound like too many others.
const SOUNDS_ALIKE_PHONES: usize = 3;

/// True when a word heard sounds so like the script's that tiny.en most likely misheard or
/// misspelt it ("churro" for "churl", "mimmery" for "memory"): the same onset and at most a
/// third of the phones different. The prompter lights the word said; the report judges it.
fn sounds_alike(heard: &[u8], script: &[u8]) -> bool {
    heard.len().min(script.len()) >= SOUNDS_ALIKE_PHONES
        && same_onset(heard, script)
        && similarity(heard, script) >= 0.66
}

/// Endings tiny.en adds to or drops from a word it half heard ("ask" before a pause is
/// written "asked,").
const INFLECTIONS: [&str; 5] = ["s", "es", "d", "ed", "ing"];

/// True when one reading is the other with an inflection added: the same word to a prompter,
/// which lights the word said, not whether it was said right (the report judges that).
fn inflected(heard: &Reading, script: &Reading) -> bool {
    let one_way = |short: &Reading, long: &Reading| {
        short.keys().iter().filter(|stem| stem.len() >= 3).any(|stem| {
            long.keys()
                .iter()
                .any(|key| key.strip_prefix(stem.as_str()).is_some_and(|ending| INFLECTIONS.contains(&ending)))
        })
    };
    one_way(heard, script) || one_way(script, heard)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two lines whose words repeat each other's: a place in one may be taken for the other.
    const ASK_NOT: &str = "Ask not what your country can do for you.\nAsk what you can do for your country.";

    /// Words heard in the last seconds, 0.4 s each, the last ending at `until` seconds.
    fn heard(words: &str, until: f64) -> Vec<(&str, f64)> {
        let words: Vec<&str> = words.split_whitespace().collect();
        let count = words.len();
        words.into_iter().enumerate().map(|(k, w)| (w, until - (count - 1 - k) as f64 * 0.4)).collect()
    }

    #[test]
    fn follows_a_reading_forward() {
        let script = Script::parse(ASK_NOT).unwrap();
        let mut prompter = Prompter::new(&script);
        assert_eq!(prompter.hear(&heard("ask not what", 1.2)).map(|s| s.index), Some(2));
        assert_eq!(prompter.hear(&heard("not what your country can", 3.2)).map(|s| s.index), Some(5));
        // The same words again: no move.
        assert_eq!(prompter.hear(&heard("your country can", 4.4)), None);
        assert_eq!(prompter.place(), Some(5));
        // Into the second line, whose words repeat the first's.
        assert_eq!(prompter.hear(&heard("do for you ask what you", 6.8)).map(|s| s.index), Some(11));
    }

    #[test]
    fn words_written_faster_than_they_can_be_said_wait_for_the_audio() {
        let script = Script::parse(ASK_NOT).unwrap();
        let mut prompter = Prompter::new(&script);
        assert_eq!(prompter.hear(&heard("ask not what your", 1.6)).map(|s| s.index), Some(3));
        // Ten words on in 0.4 s: the decoder finishing the famous line, not the performer.
        assert_eq!(prompter.hear(&heard("country can do for you ask what you", 2.0)), None);
        assert_eq!(prompter.place(), Some(3));
        // Two words on in that time can be said.
        assert_eq!(prompter.hear(&heard("your country can", 2.0)).map(|s| s.index), Some(5));
        // Once the audio has had time to say them, the words are followed.
        assert_eq!(prompter.hear(&heard("do for you ask what you", 3.6)).map(|s| s.index), Some(11));
    }

    #[test]
    fn a_word_heard_with_an_ending_is_the_word() {
        let script = Script::parse("And so, my fellow Americans, ask not what your country can do for you").unwrap();
        let mut prompter = Prompter::new(&script);
        assert_eq!(prompter.hear(&heard("and so my fellow americans", 2.0)).map(|s| s.index), Some(4));
        assert_eq!(prompter.hear(&heard("fellow americans asked,", 3.6)).map(|s| s.index), Some(5));
        assert!(inflected(&Reading::of("walking"), &Reading::of("walk")));
        assert!(!inflected(&Reading::of("countries"), &Reading::of("country")), "not a plain ending");
        assert!(!inflected(&Reading::of("then"), &Reading::of("the")), "'n' is no ending");
        assert!(!inflected(&Reading::of("is"), &Reading::of("i")), "too short to be a stem");
    }

    #[test]
    fn a_word_heard_as_one_that_sounds_like_it_is_the_word() {
        let script =
            Script::parse("Thou that art now the world's fresh ornament,\nAnd tender churl mak'st waste").unwrap();
        let mut prompter = Prompter::new(&script);
        assert_eq!(prompter.hear(&heard("the world's fresh ornament and tender", 2.4)).map(|s| s.index), Some(9));
        assert_eq!(prompter.hear(&heard("and tender churro", 3.2)).map(|s| s.index), Some(10));
        let phones = |word: &str| phones_of(Reading::of(word).preferred());
        assert!(sounds_alike(&phones("memory"), &phones("mimmery")));
        assert!(!sounds_alike(&phones("thy"), &phones("thee")), "too short to tell");
        assert!(!sounds_alike(&phones("tender"), &phones("slender")), "another onset");
        assert!(!sounds_alike(&phones("ornament"), &phones("orchard")));
    }

    #[test]
    fn one_stray_word_does_not_jump_ahead() {
        let script = Script::parse("one two three four five six seven eight nine ten eleven twelve").unwrap();
        let mut prompter = Prompter::new(&script);
        assert_eq!(prompter.hear(&heard("one two", 0.8)).map(|s| s.index), Some(1));
        // "nine" alone is far ahead: not enough to move there.
        assert_eq!(prompter.hear(&heard("um nine", 1.6)), None);
        // The next word, even misheard around it, is a step.
        assert_eq!(prompter.hear(&heard("uh three", 2.4)).map(|s| s.index), Some(2));
        // A skip ahead with two matching words is followed.
        assert_eq!(prompter.hear(&heard("seven eight", 3.2)).map(|s| s.index), Some(7));
    }

    #[test]
    fn a_phrase_the_script_says_twice_does_not_jump_ahead() {
        let script = Script::parse(
            "And dig deep trenches in thy beauty's field,\nThy youth's proud livery so gazed on now,\n\
             Then being asked, where all thy beauty lies, where all the treasure of thy lusty days",
        )
        .unwrap();
        let mut prompter = Prompter::new(&script);
        assert_eq!(prompter.hear(&heard("and dig deep trenches in thy beauty's", 2.8)).map(|s| s.index), Some(6));
        // "beauty" is not "beauty's": the recent words match "thy beauty" further on better than
        // the words just said, but the words just said explain them as well.
        assert_eq!(prompter.hear(&heard("in thy beauty", 4.0)), None);
        assert_eq!(prompter.hear(&heard("thy beauty's field thy youth's", 6.0)).map(|s| s.index), Some(9));
    }

    #[test]
    fn fair_readings_count() {
        let script = Script::parse("In 1995 we didn't stop.").unwrap();
        let mut prompter = Prompter::new(&script);
        assert_eq!(prompter.hear(&heard("In 1995, we", 1.2)).map(|s| s.index), Some(2));
        assert_eq!(prompter.hear(&heard("we did not", 2.4)).map(|s| s.index), None, "one word split in two");
        assert_eq!(prompter.hear(&heard("we didn't STOP!", 3.6)).map(|s| s.index), Some(4));
    }
}
