//! Putting a disagreement back to the model: where the aligner finds the take and the script
//! apart, it asks how likely the script's words are on that stretch of audio against what was
//! heard. Both readings are scored teacher-forced on a window kept from listening, so the
//! windows' encoded audio is kept (in [`Listening`]) and the answers are cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use candle_core::{Device, Tensor};
use encore_audio::Audio;
use encore_take::{HeardWord, Hearing};

use super::Recogniser;
use super::readings::{AskedReading, KeptReading};
use crate::ListenError;
use crate::mel;
use crate::model::DecoderState;
use crate::whisper::{FRAMES_PER_WINDOW, HOP, SAMPLE_RATE};

/// The encoded audio of a take, window by window, kept after listening for rescoring.
pub struct Listening {
    pub(super) windows: Vec<KeptWindow>,
    /// Every answer given, by window and the two readings: a live take asks about the take
    /// heard so far before it ends, and asks again at the end (shared by clones).
    answers: Arc<Mutex<HashMap<Question, f32>>>,
    /// The window asked about last (see `prefer_script`).
    last_window: Mutex<Option<AskedWindow>>,
    /// The decoder's views of the windows heard last, by index: a live take's report waits
    /// on the questions about them, and they were just computed.
    pub(super) recent: Vec<(usize, DecoderState)>,
    /// What the second listener has heard of the take so far (shared by clones, so that a
    /// take judged again does not encode its windows again).
    heard_again: Arc<Mutex<Option<Box<HeardAgain>>>>,
}

/// The windows the second listener encoded, with its answers about them, and the peak of the
/// take's spectrogram, which each window's features are scaled by: read once for the take,
/// not once a window.
struct HeardAgain {
    listening: Listening,
    peak: mel::SettledPeak,
}

#[derive(Clone)]
pub(super) struct KeptWindow {
    pub(super) offset: f64,
    pub(super) frames: usize,
    pub(super) encoded: Tensor,
    /// Where the next window starts (seconds): the words this window was read with are the
    /// ones heard before, which are settled as soon as it has been decoded.
    pub(super) words_until: f64,
    /// The word-timing pass's reading of the window's words, where it was kept.
    pub(super) reading: Option<Arc<KeptReading>>,
}

impl KeptWindow {
    /// Where the window's audio ends (seconds).
    fn end(&self) -> f64 {
        self.offset + self.frames as f64 * (HOP as f64 / SAMPLE_RATE as f64)
    }

    /// The words heard from the window's start until `until` (seconds), which its readings hold.
    fn words<'a>(&self, transcript: &'a Hearing, until: f64) -> impl Iterator<Item = &'a HeardWord> {
        let from = self.offset;
        transcript.words.iter().filter(move |w| w.start >= from - 1e-6 && w.start < until - 1e-6)
    }
}

/// A question put to the model about a window: its index, the heard reading, the script's.
type Question = (usize, String, String);

/// The answers and the window asked last are caches, filled whole or not at all: a question
/// that panicked leaves nothing that later ones cannot use.
fn lock<T>(cache: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Listening {
    /// Nothing kept yet.
    pub(super) fn empty() -> Listening {
        Listening {
            windows: Vec::new(),
            answers: Arc::default(),
            last_window: Mutex::default(),
            recent: Vec::new(),
            heard_again: Arc::default(),
        }
    }

    /// The window a question about `start`..`end` (seconds) is put to. A stretch right at a
    /// window's start is asked of the window before when that one holds it too: the seam is
    /// where the window before stopped reading, after its last whole word, and words said
    /// just before that word's heard end belong to the window before.
    fn window_for(&self, start: f64, end: f64) -> Option<usize> {
        let holds = |w: &KeptWindow, from: f64| w.offset <= from + 1e-6 && end <= w.end() + 1e-6;
        self.windows
            .iter()
            .rposition(|w| holds(w, start - SEAM))
            .or_else(|| self.windows.iter().rposition(|w| holds(w, start)))
    }

    /// Questions about the take before this time (seconds) get the same answer however the
    /// take goes on: the windows they are put to, and the words heard in those, no longer
    /// change as more is heard. It is where the window heard last stopped reading.
    pub fn settled_until(&self) -> f64 {
        self.windows.last().map_or(0.0, |window| window.words_until)
    }
}

impl Clone for Listening {
    /// The same windows and answers; the decoder's views are made again when asked.
    fn clone(&self) -> Listening {
        Listening {
            windows: self.windows.clone(),
            answers: self.answers.clone(),
            last_window: Mutex::default(),
            recent: self.recent.iter().map(|(index, audio)| (*index, audio.restart())).collect(),
            heard_again: self.heard_again.clone(),
        }
    }
}

/// The decoder's view of a window asked about, and the heard reading of it.
struct AskedWindow {
    index: usize,
    audio: DecoderState,
    heard: Option<AskedReading>,
    /// The heard reading on silence, what the words alone make likely: made when a question
    /// about a word said for another needs it.
    heard_unheard: Option<AskedReading>,
    /// The heard reading after the verbatim prompt, for questions about extra words.
    heard_verbatim: Option<AskedReading>,
}

/// How much of the words' own likelihood is taken out of an answer. The model prefers common
/// words whatever it hears: an archaic script word ("feed'st", "churl") loses to the everyday
/// word it sounds like by as much as the two differ with no audio at all. Scoring both readings
/// again on silence measures that preference, and this share of it is discounted, so that the
/// answer rests on what the audio adds.
const PRIOR_WEIGHT: f64 = 0.75;

/// How far into a window (seconds) a stretch must start to be asked of that window rather than
/// of the one before it, which also holds the audio (see [`Recogniser::prefer_script`]).
const SEAM: f64 = 1.0;

/// How many tokens past extra words a question about them is scored on (see
/// [`Recogniser::compare_near`]).
const EXTRA_HORIZON: usize = 4;

/// How many tokens past where the readings meet again a question about the script's words is
/// scored on. Further on both read the same words, and the model's surprise there barely moves
/// the answer (align-eval: every figure within one event of scoring to the window's end), while
/// scoring it cost a pass over the rest of the window for each question: `encore analyze`
/// judged sonnet 3 in 1.24 s instead of 1.97 s.
pub(super) const SCRIPT_HORIZON: usize = 8;

/// What a question asks: the script's words instead of the heard ones (`Replacing` when as
/// many words are said for others), or extra words the recogniser did not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asking {
    Script,
    Replacing,
    Extra,
}

