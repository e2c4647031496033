//! Greedy decoding of one 30-second window, with Whisper's timestamp rules.
//!
//! Whisper writes text between pairs of timestamp tokens. The rules below keep those pairs
//! well formed (a timestamp never goes back, text never follows a lone closing timestamp), and
//! they are what lets a long take be read window by window: the last complete timestamp pair
//! says where the next window must start, so no sentence is cut at a 30 s boundary.

use crate::config::ModelConfig;
use crate::cpu::kernels;
use crate::model::{Decoder, DecoderState};
use crate::tokenizer::Tokenizer;
use crate::whisper::MAX_INITIAL_TIMESTAMP_STEPS;

/// What greedy decoding produced for a window.
#[derive(Debug, Clone)]
pub struct Sampled {
    /// Text and timestamp tokens, without the prompt and without the end token.
    pub tokens: Vec<u32>,
    pub average_log_probability: f64,
    /// Probability the model gave to "no speech here" at the start.
    pub no_speech_probability: f64,
    /// True when decoding stopped at the length limit rather than at the end token: a sign
    /// the model looped.
    pub ran_out: bool,
}

/// Times a window's end token may be refused: more, and a model that had rightly ended would
/// be made to invent.
const MOST_ENDS_REFUSED: usize = 2;

pub struct GreedyDecoder<'a> {
    pub decoder: &'a Decoder,
    pub tokenizer: &'a Tokenizer,
    pub config: &'a ModelConfig,
}

