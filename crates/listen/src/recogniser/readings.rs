//! A window's words read through the decoder teacher-forced, for rescoring: the heard
//! reading (read off the word-timing pass where it can be, else read again) and the readings
//! put against it, scored from where they part.

use super::Recogniser;
use super::live::VERBATIM_PROMPT;
use crate::ListenError;
use crate::cpu::reading::TextMemory;
use crate::decode::{log_probability_of, log_sum_exp};
use crate::model::{DecoderState, Logits};

/// The word-timing pass's reading of a window's words (the start sequence, no timestamps, the
/// text, the end of text), kept with the window. The heard reading every question about the
/// window starts from is usually those tokens, or their start (the words until the next
/// window), on the same audio: it is then read off this instead of run through the decoder
/// again, a pass over the whole window with its logits, 0.05 s a window.
pub(super) struct KeptReading {
    tokens: Vec<u32>,
    /// The decoder's keys and values of the text, without the audio's (see
    /// [`DecoderState::text`]).
    text: (TextMemory, usize),
    /// At each position: the log of the sum of the exponentials of its logits, its logit for
    /// the token after it, and its logit for the end of text.
    log_sum_exp: Vec<f32>,
    next: Vec<f32>,
    end: Vec<f32>,
}

impl KeptReading {
    /// From the timing pass: its `tokens`, the `state` after them, and each position's logits.
    pub(super) fn of(tokens: &[u32], state: &DecoderState, logits: &Logits, end_of_text: u32) -> KeptReading {
        let rows = || logits.iter().take(tokens.len() - 1);
        KeptReading {
            tokens: tokens.to_vec(),
            text: state.text(),
            log_sum_exp: rows().map(log_sum_exp).collect(),
            next: rows().zip(&tokens[1..]).map(|(row, &next)| row[next as usize]).collect(),
            end: rows().map(|row| row[end_of_text as usize]).collect(),
        }
    }
}

/// How far (log) below the heard word's first token the extra words' first token may be and
/// still be scored whole: further below, what follows cannot make up for it (a filler found is
/// at most 5 below over the whole question), and the first token's odds are the answer.
const FIRST_TOKEN_MARGIN: f64 = 8.0;

/// A reading of a window run through the decoder teacher-forced.
pub(super) struct AskedReading {
    pub(super) text: String,
    pub(super) tokens: Vec<u32>,
    /// The decoder after every token but the end of text.
    pub(super) state: DecoderState,
    /// At each position, the log-probability of the token that follows.
    pub(super) next_token: Vec<f64>,
    /// The position of `<|notimestamps|>`, the first that predicts text.
    pub(super) scored_from: usize,
    /// Read after the verbatim prompt (see [`Recogniser::reading_tokens`]).
    pub(super) verbatim: bool,
    /// At each position, the logits of every token, kept for a verbatim reading: a question
    /// about extra words looks there first at how likely their first token was.
    pub(super) logits: Option<Logits>,
}

impl AskedReading {
    /// The log-likelihood of the text, then the end of text, given the window's audio.
    #[cfg(test)]
    fn score(&self) -> f64 {
        self.next_token[self.scored_from..].iter().sum()
    }
}

/// Where two readings part and meet again: how many tokens they share at the start, and how
/// many at the end (never counting a token twice).
fn parting(one: &[u32], other: &[u32]) -> (usize, usize) {
    let shared = one.iter().zip(other).take_while(|(a, b)| a == b).count();
    let room = one.len().min(other.len()) - shared;
    let common_end = one.iter().rev().zip(other.iter().rev()).take_while(|(a, b)| a == b).count().min(room);
    (shared, common_end)
}

impl Recogniser {
    /// How much likelier (log) `text` is than the `heard` reading it was made from, judged only
    /// where they differ and `past` tokens on: beyond that the two read the same words, and the
    /// model's surprise there says little about the difference, while scoring it would cost a
    /// pass over the rest of the window for every question.
    pub(super) fn compare_near(&self, heard: &AskedReading, text: &str, past: usize) -> Result<f64, ListenError> {
        let tokens = self.reading_tokens(text, heard.verbatim);
        let (shared, common_end) = parting(&heard.tokens, &tokens);
        // The first token the readings part on: when the model found the extra one far less
        // likely than the heard one, the rest cannot make up for it, and is not asked.
        if let Some(row) = heard
            .logits
            .as_ref()
            .filter(|logits| (1..=logits.rows()).contains(&shared))
            .map(|logits| logits.row(shared - 1))
            && let Some(&first) = tokens.get(shared)
        {
            let against = log_probability_of(row, first as usize) as f64 - heard.next_token[shared - 1];
            if against < -FIRST_TOKEN_MARGIN {
                return Ok(against);
            }
        }
        let from = shared.saturating_sub(1).max(heard.scored_from);
        let score = |reading: &[u32]| -> Result<f64, ListenError> {
            let until = (reading.len() - common_end + past).min(reading.len()).max(from + 2);
            let mut state = heard.state.truncated(from)?;
            let output = self.model.decoder.forward(&reading[from..until - 1], &mut state, &[])?;
            Ok(output
                .logits
                .iter()
                .zip(&reading[from + 1..until])
                .map(|(row, &next)| log_probability_of(row, next as usize) as f64)
                .sum())
        };
        Ok(score(&tokens)? - score(&heard.tokens)?)
    }

