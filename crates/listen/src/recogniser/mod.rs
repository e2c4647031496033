//! The recogniser: a take's audio in, the words heard with their times out.
//!
//! A take is read in 30 s windows. Each window is encoded once, decoded greedily, and its text
//! tokens are then run through the decoder once more, teacher-forced, to read word times from
//! the alignment heads and word confidences from the token probabilities. The next window
//! starts where the last complete word ended, so nothing is cut or heard twice at a boundary.
//!
//! The recogniser has four uses, each in a file of its own: a whole take (`take`), a take
//! heard while it is recorded (`live`), the last seconds for the prompter (`recent`), and the
//! questions put back to the model about a stretch (`rescoring`). What they share, decoding
//! a window and timing its words, is here; the tidying of the words they hear is in `words`.

mod live;
mod readings;
mod recent;
mod rescoring;
mod take;
mod words;

use std::path::{Path, PathBuf};

use encore_take::HeardWord;

pub use live::LiveHearing;
pub use rescoring::Listening;

use crate::ListenError;
use crate::config::ModelConfig;
use crate::decode::{GreedyDecoder, Sampled, log_probability_of};
use crate::install::ModelFiles;
use crate::model::{DecoderState, Whisper};
use crate::recogniser::readings::KeptReading;
use crate::timing;
use crate::tokenizer::Tokenizer;
use crate::whisper::{FRAMES_PER_POSITION, SECONDS_PER_POSITION};

#[derive(Debug, Clone)]
pub struct ListenOptions {
    /// Ask the model for verbatim text: fillers, repetitions and restarts.
    pub verbatim: bool,
    /// The script, to bias recognition toward its words and spellings (`None`, the default:
    /// hear without knowing it). It goes before the verbatim prompt, not instead of it: the
    /// decoder copies the style of the text just before the audio, so the verbatim sentence
    /// stays last and keeps the fillers and restarts, while the script earlier in the prompt
    /// still lends its words. Biasing hides real miscues as well as slips (the decoder writes
    /// the script's word where another was said, and may write words that were skipped), which
    /// is why it is off by default; `align-eval --bias-to-script` measures both ways. Only the
    /// first window sees the whole prompt: later ones are prompted by what was heard before,
    /// as always, and the script's start is kept when the prompt must be cut.
    pub script_prompt: Option<String>,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions { verbatim: true, script_prompt: None }
    }
}

pub struct Recogniser {
    model: Whisper,
    tokenizer: Tokenizer,
    config: ModelConfig,
    location: PathBuf,
    /// A bigger model asked again where this one keeps a disagreement with the script (see
    /// [`Recogniser::second_opinion`]).
    second: Option<Box<Recogniser>>,
}

impl Recogniser {
    /// Loads the model in `dir`, its work spread over as many threads as the environment says
    /// (`RAYON_NUM_THREADS`, else one a core): see [`Recogniser::load_with_threads`].
    pub fn load(dir: &Path) -> Result<Recogniser, ListenError> {
        Recogniser::load_with_threads(dir, None)
    }

    /// Loads the model in `dir`, its work spread over `threads` threads (`None`: as
    /// [`Recogniser::load`]; `Some(0)` counts as one).
    ///
    /// The count is given to rayon's global pool, once, before anything has run on it
    /// (`rayon::ThreadPoolBuilder::build_global`), rather than to a pool of the recogniser's
    /// own: everything the recogniser runs in parallel (Encore's kernels, the spectrogram,
    /// candle's convolutions, and the tasks of gemm's matrix products) runs on that pool, so
    /// it then uses that many threads, as `RAYON_NUM_THREADS` would make it, without the
    /// environment being set. A pool of its own, entered with `install`, would move every
    /// call onto the pool's workers: the prompter's quick passes and the keeper's windows,
    /// which run side by side in a live take, would then wait inside each other whenever a
    /// worker idle in one picks up the other, and a lock held across decoding could be taken
    /// twice on one worker. The global pool is the process's: a second recogniser asking for
    /// another count, or a count asked for after something already used rayon, is an error
    /// ([`ListenError::Threads`]); asking again for the count in force is not.
    ///
    /// Two things keep their own counts, which candle 0.11 reads from the environment and
    /// offers no way to set: how many tasks a matrix product is cut into (`RAYON_NUM_THREADS`,
    /// else the physical cores; they still run on the pool's threads), and candle's own
    /// pool of spinning threads for large element-wise operations and 8-bit products
    /// (`CANDLE_NUM_THREADS`, else `RAYON_NUM_THREADS`, else the physical cores). What is
    /// heard does not depend on any of these counts: the threads share out whole rows and
    /// blocks, each summed in one order (`tests/threads.rs` holds it for one thread and two).
    pub fn load_with_threads(dir: &Path, threads: Option<usize>) -> Result<Recogniser, ListenError> {
        if let Some(threads) = threads.map(|n| n.max(1)) {
            use_threads(threads)?;
        }
        let mut files = ModelFiles::read(dir)?;
        let model = files.network(crate::model::Precision::from_environment())?;
        Ok(Recogniser { model, tokenizer: files.tokenizer, config: files.config, location: dir.into(), second: None })
    }