/// The script's words as the recogniser would have written them in place of `replaced`: with
/// the punctuation around the heard words, the first one's capital or not, and plain
/// apostrophes. The question is which words were said; a reading that lost the comma the heard
/// one had, or kept the capital a line of verse starts with, would be judged on its spelling.
/// With no script words (a heard word the script does not have), the punctuation stays: the
/// break it marks was there either way.
fn written_as_heard(script: &[&str], replaced: &[&str]) -> String {
    let is_mark = |c: char| !c.is_alphanumeric() && c != '\'' && c != '’';
    let before = replaced.first().map_or("", |w| &w[..w.len() - w.trim_start_matches(is_mark).len()]);
    let after = replaced.last().map_or("", |w| &w[w.trim_end_matches(is_mark).len()..]);
    let capital = replaced.first().and_then(|w| w.chars().find(|c| c.is_alphabetic())).map(char::is_uppercase);
    let mut text = String::new();
    for (at, word) in script.iter().enumerate() {
        let mut word = word.replace('’', "'");
        if at == 0 {
            word = match (capital, word.chars().next()) {
                (Some(true), Some(first)) => first.to_uppercase().chain(word.chars().skip(1)).collect(),
                // "I" and its contractions stay capitals whatever was heard.
                (Some(false), Some(first)) if !(word == "I" || word.starts_with("I'")) => {
                    first.to_lowercase().chain(word.chars().skip(1)).collect()
                }
                _ => word,
            };
            text.push(' ');
            text.push_str(before);
        } else {
            text.push(' ');
        }
        text.push_str(&word);
    }
    text.push_str(after);
    text
}

impl Recogniser {
    /// Whether a question the first listener answered `first` is put to the second listener
    /// too: only where one is attached, the disagreement stands (`first` under the aligner's
    /// `bar`), and words were `heard` in the stretch (a misread, an inserted word, a tangle).
    /// On a bare skip the second listener excused real ones (align-eval: spliced skips found
    /// 112 → 108 of 154). The answer is then the likelier of the two.
    pub fn asks_second_listener(&self, first: Option<f32>, bar: f32, heard: &[&str]) -> bool {
        self.second.is_some() && !heard.is_empty() && first.is_none_or(|p| p < bar)
    }