    /// The tokens of `text` as a whole reading of a window: the start sequence, no
    /// timestamps, the text, the end of text; with `verbatim`, after the verbatim prompt as
    /// the text before, as the take was heard.
    fn reading_tokens(&self, text: &str, verbatim: bool) -> Vec<u32> {
        let special = &self.tokenizer.special;
        let mut tokens = Vec::new();
        if verbatim {
            tokens.push(special.start_of_previous);
            tokens.extend(self.tokenizer.encode(&format!(" {VERBATIM_PROMPT}")));
        }
        tokens.extend(self.tokenizer.start_sequence());
        tokens.push(special.no_timestamps);
        tokens.extend(self.tokenizer.encode(text));
        tokens.push(special.end_of_text);
        tokens
    }

    /// Runs `text` through the decoder teacher-forced on a window's audio, keeping what
    /// another reading that starts the same way can go on from.
    pub(super) fn read_through(
        &self,
        audio: &DecoderState,
        text: &str,
        verbatim: bool,
    ) -> Result<AskedReading, ListenError> {
        let tokens = self.reading_tokens(text, verbatim);
        let mut state = audio.restart();
        let output = self.model.decoder.forward(&tokens[..tokens.len() - 1], &mut state, &[])?;
        let logits = output.logits;
        let next_token =
            logits.iter().zip(&tokens[1..]).map(|(row, &next)| log_probability_of(row, next as usize) as f64).collect();
        let scored_from = tokens.iter().position(|&t| t == self.tokenizer.special.no_timestamps).unwrap_or(0);
        let logits = verbatim.then_some(logits);
        Ok(AskedReading { text: text.to_string(), tokens, state, next_token, scored_from, verbatim, logits })
    }

    /// The heard reading of a window (`audio` its decoder's view) as [`Recogniser::read_through`]
    /// would make it, read off the word-timing pass's `kept` reading where the heard text is
    /// what that pass read, or the start of it: its positions up to the end of the heard text
    /// are the same positions, with the same logits; only the last one is scored for the end of
    /// text. `None` where the heard text is not where the kept reading starts.
    pub(super) fn kept_reading(
        &self,
        kept: &KeptReading,
        audio: &DecoderState,
        heard: &str,
    ) -> Result<Option<AskedReading>, ListenError> {
        let tokens = self.reading_tokens(heard, false);
        let read = tokens.len() - 1;
        if kept.tokens.len() < tokens.len() || kept.tokens[..read] != tokens[..read] {
            return Ok(None);
        }
        let next_token = (0..read)
            .map(|at| {
                let logit = if at + 1 < read { kept.next[at] } else { kept.end[at] };
                (logit - kept.log_sum_exp[at]) as f64
            })
            .collect();
        let state = audio.having_read(kept.text.clone()).truncated(read)?;
        let scored_from = tokens.iter().position(|&t| t == self.tokenizer.special.no_timestamps).unwrap_or(0);
        let text = heard.to_string();
        Ok(Some(AskedReading { text, tokens, state, next_token, scored_from, verbatim: false, logits: None }))
    }