    /// This recogniser with `second` as its second listener: a model asked again about the
    /// disagreements this one keeps, on only the stretches they are about.
    pub fn with_second_listener(self, second: Recogniser) -> Recogniser {
        Recogniser { second: Some(Box::new(second)), ..self }
    }

    /// The second listener, if one is attached.
    pub fn second_listener(&self) -> Option<&Recogniser> {
        self.second.as_deref()
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    pub fn location(&self) -> &Path {
        &self.location
    }

    /// The model's vocabulary, for the examples (`internals`).
    #[cfg(feature = "internals")]
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Decodes a window; when the result looks wrong (the model looped, or it is unsure of
    /// everything), decodes again without the previous text, which is what usually misled it.
    /// A decoding after previous text that is stuck in a loop is stopped there: it would be
    /// decoded again whatever it went on to write. `may_end` is
    /// [`GreedyDecoder::decode_until`]'s.
    fn decode_window(
        &self,
        window: &DecoderState,
        history: &[u32],
        may_end: &dyn Fn(&[u32]) -> bool,
    ) -> Result<Sampled, ListenError> {
        let decoder = self.greedy();
        // Looked for every eighth token: finding a loop reads the whole decoding so far.
        let stuck = |tokens: &[u32]| tokens.len().is_multiple_of(8) && self.stuck_in_loop(tokens);
        let first =
            decoder.decode_until(window, history, if history.is_empty() { &|_| false } else { &stuck }, may_end)?;
        if !(first.ran_out || first.average_log_probability < -1.0) || history.is_empty() {
            return Ok(first);
        }
        let second = decoder.decode_until(window, &[], &|_| false, may_end)?;
        let better = if second.ran_out && !first.ran_out {
            first
        } else if second.average_log_probability > first.average_log_probability || first.ran_out {
            second
        } else {
            first
        };
        Ok(better)
    }

    fn greedy(&self) -> GreedyDecoder<'_> {
        GreedyDecoder { decoder: &self.model.decoder, tokenizer: &self.tokenizer, config: &self.config }
    }

    /// Text tokens grouped into words as they are written: each with the index of its first
    /// token. A token that starts with a space starts a word; others (the rest of a word,
    /// punctuation) join the word before. Word timing and loop finding group alike.
    fn words_of(&self, tokens: &[u32]) -> Vec<(usize, String)> {
        let mut words: Vec<(usize, Vec<u8>)> = Vec::new();
        for (index, &token) in tokens.iter().enumerate().filter(|&(_, &t)| self.tokenizer.is_text(t)) {
            let bytes = self.tokenizer.bytes(token);
            match words.last_mut() {
                Some((_, word)) if bytes.first() != Some(&b' ') => word.extend_from_slice(bytes),
                _ => words.push((index, bytes.to_vec())),
            }
        }
        words.into_iter().map(|(index, bytes)| (index, String::from_utf8_lossy(&bytes).into_owned())).collect()
    }

    /// Word times and confidences for a window's text tokens; with `keep_reading`, also the
    /// reading the timing pass made of them, for rescoring to start from (see [`KeptReading`]).
    fn time_words(
        &self,
        window: &DecoderState,
        text: &[u32],
        segment_frames: usize,
        offset: f64,
        keep_reading: bool,
    ) -> Result<(Vec<HeardWord>, Option<KeptReading>), ListenError> {
        let special = &self.tokenizer.special;
        let start = self.tokenizer.start_sequence();
        let mut tokens = start.clone();
        tokens.push(special.no_timestamps);
        tokens.extend_from_slice(text);
        tokens.push(special.end_of_text);
        let mut state = window.restart();
        let output = self.model.decoder.forward(&tokens, &mut state, &self.config.alignment_heads)?;
        let alignment = output.alignment.expect("alignment heads were requested");
        let positions = (segment_frames / FRAMES_PER_POSITION).max(1);
        let matrix = timing::attention_matrix(&alignment, positions)?;
        // Row k of what follows is the position that predicts text token k; the first is
        // `<|notimestamps|>` itself, the last the final text token (which predicts the end).
        let rows = &matrix[start.len()..matrix.len() - 1];
        let starts = timing::row_starts(rows);

        let logits = &output.logits;
        let reading = keep_reading.then(|| KeptReading::of(&tokens, &state, logits, special.end_of_text));
        let text_columns = special.end_of_text as usize;
        let probability = |k: usize| {
            let row = &logits.row(start.len() + k)[..text_columns];
            log_probability_of(row, text[k] as usize).exp()
        };

        let time_of = |row: usize| {
            (offset + starts[row.min(starts.len() - 1)] as f64 * SECONDS_PER_POSITION - timing::ATTENTION_LAG)
                .max(offset)
        };
        let written = self.words_of(text);
        let mut words = Vec::new();
        for (index, (first_row, written_as)) in written.iter().enumerate() {
            let text_of = written_as.trim();
            if text_of.is_empty() {
                continue;
            }
            let end_row = written.get(index + 1).map_or(text.len(), |(next, _)| *next);
            let confidence = (*first_row..end_row).map(probability).sum::<f32>() / (end_row - first_row) as f32;
            words.push(HeardWord {
                text: text_of.to_string(),
                start: time_of(*first_row),
                end: time_of(end_row),
                confidence,
            });
        }
        // A word the warping stretched over seconds of speech (typically the last word of a
        // window that ended early, which takes everything up to the end) is cut to a length
        // a word can have; otherwise the next window would start far too late.
        let mut durations: Vec<f64> = words.iter().map(|w| w.end - w.start).collect();
        durations.sort_by(f64::total_cmp);
        // The median is capped because a window of one or two words has no typical length.
        let median = durations.get(durations.len() / 2).copied().unwrap_or(0.3).min(0.6);
        let longest = (3.0 * median).max(1.2);
        for word in &mut words {
            word.end = word.end.min(word.start + longest);
        }
        Ok((words, reading))
    }
}

/// Gives rayon's global pool `threads` threads (see [`Recogniser::load_with_threads`]).
fn use_threads(threads: usize) -> Result<(), ListenError> {
    if rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().is_ok() {
        return Ok(());
    }
    // Already built: by an earlier recogniser, or by the first parallel work of the process.
    match rayon::current_num_threads() {
        running if running == threads => Ok(()),
        running => Err(ListenError::Threads { threads, running }),
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};

    use super::*;
    use crate::mel;
    use crate::whisper::{FRAMES_PER_WINDOW, HOP};

    /// The model, and JFK's 11 s in one window, ready for the decoder.
    pub(super) fn jfk_window() -> (Recogniser, DecoderState) {
        let (recogniser, input) = jfk_input();
        let encoded = recogniser.model.encoder.forward(&input).unwrap();
        let window = recogniser.model.decoder.start(&encoded).unwrap();
        (recogniser, window)
    }

    /// The model, and JFK's 11 s as the encoder's input.
    fn jfk_input() -> (Recogniser, Tensor) {
        let dir = crate::default_model_dir();
        if !crate::is_model_dir(&dir) {
            crate::install(&dir, crate::DEFAULT_MODEL, &[], &mut |message| eprintln!("{message}"))
                .expect("the model installs");
        }
        let recogniser = Recogniser::load(&dir).expect("the model loads");
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/audio/jfk_inaugural_1961.wav");
        let audio = encore_audio::decode_file(&path, &mut |_| {}).expect("the recording decodes");
        let bands = recogniser.config.mel_bins;
        let spectrogram = mel::Spectrogram::new(&audio.samples, FRAMES_PER_WINDOW * HOP, bands);
        let features = spectrogram.window(0, audio.samples.len() / HOP);
        let input = Tensor::from_vec(features, (1, bands, FRAMES_PER_WINDOW), &Device::Cpu).unwrap();
        (recogniser, input)
    }

    /// The encoder's 8-bit products (where the CPU has them) hear JFK's line as its f32 ones
    /// do: the same tokens, from encoded audio within what 8 bits round.
    #[test]
    fn the_8_bit_encoder_hears_what_the_f32_one_hears() {
        use crate::model::EncoderPrecision;
        if !crate::cpu::encoder_int8::available() {
            eprintln!("this CPU has no AVX-512 VNNI: the encoder multiplies in f32 only");
        }
        let (recogniser, input) = jfk_input();
        let encoder = &recogniser.model.encoder;
        let wide = encoder.forward_in(&input, EncoderPrecision::F32).unwrap();
        let narrow = encoder.forward_in(&input, EncoderPrecision::Int8).unwrap();
        let (wide_numbers, narrow_numbers) = (
            wide.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            narrow.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        );
        let size = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let difference: Vec<f32> = wide_numbers.iter().zip(&narrow_numbers).map(|(a, b)| a - b).collect();
        let relative = size(&difference) / size(&wide_numbers);
        assert!(relative < 0.05, "the 8-bit encoding is {relative} away from the f32 one");
        let heard = |encoded: &Tensor| {
            let window = recogniser.model.decoder.start(encoded).unwrap();
            recogniser.greedy().decode_until(&window, &[], &|_| false, &|_| true).unwrap().tokens
        };
        assert_eq!(heard(&narrow), heard(&wide));
    }

    /// The prompt before a window is fed without logits of its own: the tokens that are
    /// scored must score as they do when every token is.
    #[test]
    fn leaving_the_prompt_unscored_leaves_the_scores_after_it_alone() {
        let (recogniser, window) = jfk_window();
        let mut tokens = vec![recogniser.tokenizer.special.start_of_previous];
        tokens.extend(recogniser.tokenizer.encode(" Um, so, I was, like, there."));
        let prompt = tokens.len();
        tokens.extend(recogniser.tokenizer.start_sequence());
        tokens.extend(recogniser.tokenizer.encode(" And so"));
        let decoder = &recogniser.model.decoder;
        let every = decoder.forward(&tokens, &mut window.restart(), &[]).unwrap().logits;
        let some = decoder.forward_scoring_from(&tokens, &mut window.restart(), &[], prompt).unwrap().logits;
        assert_eq!(some.rows(), tokens.len() - prompt);
        let every = every.iter().skip(prompt).flatten();
        let worst = every.zip(some.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-3, "largest difference {worst}");
    }

    /// Greedy decoding goes a token at a time through the decoder's own step
    /// ([`crate::cpu::step`]): at every token of JFK's line it must pick what candle's pass
    /// over the whole line picks (in f32), with logits as close as 8 bits allow.
    #[test]
    fn a_token_at_a_time_the_step_picks_what_the_whole_pass_picks() {
        let (recogniser, window) = jfk_window();
        let mut tokens = recogniser.tokenizer.start_sequence();
        let start = tokens.len();
        tokens.extend(
            recogniser.tokenizer.encode(" And so my fellow Americans, ask not what your country can do for you"),
        );
        let decoder = &recogniser.model.decoder;
        let whole = decoder.forward(&tokens, &mut window.restart(), &[]).unwrap().logits;
        let mut state = window.restart();
        decoder.forward(&tokens[..start], &mut state, &[]).unwrap();
        let mut steps = decoder.steps(&state).unwrap().expect("8-bit weights decode a step at a time");
        let pick = |logits: &[f32]| logits.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        for (position, &token) in tokens.iter().enumerate().skip(start) {
            let stepped = steps.step(token).unwrap();
            let passed = whole.row(position);
            assert_eq!(pick(&stepped), pick(passed), "the pick after token {position}");
            let worst = stepped.iter().zip(passed).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(worst < 1.0, "after token {position} the logits differ by {worst}");
        }
        assert_eq!(steps.length, tokens.len());
    }
}
