//! The last few seconds heard quickly, for the prompter that follows the voice: the stretch
//! is encoded alone rather than padded to a window, decoding stops early, and a decoder that
//! runs on past the audio is cut back to what was said.

use candle_core::{Device, Tensor};
use encore_audio::Audio;
use encore_take::HeardWord;

use super::Recogniser;
use super::words::normalise_filler;
use crate::ListenError;
use crate::mel;
use crate::whisper::{FRAMES_PER_SECOND, FRAMES_PER_WINDOW, HOP, SAMPLE_RATE};

/// Words the prompter's decoding writes in the last moment of the audio, without time of their
/// own, were not heard there: the decoder ran on past the audio (seconds).
const PILED_UP: f64 = 0.3;

/// More tokens than anyone speaks in a second: the prompter's decoding stops there.
const MOST_TOKENS_PER_SECOND: f64 = 6.0;

/// Shortest stretch worth hearing for the prompter: 0.4 s.
const SHORTEST_RECENT_FRAMES: usize = 40;

impl Recogniser {
    /// The words said in `audio` from `from` seconds on, heard quickly for a prompter that
    /// follows the voice. The encoder reads that stretch alone (a few seconds rather than a
    /// padded 30 s window, which is most of the saving), and the decoder is prompted with
    /// `prompt`, the script just before, which keeps it on the script's spelling. Only for
    /// following: a take's report always comes from [`Recogniser::listen`]. Nothing is heard
    /// once `give_up` says so: decoding stops at the next token.
    pub fn hear_recent(
        &self,
        audio: &Audio,
        from: f64,
        prompt: &str,
        give_up: &dyn Fn() -> bool,
    ) -> Result<Vec<HeardWord>, ListenError> {
        let first = encore_audio::samples_in(from.max(0.0)).min(audio.samples.len());
        let samples = &audio.samples[first..];
        // The encoder's second convolution halves the frames: keep them even.
        let frames = (samples.len() / HOP).min(FRAMES_PER_WINDOW) & !1;
        if frames < SHORTEST_RECENT_FRAMES {
            return Ok(Vec::new());
        }
        let bands = self.config.mel_bins;
        let spectrogram = mel::Spectrogram::new(samples, 0, bands);
        let window = spectrogram.window(0, frames);
        let features: Vec<f32> =
            window.chunks_exact(FRAMES_PER_WINDOW).flat_map(|band| band[..frames].iter().copied()).collect();
        let input = Tensor::from_vec(features, (1, bands, frames), &Device::Cpu)?;
        let encoded = self.model.encoder.forward(&input)?;
        let state = self.model.decoder.start(&encoded)?;
        let decoder = self.greedy();
        let seconds = frames as f64 / FRAMES_PER_SECOND as f64;
        let limit = (seconds * MOST_TOKENS_PER_SECOND) as usize + 8;
        // On audio that stops mid-speech the decoder seldom ends: it says the stretch again, or
        // what it guesses comes next. Once it has gone round a loop it is stopped, and unless
        // it ended of itself the loop is cut before the words are timed, since the warping
        // would squeeze the last words heard, the ones the prompter wants, to make room for it.
        let looped = |tokens: &[u32]| self.loop_in(tokens).is_some_and(|(loop_, words)| loop_.went_round(words.len()));
        let enough = |tokens: &[u32]| give_up() || looped(tokens);
        let sampled = decoder.decode_at_most(&state, &self.tokenizer.encode(prompt), limit, &enough, &|_| true)?;
        if give_up() {
            return Ok(Vec::new());
        }
        let mut text: Vec<u32> = sampled.tokens.iter().copied().filter(|&t| self.tokenizer.is_text(t)).collect();
        if let Some((loop_, words)) = self.loop_in(&text).filter(|_| sampled.ran_out) {
            text.truncate(words[loop_.heard_until()]);
        }
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let offset = encore_audio::seconds(first);
        let (mut words, _) = self.time_words(&state, &text, frames, offset, false)?;
        // A decoder that ran past the audio (it loops, or guesses the next line) piles its
        // extra words on the last instant: they were not heard.
        let end = audio.duration();
        if let Some(piled) = words.iter().position(|w| w.start > end - PILED_UP && w.end - w.start < 0.05) {
            words.truncate(piled);
        }
        // Words placed on silence were not heard there.
        let recent = Audio::from_samples(samples.to_vec(), SAMPLE_RATE);
        let speech = encore_audio::voice_activity(&recent);
        words.retain(|w| speech.iter().any(|s| s.end + offset > w.start && s.start + offset < w.end));
        for word in &mut words {
            word.text = normalise_filler(&word.text);
            word.end = word.end.min(end);
        }
        Ok(words)
    }

    /// Whether decoded `tokens` are stuck in a loop (see [`Repeating::stuck`]).
    pub(super) fn stuck_in_loop(&self, tokens: &[u32]) -> bool {
        self.loop_in(tokens).is_some_and(|(loop_, words)| loop_.stuck(words.len()))
    }