impl GreedyDecoder<'_> {
    /// Decodes a window (`window` holds its encoded audio, from [`Decoder::start`]) after
    /// `prompt` (previous text, if any; it is preceded by `<|startofprev|>`), stopping sooner
    /// once `looped` says the tokens so far repeat themselves (stopped so, it counts as having
    /// run out). The end token is refused, a few times at most, while `may_end` says speech is
    /// left that the tokens so far have not reached: the model sometimes ends a window after
    /// its heading, or short of its last words, and hearing them would cost another window.
    pub fn decode_until(
        &self,
        window: &DecoderState,
        prompt: &[u32],
        looped: &dyn Fn(&[u32]) -> bool,
        may_end: &dyn Fn(&[u32]) -> bool,
    ) -> candle_core::Result<Sampled> {
        self.decode_at_most(window, prompt, self.config.text_positions / 2, looped, may_end)
    }

    /// [`GreedyDecoder::decode_until`], stopping after `limit` tokens: a short stretch of
    /// audio holds few words, and a decoder that loops on it must not run for long.
    pub fn decode_at_most(
        &self,
        window: &DecoderState,
        prompt: &[u32],
        limit: usize,
        looped: &dyn Fn(&[u32]) -> bool,
        may_end: &dyn Fn(&[u32]) -> bool,
    ) -> candle_core::Result<Sampled> {
        let special = &self.tokenizer.special;
        let mut context = Vec::new();
        if !prompt.is_empty() {
            context.push(special.start_of_previous);
            let keep = self.config.text_positions / 2 - 1;
            context.extend_from_slice(&prompt[prompt.len().saturating_sub(keep)..]);
        }
        let start_at = context.len();
        context.extend(self.tokenizer.start_sequence());

        let mut state = window.restart();
        let output = self.decoder.forward_scoring_from(&context, &mut state, &[], start_at)?;
        let no_speech_probability = match special.no_speech {
            Some(no_speech) => log_probability_of(output.logits.row(0), no_speech as usize).exp() as f64,
            None => 0.0,
        };
        let mut logits: Vec<f32> = output.logits.last().to_vec();
        // The prompt went through candle in one pass; the tokens after it go a step at a time.
        let mut steps = self.decoder.steps(&state)?;
        let mut tokens: Vec<u32> = Vec::new();
        let mut log_probability_sum = 0.0;
        let mut ran_out = true;
        let mut ends_refused = 0;
        for (length, _) in (state.length..).zip(0..limit) {
            self.apply_rules(&mut logits, &tokens);
            let mut best = best_of(&logits);
            if best == special.end_of_text as usize && ends_refused < MOST_ENDS_REFUSED && !may_end(&tokens) {
                // The other control tokens go with the end: once it is gone, one of them (a
                // language's) can come out on top. An open segment is closed first, so that the
                // text after it is timed and read in segments as usual.
                let open = tokens.last().is_some_and(|&t| !self.tokenizer.is_timestamp(t));
                let refused = if open { 0 } else { best };
                let mut without_end = logits.clone();
                without_end[refused..special.timestamp_begin as usize].fill(f32::NEG_INFINITY);
                let next = best_of(&without_end);
                if without_end[next] > f32::NEG_INFINITY {
                    ends_refused += 1;
                    best = next;
                    logits = without_end;
                }
            }
            let best_log_probability = log_probability_of(&logits, best);
            let best = best as u32;
            log_probability_sum += best_log_probability as f64;
            if best == special.end_of_text {
                ran_out = false;
                break;
            }
            tokens.push(best);
            if length + 1 >= self.config.text_positions || looped(&tokens) {
                break;
            }
            logits = match steps.as_mut() {
                Some(steps) => steps.step(best)?,
                None => self.decoder.forward(&[best], &mut state, &[])?.logits.row(0).to_vec(),
            };
        }
        let count = tokens.len() + usize::from(!ran_out);
        Ok(Sampled {
            average_log_probability: log_probability_sum / count.max(1) as f64,
            tokens,
            no_speech_probability,
            ran_out,
        })
    }

    /// Masks tokens the next step may not produce.
    fn apply_rules(&self, logits: &mut [f32], sampled: &[u32]) {
        let special = &self.tokenizer.special;
        let begin = special.timestamp_begin as usize;
        let size = logits.len();
        let mut forbid = |token: usize| {
            if let Some(l) = logits.get_mut(token) {
                *l = f32::NEG_INFINITY;
            }
        };
        for &token in &self.config.suppress_tokens {
            forbid(token as usize);
        }
        for token in [special.start_of_transcript, special.start_of_previous, special.no_timestamps] {
            forbid(token as usize);
        }
        if let Some(no_speech) = special.no_speech {
            forbid(no_speech as usize);
        }
        if sampled.is_empty() {
            for &token in &self.config.suppress_at_begin {
                forbid(token as usize);
            }
        }
        let is_timestamp = |t: &u32| *t >= special.timestamp_begin;
        let last_was_timestamp = sampled.last().is_some_and(is_timestamp);
        let penultimate_was_timestamp = sampled.len() < 2 || is_timestamp(&sampled[sampled.len() - 2]);
        if last_was_timestamp {
            if penultimate_was_timestamp {
                // A pair just closed: text must come next.
                logits[begin..].fill(f32::NEG_INFINITY);
            } else {
                // A segment's text just ended: only its closing timestamp or the end may come.
                logits[..special.end_of_text as usize].fill(f32::NEG_INFINITY);
            }
        }
        // Timestamps never go back in time.
        if let Some(&last) = sampled.iter().rev().find(|t| is_timestamp(t)) {
            let floor = if last_was_timestamp && !penultimate_was_timestamp { last } else { last + 1 };
            logits[begin..(floor as usize).min(size)].fill(f32::NEG_INFINITY);
        }
        if sampled.is_empty() {
            // The window opens with a timestamp, and not far in.
            logits[..begin].fill(f32::NEG_INFINITY);
            let latest = begin + MAX_INITIAL_TIMESTAMP_STEPS as usize + 1;
            if latest < logits.len() {
                logits[latest..].fill(f32::NEG_INFINITY);
            }
        }
        // When a timestamp as a whole is likelier than any single text token, take a timestamp.
        // (Compared as logits: normalising both sides by the same total changes nothing.)
        let timestamp_mass = log_sum_exp(&logits[begin..]);
        let best_text = kernels::peak_of(&logits[..begin]);
        if timestamp_mass > best_text {
            logits[..begin].fill(f32::NEG_INFINITY);
        }
    }
}

/// The likeliest token.
fn best_of(logits: &[f32]) -> usize {
    logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(token, _)| token)
        .expect("a vocabulary is never empty")
}

/// `ln(sum(e^v))`, computed for every step over the whole vocabulary (52 thousand numbers), so
/// with the vectorised exponential.
pub(crate) fn log_sum_exp(values: &[f32]) -> f32 {
    let peak = kernels::peak_of(values);
    if peak == f32::NEG_INFINITY {
        return peak;
    }
    peak + kernels::sum_of_exp_below(values, peak).ln()
}

/// `log_softmax(logits)[index]`, without writing out the rest.
pub fn log_probability_of(logits: &[f32], index: usize) -> f32 {
    logits[index] - log_sum_exp(logits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_probabilities_sum_to_one() {
        let logits = [1.0, 2.0, 3.0, f32::NEG_INFINITY];
        let total: f32 = (0..logits.len()).map(|i| log_probability_of(&logits, i).exp()).sum();
        assert!((total - 1.0).abs() < 1e-6);
    }
}