    /// How much likelier (log) `text` is than `heard` as a reading of the window `heard` was
    /// read on, scored from where the two part until `horizon` tokens past where they meet
    /// again (`usize::MAX`: to the end, the readings' whole scores). The heard reading's
    /// scores are its own, kept; only `text` from where it parts is run through the decoder.
    pub(super) fn gain_over(&self, heard: &AskedReading, text: &str, horizon: usize) -> Result<f64, ListenError> {
        let tokens = self.reading_tokens(text, heard.verbatim);
        let (shared, common_end) = parting(&heard.tokens, &tokens);
        // Position p predicts token p + 1, so the heard reading answers for the positions
        // before the first difference. Two or more positions are run again even so: a single
        // position is decoded through the quantised projection, which scores a little
        // differently from the whole-reading pass.
        let from = (shared - 1).min(tokens.len().saturating_sub(3)).max(heard.scored_from);
        let until = |length: usize| (length - common_end).saturating_add(horizon).min(length);
        let until_text = until(tokens.len()).max(from + 2);
        let mut state = heard.state.truncated(from)?;
        let output = self.model.decoder.forward(&tokens[from..until_text - 1], &mut state, &[])?;
        let text_score: f64 = output
            .logits
            .iter()
            .zip(&tokens[from + 1..until_text])
            .map(|(row, &next)| log_probability_of(row, next as usize) as f64)
            .sum();
        let heard_score: f64 = heard.next_token[from..until(heard.tokens.len()).max(from + 1) - 1].iter().sum();
        Ok(text_score - heard_score)
    }
}

#[cfg(test)]
mod tests {
    use super::super::rescoring::SCRIPT_HORIZON;
    use super::super::tests::jfk_window;
    use super::AskedReading;
    use crate::whisper::HOP;

    /// The heard reading is read off the word-timing pass where it can be: it must be the
    /// reading run through the decoder again, and answer every question as it. The whole of
    /// what the pass read is the same to the bit. The start of it differs in the last bits: a
    /// pass over fewer rows cuts its matrix products into other blocks, and sums them in
    /// another order (as every reading scored from part-way does).
    #[test]
    fn the_timing_pass_s_reading_is_the_heard_reading_read_again() {
        let (recogniser, window) = jfk_window();
        let said = " And so my fellow Americans, ask not what your country can do for you";
        let text = recogniser.tokenizer.encode(said);
        let (_, kept) = recogniser.time_words(&window, &text, 11 * 16_000 / HOP, 0.0, true).unwrap();
        let kept = kept.expect("asked to keep it");
        for (heard, whole) in [(said, true), (" And so my fellow Americans, ask not what your country", false)] {
            let read_off = recogniser.kept_reading(&kept, &window, heard).unwrap().expect("the heard text starts it");
            let read_again = recogniser.read_through(&window, heard, false).unwrap();
            assert_eq!(read_off.tokens, read_again.tokens);
            assert_eq!(read_off.scored_from, read_again.scored_from);
            let other = " And so my yellow Americans, ask not what your country";
            let gains = [&read_off, &read_again].map(|r| recogniser.gain_over(r, other, SCRIPT_HORIZON).unwrap());
            let scores = |reading: &AskedReading, gain: f64| [reading.next_token.clone(), vec![gain]].concat();
            for (off, again) in scores(&read_off, gains[0]).into_iter().zip(scores(&read_again, gains[1])) {
                if whole {
                    assert_eq!(off.to_bits(), again.to_bits(), "{heard:?}");
                } else {
                    assert!((off - again).abs() <= 1e-4 * again.abs().max(1.0), "{heard:?}: {off} against {again}");
                }
            }
            assert!(gains[0] < -0.1 && (gains[0] - gains[1]).abs() < 1e-3, "{heard:?}: {gains:?}");
        }
        assert!(recogniser.kept_reading(&kept, &window, " So my fellow Americans").unwrap().is_none());
    }

    /// The script's reading goes on from the heard one's decoder rather than being read whole:
    /// the score must not change for it.
    #[test]
    fn a_reading_scored_from_where_it_parts_scores_as_one_read_whole() {
        let (recogniser, window) = jfk_window();
        let heard = " And so my fellow Americans, ask not what your country can do for you";
        let reading = recogniser.read_through(&window, heard, false).unwrap();
        for other in [
            " And so my yellow Americans, ask not what your country can do for you",
            " And so my fellow Americans, ask not what your country can do for",
            " And so my fellow Americans, ask not what your country can do for you, ask",
            " So my fellow Americans, ask not what your country can do for you",
            heard,
        ] {
            let whole = recogniser.read_through(&window, other, false).unwrap().score() - reading.score();
            let after = recogniser.gain_over(&reading, other, usize::MAX).unwrap();
            assert!((whole - after).abs() < 1e-3, "{other:?}: read whole {whole}, after the heard reading {after}");
            assert!(other == heard || whole < -0.1, "{other:?} is not what was said");
            // Scored only near where the readings part, a reading the audio does not hold
            // still loses, and by most of what it loses read whole.
            let near = recogniser.gain_over(&reading, other, SCRIPT_HORIZON).unwrap();
            assert!(
                other == heard || (near < 0.5 * whole && near > 1.5 * whole),
                "{other:?}: near {near}, whole {whole}"
            );
        }
    }
}