    /// The second listener's answer to [`Recogniser::prefer_script`]'s question, where one is
    /// attached (see [`Recogniser::with_second_listener`]): it is asked on the windows this
    /// model kept, encoded again by the second model, and with the words this one heard. Only
    /// the windows such questions are put to are encoded, once each, so most of a take never
    /// meets the second model. `None` without a second listener, or where it has no opinion.
    pub fn second_opinion(
        &self,
        listening: &Listening,
        transcript: &Hearing,
        audio: &Audio,
        start: f64,
        end: f64,
        script: &[&str],
    ) -> Result<Option<f32>, ListenError> {
        let Some(second) = self.second.as_deref() else {
            return Ok(None);
        };
        let Some(index) = listening.window_for(start, end) else {
            return Ok(None);
        };
        let window = &listening.windows[index];
        let mut again = lock(&listening.heard_again);
        let again = again
            .get_or_insert_with(|| Box::new(HeardAgain { listening: Listening::empty(), peak: Default::default() }));
        if !again.listening.windows.iter().any(|w| w.offset == window.offset) {
            let frame_seconds = HOP as f64 / SAMPLE_RATE as f64;
            let spectrogram = mel::Spectrogram::continuing(
                &audio.samples,
                FRAMES_PER_WINDOW * HOP,
                second.config.mel_bins,
                &mut again.peak,
            );
            let features = spectrogram.window((window.offset / frame_seconds).round() as usize, window.frames);
            let input = Tensor::from_vec(features, (1, second.config.mel_bins, FRAMES_PER_WINDOW), &Device::Cpu)?;
            let encoded = second.model.encoder.forward(&input)?;
            // Appended, never inserted: the answers are kept by window index.
            // The first listener's reading of the window is not this model's.
            again.listening.windows.push(KeptWindow { encoded, reading: None, ..window.clone() });
        }
        second.prefer_script(&again.listening, transcript, start, end, script)
    }

    /// How likely it is (0 to 1) that the performer said `script` rather than what was heard
    /// between `start` and `end`: both readings of the window are scored teacher-forced
    /// through the decoder, on the same audio and with the same surrounding words, near where
    /// they differ (see [`SCRIPT_HORIZON`]), and the difference of their log-likelihoods, less
    /// part of the model's preference for one word over another with no audio (see
    /// [`PRIOR_WEIGHT`]), becomes a probability. `None` when
    /// that stretch of audio was not kept (very long takes) or holds no window.
    pub fn prefer_script(
        &self,
        listening: &Listening,
        transcript: &Hearing,
        start: f64,
        end: f64,
        script: &[&str],
    ) -> Result<Option<f32>, ListenError> {
        let Some(index) = listening.window_for(start, end) else {
            return Ok(None);
        };
        let window = &listening.windows[index];
        // The window is read with the words it heard itself, not those the next window heard
        // at its end: so its readings are settled as soon as it is decoded, and a live take
        // can ask about them while it goes on. Only a stretch after where it stopped reading
        // (asked of it at a seam) is read on with the words the next window heard within
        // this one's audio.
        let reads_until = if start >= window.words_until - 1e-6 { window.end() } else { window.words_until };
        let in_window: Vec<&HeardWord> = window.words(transcript, reads_until).collect();
        let middle = (start + end) / 2.0;
        let inside = |w: &HeardWord| {
            let centre = (w.start + w.end) / 2.0;
            centre >= start && centre <= end || (w.start <= middle && middle < w.end && start == end)
        };
        let replaced: Vec<&str> = in_window.iter().filter(|w| inside(w)).map(|w| w.text.as_str()).collect();
        let replacing = !replaced.is_empty() && !script.is_empty();
        let script = written_as_heard(script, &replaced);
        let mut heard = String::new();
        let mut alternative = String::new();
        let mut placed = false;
        for word in &in_window {
            if inside(word) {
                if !placed {
                    alternative.push_str(&script);
                    placed = true;
                }
            } else {
                if !placed && word.start >= end {
                    alternative.push_str(&script);
                    placed = true;
                }
                alternative.push_str(&format!(" {}", word.text));
            }
            heard.push_str(&format!(" {}", word.text));
        }
        if !placed {
            alternative.push_str(&script);
        }
        self.answer(listening, index, heard, alternative, if replacing { Asking::Replacing } else { Asking::Script })
    }

    /// How likely it is (0 to 1) that the performer said the `extra` words right before the
    /// heard word that starts at `before` (seconds), where the recogniser wrote nothing: a filler,
    /// a word said again, the start of a word cut off. Scored as [`Recogniser::prefer_script`]
    /// scores, on the window the word was heard in, with no discount: the question is whether
    /// the audio holds more words, which is what the audio must decide.
    pub fn prefer_extra(
        &self,
        listening: &Listening,
        transcript: &Hearing,
        before: f64,
        extra: &[&str],
    ) -> Result<Option<f32>, ListenError> {
        let Some(index) =
            listening.windows.iter().rposition(|w| w.offset <= before + 1e-6 && before < w.words_until.min(w.end()))
        else {
            return Ok(None);
        };
        let window = &listening.windows[index];
        let mut heard = String::new();
        let mut alternative = String::new();
        let mut placed = false;
        for word in window.words(transcript, window.words_until) {
            if !placed && word.start >= before - 1e-6 {
                for extra in extra {
                    alternative.push(' ');
                    alternative.push_str(extra);
                }
                placed = true;
            }
            alternative.push_str(&format!(" {}", word.text));
            heard.push_str(&format!(" {}", word.text));
        }
        if !placed {
            return Ok(None);
        }
        self.answer(listening, index, heard, alternative, Asking::Extra)
    }