    /// Where decoded `tokens` start repeating themselves, if they do, with the index of each
    /// word's first token.
    fn loop_in(&self, tokens: &[u32]) -> Option<(Repeating, Vec<usize>)> {
        let words = self.words_of(tokens);
        let texts: Vec<&str> = words.iter().map(|(_, text)| text.as_str()).collect();
        repeating(&texts).map(|loop_| (loop_, words.iter().map(|(first, _)| *first).collect()))
    }
}

/// See [`Repeating::stuck`]. Performed repetitions stay well under both: the corpus's longest is a
/// word said six times.
const STUCK_ROUNDS: usize = 3;
const STUCK_WORDS: usize = 12;

/// A decoder repeating itself: from word `start` on to the last, every word is the one
/// `period` words before it ("not what your country can do for you. Not what your": the
/// second "not", period 8).
#[derive(Debug, PartialEq)]
struct Repeating {
    start: usize,
    period: usize,
}

impl Repeating {
    /// Whether the loop has been round once whole and begun again: then it is no chance
    /// likeness of a performer saying a phrase twice, and decoding can stop.
    fn went_round(&self, words: usize) -> bool {
        words - self.start >= self.period + 2
    }

    /// Whether the loop has gone round [`STUCK_ROUNDS`] times, over [`STUCK_WORDS`] words or
    /// more: no performer says that, and a window's decoding would only go round again until
    /// its token limit (sonnet 2's last window wrote "best" 224 times, 0.66 s of decoding,
    /// before it was decoded again without the previous text, in 0.03 s).
    fn stuck(&self, words: usize) -> bool {
        let looping = words - self.start;
        looping >= STUCK_ROUNDS * self.period && looping >= STUCK_WORDS
    }

    /// Where the words heard end and the loop begins. When the loop goes back to the very
    /// first word, that word is also the last heard: a decoder prompted with the script
    /// begins by writing the word that follows the prompt ("you," after "... can do for"),
    /// which the audio may say only at its end ("not what your country can do for you").
    /// Keeping it lights that word on time; where it was the loop's, the audio has no room
    /// left for it and the timing piles it on the last instant, where it is dropped.
    fn heard_until(&self) -> usize {
        if self.start == self.period { self.start + 1 } else { self.start }
    }
}

/// Where a decoder that looped starts repeating itself: the first word from which the rest,
/// two words or more, repeats what came just before it. A single word said twice, or a phrase
/// said twice and followed by new words, is a repetition the performer may really have made,
/// so it is not a loop.
fn repeating(words: &[&str]) -> Option<Repeating> {
    let bare = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    let words: Vec<String> = words.iter().map(|w| bare(w)).collect();
    (1..words.len().saturating_sub(1)).find_map(|start| {
        (1..=start)
            .find(|&period| words[start..].iter().enumerate().all(|(k, w)| *w == words[start - period + k % period]))
            .map(|period| Repeating { start, period })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_looped_decoding_is_cut_where_it_starts_repeating() {
        let words = |text: &'static str| text.split(' ').collect::<Vec<_>>();
        let looped = words("for you, ask what you can do for your country. for you, ask what");
        assert_eq!(repeating(&looped), Some(Repeating { start: 10, period: 10 }));
        assert!(!repeating(&looped).unwrap().went_round(looped.len()));
        let round = words("not what your country can do for you. not what your country can do for you. not what");
        assert_eq!(repeating(&round), Some(Repeating { start: 8, period: 8 }));
        assert!(repeating(&round).unwrap().went_round(round.len()));
        // The first word was the prompt's next word, said at the end: it is kept.
        let prompted = words("you, what your country can do for you, what your country");
        assert_eq!(repeating(&prompted), Some(Repeating { start: 7, period: 7 }));
        assert_eq!(repeating(&prompted).unwrap().heard_until(), 8);
        // Here the loop's own first word is kept, to be dropped once timed (see heard_until).
        assert_eq!(repeating(&looped).unwrap().heard_until(), 11);
        let one_word = words("fellow Americans asked, asked, asked, asked,");
        assert_eq!(repeating(&one_word), Some(Repeating { start: 3, period: 1 }));
        assert!(repeating(&one_word).unwrap().went_round(one_word.len()));

        // A window's decoding is stopped only once the loop has gone round three times, over
        // twelve words: a word said six times, as in the corpus, is not stuck.
        let mut best = words("lest the world be best");
        best.extend(["best"; 12]);
        assert!(repeating(&best).unwrap().stuck(best.len()), "twelve words round");
        assert!(!repeating(&best[..16]).unwrap().stuck(16), "eleven words round");
        let said = words("here's some more word, word, word, word, word, word.");
        assert!(repeating(&said).is_none_or(|loop_| !loop_.stuck(said.len())));
        assert!(!repeating(&round).unwrap().stuck(round.len()), "round twice, not three times");

        let honest = words("the the cat sat on the mat");
        assert_eq!(repeating(&honest), None);
        assert_eq!(repeating(&words("and the the")), None, "a word said twice is kept");
        let phrase = words("ask not ask not what your country");
        assert_eq!(repeating(&phrase), None, "a repeated phrase followed by new words is said, not looped");
        // Mid-sentence, a phrase that comes back is not yet a loop that went round.
        let again = words("can do for you, ask what you can do for");
        assert!(repeating(&again).is_none_or(|loop_| !loop_.went_round(again.len())));
    }
}