    /// Scores the `alternative` reading of window `index` against the `heard` one, or answers
    /// from the cache: extra words after the verbatim prompt and near where they stand (see
    /// [`Recogniser::compare_near`]), other readings whole, less the preference on silence for
    /// a word said for another (see [`PRIOR_WEIGHT`]).
    fn answer(
        &self,
        listening: &Listening,
        index: usize,
        heard: String,
        alternative: String,
        asking: Asking,
    ) -> Result<Option<f32>, ListenError> {
        let window = &listening.windows[index];
        let question = (index, heard.clone(), alternative.clone());
        if let Some(&answer) = lock(&listening.answers).get(&question) {
            return Ok(Some(answer));
        }
        // Questions come in the order of the take, so the window asked last is usually asked
        // again: its audio keys and values are kept, and so is the heard reading, which is the
        // same for every question about the window. The script's reading then only needs the
        // decoder from where it parts from the heard one.
        let mut last = lock(&listening.last_window);
        if last.as_ref().is_none_or(|asked| asked.index != index) {
            let audio = match listening.recent.iter().find(|(recent, _)| *recent == index) {
                Some((_, audio)) => audio.restart(),
                None => self.model.decoder.start(&window.encoded)?,
            };
            *last = Some(AskedWindow { index, audio, heard: None, heard_unheard: None, heard_verbatim: None });
        }
        let asked = last.as_mut().expect("set just above");
        let evidence = if asking == Asking::Extra {
            if asked.heard_verbatim.as_ref().is_none_or(|reading| reading.text != heard) {
                asked.heard_verbatim = Some(self.read_through(&asked.audio, &heard, true)?);
            }
            let reading = asked.heard_verbatim.as_ref().expect("set just above");
            self.compare_near(reading, &alternative, EXTRA_HORIZON)?
        } else {
            self.script_evidence(window, asked, &heard, &alternative, asking == Asking::Replacing)?
        };
        let answer = (1.0 / (1.0 + (-evidence.clamp(-30.0, 30.0)).exp())) as f32;
        drop(last);
        lock(&listening.answers).insert(question, answer);
        Ok(Some(answer))
    }

    /// How much likelier (log) the script's reading `alternative` is than `heard`, scored from
    /// where they part to [`SCRIPT_HORIZON`] tokens past where they meet again; for a word said
    /// for another (`replacing`), less part of what the words alone make likely (see
    /// [`PRIOR_WEIGHT`]).
    fn script_evidence(
        &self,
        window: &KeptWindow,
        asked: &mut AskedWindow,
        heard: &str,
        alternative: &str,
        replacing: bool,
    ) -> Result<f64, ListenError> {
        if asked.heard.as_ref().is_none_or(|reading| reading.text != heard) {
            let kept = window.reading.as_deref().map(|kept| self.kept_reading(kept, &asked.audio, heard));
            asked.heard = Some(match kept.transpose()?.flatten() {
                Some(reading) => reading,
                None => self.read_through(&asked.audio, heard, false)?,
            });
            asked.heard_unheard = None;
        }
        let reading = asked.heard.as_ref().expect("set just above");
        let difference = self.gain_over(reading, alternative, SCRIPT_HORIZON)?;
        // Only a word said for another is discounted: a reading with more or fewer words than
        // the other is less likely with no audio because it is longer or shorter, which is
        // what the audio must decide, not a preference to take out.
        let discount = if replacing {
            if asked.heard_unheard.is_none() {
                // One frame of zeros: attention over identical frames gives the same whatever
                // their number, so this is silence at the cost of a single frame.
                let silence = self.model.decoder.start(&window.encoded.narrow(1, 0, 1)?.zeros_like()?)?;
                asked.heard_unheard = Some(self.read_through(&silence, heard, false)?);
            }
            let unheard = asked.heard_unheard.as_ref().expect("set just above");
            PRIOR_WEIGHT * self.gain_over(unheard, alternative, SCRIPT_HORIZON)?
        } else {
            0.0
        };
        Ok(difference - discount)
    }
}

#[cfg(test)]
mod tests {
    use super::written_as_heard;

    #[test]
    fn the_script_is_written_as_the_heard_words_were() {
        assert_eq!(written_as_heard(&["decease"], &["deceased,"]), " decease,");
        assert_eq!(written_as_heard(&["Disdains"], &["disdain"]), " disdains");
        assert_eq!(written_as_heard(&["mak’st"], &["makes"]), " mak'st");
        assert_eq!(written_as_heard(&["thy", "self"], &["\"Thyself."]), " \"Thy self.");
        assert_eq!(written_as_heard(&["I"], &["eye"]), " I");
        assert_eq!(written_as_heard(&["new", "made"], &[]), " new made", "a skipped phrase is written as scripted");
        assert_eq!(written_as_heard(&[], &["um,"]), ",", "a word taken out leaves its comma");
    }
}
