//! The recogniser: a take's audio in, the words heard with their times out.
//!
//! A take is read in 30 s windows. Each window is encoded once, decoded greedily, and its text
//! tokens are then run through the decoder once more, teacher-forced, to read word times from
//! the alignment heads and word confidences from the token probabilities. The next window
//! starts where the last complete word ended, so nothing is cut or heard twice at a boundary.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use candle_core::{Device, Tensor};
use encore_audio::{Audio, SpeechSpan};

use crate::ListenError;
use crate::config::ModelConfig;
use crate::decode::{GreedyDecoder, Sampled, log_probability_of};
use crate::install::ModelFiles;
use crate::mel::{self, FRAMES_PER_WINDOW, HOP};
use crate::model::{DecoderState, Whisper};
use crate::timing::{self, SECONDS_PER_POSITION};
use crate::tokenizer::Tokenizer;
use crate::transcript::{FORMAT, HeardWord, Progress, Span, StageTimes, Transcript};

/// A prompt written the way people really talk. Whisper continues in the style of its
/// prompt, so a prompt with fillers and a restart makes it write the "um"s and repeats it
/// would otherwise tidy away.
const VERBATIM_PROMPT: &str = "Um, so, uh, I I was, like, um... hmm. I mean, uh, we- we went there.";

/// Shortest stretch of speech without words worth reporting (seconds).
const SHORTEST_UNRECOGNISED: f64 = 0.3;

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

/// Most prompt tokens the decoder keeps (`<|startofprev|>` and the last 223 tokens of text).
const PROMPT_TOKENS: usize = 223;

pub struct Recogniser {
    model: Whisper,
    tokenizer: Tokenizer,
    config: ModelConfig,
    location: PathBuf,
}

impl Recogniser {
    pub fn load(dir: &Path) -> Result<Recogniser, ListenError> {
        let files = ModelFiles::read(dir)?;
        let model = Whisper::load(&files.weights, &files.config, crate::model::Precision::from_environment())
            .map_err(|e| ListenError::BrokenModel { path: dir.into(), reason: e.to_string() })?;
        Ok(Recogniser { model, tokenizer: files.tokenizer, config: files.config, location: dir.into() })
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    pub fn location(&self) -> &Path {
        &self.location
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Hears a whole take. `progress` is told after each window.
    pub fn transcribe(
        &self,
        audio: &Audio,
        options: &ListenOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Transcript, StageTimes), ListenError> {
        let (transcript, times, _) = self.hear(audio, options, progress, false)?;
        Ok((transcript, times))
    }

    /// Hears a whole take, and keeps the encoded audio so that disagreements with the script
    /// can be put to the model afterwards ([`Recogniser::prefer_script`]).
    pub fn listen(
        &self,
        audio: &Audio,
        options: &ListenOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Transcript, StageTimes, Listening), ListenError> {
        self.hear(audio, options, progress, true)
    }

    fn hear(
        &self,
        audio: &Audio,
        options: &ListenOptions,
        progress: &mut dyn FnMut(Progress),
        keep_windows: bool,
    ) -> Result<(Transcript, StageTimes, Listening), ListenError> {
        let mut heard = self.start_hearing(options, keep_windows);
        self.hear_more(&mut heard, audio, true, progress)?;
        Ok(self.finish_hearing(heard, audio))
    }

    /// Starts hearing a take that is still being recorded: feed it with
    /// [`Recogniser::hear_more`] as the audio grows, then [`Recogniser::finish_hearing`]. The
    /// result is the same as [`Recogniser::listen`] on the whole take, except that each window
    /// is heard with the voice activity and loudness known at the time.
    pub fn start_hearing(&self, options: &ListenOptions, keep_windows: bool) -> Heard {
        let mut history = if options.verbatim { self.tokenizer.encode(VERBATIM_PROMPT) } else { Vec::new() };
        if let Some(script) = options.script_prompt.as_deref().filter(|s| !s.trim().is_empty()) {
            let words: Vec<&str> = script.split_whitespace().collect();
            let mut prompt = self.tokenizer.encode(&format!(" {}", words.join(" ")));
            let after =
                if options.verbatim { self.tokenizer.encode(&format!(" {VERBATIM_PROMPT}")) } else { Vec::new() };
            prompt.truncate(PROMPT_TOKENS.saturating_sub(after.len()));
            prompt.extend(after);
            history = prompt;
        }
        Heard {
            history,
            words: Vec::new(),
            seek: 0,
            listening: Listening {
                windows: Vec::new(),
                answers: Arc::default(),
                last_window: Mutex::default(),
                recent: Vec::new(),
            },
            settled_peak: mel::SettledPeak::default(),
            keep_windows,
            times: StageTimes::default(),
        }
    }

    /// Hears the windows of `audio` not heard yet. Unless `to_the_end`, only whole windows
    /// are heard, with half a second to spare, because more audio is coming: the rest waits
    /// for the next call.
    pub fn hear_more(
        &self,
        heard: &mut Heard,
        audio: &Audio,
        to_the_end: bool,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), ListenError> {
        let frame_seconds = HOP as f64 / encore_audio::SAMPLE_RATE as f64;
        if !to_the_end && !heard.would_hear_more(audio.samples.len()) {
            return Ok(());
        }
        let times = &mut heard.times;
        let clock = Instant::now();
        let speech = encore_audio::voice_activity(audio);
        times.voice_activity += clock.elapsed().as_secs_f64();

        let clock = Instant::now();
        let window_samples = FRAMES_PER_WINDOW * HOP;
        let spectrogram =
            mel::Spectrogram::continuing(&audio.samples, window_samples, self.config.mel_bins, &mut heard.settled_peak);
        let content_frames = spectrogram.frames.saturating_sub(FRAMES_PER_WINDOW);
        times.mel += clock.elapsed().as_secs_f64();

        let mut seek = heard.seek;
        while seek < content_frames {
            if !to_the_end && !whole_window_recorded(seek, audio.samples.len()) {
                break;
            }
            let segment_frames = FRAMES_PER_WINDOW.min(content_frames - seek);
            let offset = seek as f64 * frame_seconds;
            // Whisper invents words ("Thank you.") in silence; where voice activity finds no
            // speech, or only the tail of the word the last window ended on, there is nothing
            // to hear.
            let window_end = offset + segment_frames as f64 * frame_seconds;
            let speech_inside: f64 =
                speech.iter().map(|s| (s.end.min(window_end) - s.start.max(offset)).max(0.0)).sum();
            if speech_inside < LEAST_SPEECH_IN_WINDOW {
                seek += segment_frames;
                progress(Progress {
                    done: (seek as f64 * frame_seconds).min(audio.duration()),
                    total: audio.duration(),
                });
                continue;
            }
            let clock = Instant::now();
            let features = spectrogram.window(seek, segment_frames);
            times.mel += clock.elapsed().as_secs_f64();
            let clock = Instant::now();
            let input = Tensor::from_vec(features, (1, self.config.mel_bins, FRAMES_PER_WINDOW), &Device::Cpu)?;
            let encoded = self.model.encoder.forward(&input)?;
            let kept = heard.keep_windows && heard.listening.windows.len() < MAX_KEPT_WINDOWS;
            if kept {
                heard.listening.windows.push(KeptWindow {
                    offset,
                    frames: segment_frames,
                    encoded: encoded.clone(),
                    words_until: window_end,
                });
            }
            times.encoder += clock.elapsed().as_secs_f64();
            times.windows += 1;

            let clock = Instant::now();
            let window = self.model.decoder.start(&encoded)?;
            if kept {
                let recent = &mut heard.listening.recent;
                recent.push((heard.listening.windows.len() - 1, window.restart()));
                recent.drain(..recent.len().saturating_sub(RECENT_VIEWS));
            }
            let sampled = self.decode_window(&window, &heard.history)?;
            times.decoder += clock.elapsed().as_secs_f64();

            let silent = sampled.no_speech_probability > 0.6 && sampled.average_log_probability < -1.0;
            // When the window ends mid-sentence, only the complete segments count: the next
            // window starts where they end and reads the cut sentence whole.
            let (advance, complete) = self.window_advance(&sampled.tokens, segment_frames);
            let text: Vec<u32> =
                sampled.tokens[..complete].iter().copied().filter(|&t| self.tokenizer.is_text(t)).collect();
            if silent || text.is_empty() {
                seek += match advance {
                    Advance::To(frames) if !silent => frames.max(1),
                    _ => segment_frames,
                };
            } else {
                let clock = Instant::now();
                let mut window_words = self.time_words(&window, &text, segment_frames, offset)?;
                // Fit the words to the speech now, before the next window's start is taken
                // from the last one: the last word's end is the least certain time the warping
                // gives, and a window that stopped early must not skip what it did not hear.
                let mut edges: Vec<(f64, f64)> =
                    window_words.iter().map(|w| timing::snap_to_speech(w.start, w.end, &speech)).collect();
                timing::split_at_pauses(&mut edges, &speech);
                for (word, (start, end)) in window_words.iter_mut().zip(edges) {
                    (word.start, word.end) = (start, end.max(start));
                }
                if sampled.no_speech_probability > 0.5 {
                    // A doubtful window keeps only the words that lie on speech.
                    window_words.retain(|w| speech.iter().any(|s| s.end > w.start && s.start < w.end));
                }
                times.timing += clock.elapsed().as_secs_f64();
                // Unless the window closed on a lone timestamp (all of it was heard), the next
                // window starts where the last word heard ended: the model may stop before the
                // end of the window, and what it did not write must be read again, not lost.
                seek = match (advance, window_words.last()) {
                    (Advance::Whole { single_ending: true }, _) => seek + segment_frames,
                    (_, Some(last)) if last.end > offset => ((last.end / frame_seconds).round() as usize).max(seek + 1),
                    (Advance::To(frames), _) => seek + frames.max(1),
                    (Advance::Whole { .. }, _) => seek + segment_frames,
                };
                heard.history.extend_from_slice(&text);
                heard.words.extend(window_words);
            }
            if let Some(window) = heard.listening.windows.last_mut().filter(|_| kept) {
                window.words_until = seek as f64 * frame_seconds;
            }
            heard.seek = seek;
            progress(Progress { done: (seek as f64 * frame_seconds).min(audio.duration()), total: audio.duration() });
        }
        heard.seek = seek;
        Ok(())
    }

    /// The transcript of a take heard to its end.
    pub fn finish_hearing(&self, heard: Heard, audio: &Audio) -> (Transcript, StageTimes, Listening) {
        let Heard { words, listening, mut times, .. } = heard;
        let clock = Instant::now();
        let speech = encore_audio::voice_activity(audio);
        times.voice_activity += clock.elapsed().as_secs_f64();
        let words = merge_looped_fillers(
            words
                .into_iter()
                .map(|mut w| {
                    w.text = normalise_filler(&w.text);
                    w
                })
                .collect(),
        );
        let covered: Vec<(f64, f64)> = words.iter().map(|w| (w.start, w.end)).collect();
        let unrecognised = timing::uncovered_speech(&speech, &covered, SHORTEST_UNRECOGNISED)
            .into_iter()
            .map(|SpeechSpan { start, end }| Span { start, end })
            .collect();
        let voiced = speech.iter().map(|s| s.end - s.start).sum();
        let transcript =
            Transcript { format: FORMAT.into(), duration: audio.duration(), speech: voiced, words, unrecognised };
        (transcript, times, listening)
    }

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
        let first = ((from.max(0.0) * encore_audio::SAMPLE_RATE as f64) as usize).min(audio.samples.len());
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
        let decoder = GreedyDecoder { decoder: &self.model.decoder, tokenizer: &self.tokenizer, config: &self.config };
        let seconds = frames as f64 / 100.0;
        let limit = (seconds * MOST_TOKENS_PER_SECOND) as usize + 8;
        // On audio that stops mid-speech the decoder seldom ends: it says the stretch again, or
        // what it guesses comes next. Once it has gone round a loop it is stopped, and unless
        // it ended of itself the loop is cut before the words are timed, since the warping
        // would squeeze the last words heard, the ones the prompter wants, to make room for it.
        let looped = |tokens: &[u32]| self.loop_in(tokens).is_some_and(|(loop_, words)| loop_.went_round(words.len()));
        let enough = |tokens: &[u32]| give_up() || looped(tokens);
        let sampled = decoder.decode_at_most(&state, &self.tokenizer.encode(prompt), limit, &enough)?;
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
        let offset = first as f64 / encore_audio::SAMPLE_RATE as f64;
        let mut words = self.time_words(&state, &text, frames, offset)?;
        // A decoder that ran past the audio (it loops, or guesses the next line) piles its
        // extra words on the last instant: they were not heard.
        let end = audio.duration();
        if let Some(piled) = words.iter().position(|w| w.start > end - PILED_UP && w.end - w.start < 0.05) {
            words.truncate(piled);
        }
        // Words placed on silence were not heard there.
        let recent = Audio::from_samples(samples.to_vec(), encore_audio::SAMPLE_RATE);
        let speech = encore_audio::voice_activity(&recent);
        words.retain(|w| speech.iter().any(|s| s.end + offset > w.start && s.start + offset < w.end));
        for word in &mut words {
            word.text = normalise_filler(&word.text);
            word.end = word.end.min(end);
        }
        Ok(words)
    }

    /// How likely it is (0 to 1) that the performer said `script` rather than what was heard
    /// between `start` and `end`: both readings of the window are scored teacher-forced
    /// through the decoder, on the same audio and with the same surrounding words, and the
    /// difference of their log-likelihoods becomes a probability. `None` when that stretch of
    /// audio was not kept (very long takes) or holds no window.
    pub fn prefer_script(
        &self,
        listening: &Listening,
        transcript: &Transcript,
        start: f64,
        end: f64,
        script: &[&str],
    ) -> Result<Option<f32>, ListenError> {
        let frame_seconds = HOP as f64 / encore_audio::SAMPLE_RATE as f64;
        let Some(index) = listening
            .windows
            .iter()
            .rposition(|w| w.offset <= start + 1e-6 && end <= w.offset + w.frames as f64 * frame_seconds + 1e-6)
        else {
            return Ok(None);
        };
        let window = &listening.windows[index];
        // The window is read with the words it heard itself, not those the next window heard
        // at its end: so its readings are settled as soon as it is decoded, and a live take
        // can ask about them while it goes on.
        let in_window: Vec<&HeardWord> = transcript
            .words
            .iter()
            .filter(|w| w.start >= window.offset - 1e-6 && w.start < window.words_until - 1e-6)
            .collect();
        let middle = (start + end) / 2.0;
        let inside = |w: &HeardWord| {
            let centre = (w.start + w.end) / 2.0;
            centre >= start && centre <= end || (w.start <= middle && middle < w.end && start == end)
        };
        let mut heard = String::new();
        let mut alternative = String::new();
        let mut placed = false;
        for word in &in_window {
            if inside(word) {
                if !placed {
                    script.iter().for_each(|s| alternative.push_str(&format!(" {s}")));
                    placed = true;
                }
            } else {
                if !placed && word.start >= end {
                    script.iter().for_each(|s| alternative.push_str(&format!(" {s}")));
                    placed = true;
                }
                alternative.push_str(&format!(" {}", word.text));
            }
            heard.push_str(&format!(" {}", word.text));
        }
        if !placed {
            script.iter().for_each(|s| alternative.push_str(&format!(" {s}")));
        }
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
            *last = Some(AskedWindow { index, audio, heard: None });
        }
        let asked = last.as_mut().expect("set just above");
        if asked.heard.as_ref().is_none_or(|reading| reading.text != heard) {
            asked.heard = Some(self.read_through(&asked.audio, &heard)?);
        }
        let reading = asked.heard.as_ref().expect("set just above");
        let script_score = self.read_after(reading, &alternative)?;
        let difference = (script_score - reading.score()).clamp(-30.0, 30.0);
        let answer = (1.0 / (1.0 + (-difference).exp())) as f32;
        drop(last);
        lock(&listening.answers).insert(question, answer);
        Ok(Some(answer))
    }

    /// The tokens of `text` as a whole reading of a window: the start sequence, no
    /// timestamps, the text, the end of text.
    fn reading_tokens(&self, text: &str) -> Vec<u32> {
        let special = &self.tokenizer.special;
        let mut tokens = self.tokenizer.start_sequence();
        tokens.push(special.no_timestamps);
        tokens.extend(self.tokenizer.encode(text));
        tokens.push(special.end_of_text);
        tokens
    }

    /// Runs `text` through the decoder teacher-forced on a window's audio, keeping what
    /// another reading that starts the same way can go on from.
    fn read_through(&self, audio: &DecoderState, text: &str) -> Result<Reading, ListenError> {
        let tokens = self.reading_tokens(text);
        let mut state = audio.restart();
        let output = self.model.decoder.forward(&tokens[..tokens.len() - 1], &mut state, &[])?;
        let logits: Vec<Vec<f32>> = output.logits.to_vec2()?;
        let next_token =
            logits.iter().zip(&tokens[1..]).map(|(row, &next)| log_probability_of(row, next as usize) as f64).collect();
        let scored_from = self.tokenizer.start_sequence().len();
        Ok(Reading { text: text.to_string(), tokens, state, next_token, scored_from })
    }

    /// The log-likelihood of `text` as a reading of the window `heard` was read on (see
    /// [`Reading::score`]): the positions it shares with `heard` are taken from there, and
    /// only the rest is run through the decoder.
    fn read_after(&self, heard: &Reading, text: &str) -> Result<f64, ListenError> {
        let tokens = self.reading_tokens(text);
        let shared = heard.tokens.iter().zip(&tokens).take_while(|(a, b)| a == b).count();
        // Position p predicts token p + 1, so the heard reading answers for the positions
        // before the first difference. Two or more positions are run again even so: a single
        // position is decoded through the quantised projection, which scores a little
        // differently from the whole-reading pass.
        let from = (shared - 1).min(tokens.len().saturating_sub(3)).max(heard.scored_from);
        let mut state = heard.state.truncated(from)?;
        let output = self.model.decoder.forward(&tokens[from..tokens.len() - 1], &mut state, &[])?;
        let logits: Vec<Vec<f32>> = output.logits.to_vec2()?;
        let before: f64 = heard.next_token[heard.scored_from..from].iter().sum();
        let after: f64 = logits
            .iter()
            .zip(&tokens[from + 1..])
            .map(|(row, &next)| log_probability_of(row, next as usize) as f64)
            .sum();
        Ok(before + after)
    }

    /// Decodes a window; when the result looks wrong (the model looped, or it is unsure of
    /// everything), decodes again without the previous text, which is what usually misled it.
    fn decode_window(&self, window: &DecoderState, history: &[u32]) -> Result<Sampled, ListenError> {
        let decoder = GreedyDecoder { decoder: &self.model.decoder, tokenizer: &self.tokenizer, config: &self.config };
        let first = decoder.decode(window, history)?;
        if !(first.ran_out || first.average_log_probability < -1.0) || history.is_empty() {
            return Ok(first);
        }
        let second = decoder.decode(window, &[])?;
        let better = if second.ran_out && !first.ran_out {
            first
        } else if second.average_log_probability > first.average_log_probability || first.ran_out {
            second
        } else {
            first
        };
        Ok(better)
    }

    /// Where the next window starts, from the timestamps, and how many of the sampled tokens
    /// belong to complete segments.
    fn window_advance(&self, tokens: &[u32], segment_frames: usize) -> (Advance, usize) {
        let is_timestamp = |t: u32| self.tokenizer.is_timestamp(t);
        let n = tokens.len();
        let single_ending = n >= 2 && !is_timestamp(tokens[n - 2]) && is_timestamp(tokens[n - 1]);
        let last_pair = (1..n).rev().find(|&i| is_timestamp(tokens[i - 1]) && is_timestamp(tokens[i]));
        match last_pair {
            Some(i) if !single_ending => {
                let position = (tokens[i - 1] - self.tokenizer.special.timestamp_begin) as usize;
                (Advance::To((position * 2).min(segment_frames)), i)
            }
            _ => (Advance::Whole { single_ending }, n),
        }
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

    /// Where decoded `tokens` start repeating themselves, if they do, with the index of each
    /// word's first token.
    fn loop_in(&self, tokens: &[u32]) -> Option<(Repeating, Vec<usize>)> {
        let words = self.words_of(tokens);
        let texts: Vec<&str> = words.iter().map(|(_, text)| text.as_str()).collect();
        repeating(&texts).map(|loop_| (loop_, words.iter().map(|(first, _)| *first).collect()))
    }

    /// Word times and confidences for a window's text tokens.
    fn time_words(
        &self,
        window: &DecoderState,
        text: &[u32],
        segment_frames: usize,
        offset: f64,
    ) -> Result<Vec<HeardWord>, ListenError> {
        let special = &self.tokenizer.special;
        let start = self.tokenizer.start_sequence();
        let mut tokens = start.clone();
        tokens.push(special.no_timestamps);
        tokens.extend_from_slice(text);
        tokens.push(special.end_of_text);
        let mut state = window.restart();
        let output = self.model.decoder.forward(&tokens, &mut state, &self.config.alignment_heads)?;
        let alignment = output.alignment.expect("alignment heads were requested");
        let positions = (segment_frames / 2).max(1);
        let matrix = timing::attention_matrix(&alignment, positions)?;
        // Row k of what follows is the position that predicts text token k; the first is
        // `<|notimestamps|>` itself, the last the final text token (which predicts the end).
        let rows = &matrix[start.len()..matrix.len() - 1];
        let starts = timing::row_starts(rows);

        let logits: Vec<Vec<f32>> = output.logits.to_vec2()?;
        let text_columns = special.end_of_text as usize;
        let probability = |k: usize| {
            let row = &logits[start.len() + k][..text_columns];
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
        Ok(words)
    }
}

/// The encoded audio of a take, window by window, kept after listening for rescoring.
pub struct Listening {
    windows: Vec<KeptWindow>,
    /// Every answer given, by window and the two readings: a live take asks about the take
    /// heard so far before it ends, and asks again at the end (shared by clones).
    answers: Arc<Mutex<HashMap<Question, f32>>>,
    /// The window asked about last (see `prefer_script`).
    last_window: Mutex<Option<AskedWindow>>,
    /// The decoder's views of the windows heard last, by index: a live take's report waits
    /// on the questions about them, and they were just computed.
    recent: Vec<(usize, DecoderState)>,
}

/// A question put to the model about a window: its index, the heard reading, the script's.
type Question = (usize, String, String);

/// The answers and the window asked last are caches, filled whole or not at all: a question
/// that panicked leaves nothing that later ones cannot use.
fn lock<T>(cache: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Listening {
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
        }
    }
}

/// The decoder's view of a window asked about, and the heard reading of it.
struct AskedWindow {
    index: usize,
    audio: DecoderState,
    heard: Option<Reading>,
}

/// A reading of a window run through the decoder teacher-forced.
struct Reading {
    text: String,
    tokens: Vec<u32>,
    /// The decoder after every token but the end of text.
    state: DecoderState,
    /// At each position, the log-probability of the token that follows.
    next_token: Vec<f64>,
    /// The position of `<|notimestamps|>`, the first that predicts text.
    scored_from: usize,
}

impl Reading {
    /// The log-likelihood of the text, then the end of text, given the window's audio.
    fn score(&self) -> f64 {
        self.next_token[self.scored_from..].iter().sum()
    }
}

#[derive(Clone)]
struct KeptWindow {
    offset: f64,
    frames: usize,
    encoded: Tensor,
    /// Where the next window starts (seconds): the words this window was read with are the
    /// ones heard before, which are settled as soon as it has been decoded.
    words_until: f64,
}

/// A take being heard window by window while it is recorded (see
/// [`Recogniser::start_hearing`]). A clone can be heard to the end while the take goes on.
#[derive(Clone)]
pub struct Heard {
    /// The text so far, which prompts the next window.
    history: Vec<u32>,
    words: Vec<HeardWord>,
    /// The first mel frame not heard yet.
    seek: usize,
    listening: Listening,
    /// The loudness peak of the part of the take that more audio cannot change.
    settled_peak: mel::SettledPeak,
    keep_windows: bool,
    times: StageTimes,
}

impl Heard {
    /// Whether [`Recogniser::hear_more`], before the end, would hear anything of a take
    /// `recorded` samples long: a whole window and a little more must be waiting.
    pub fn would_hear_more(&self, recorded: usize) -> bool {
        whole_window_recorded(self.seek, recorded)
    }

    /// Seconds of the take heard so far.
    pub fn heard_until(&self) -> f64 {
        self.seek as f64 * HOP as f64 / encore_audio::SAMPLE_RATE as f64
    }
}

/// Words the prompter's decoding writes in the last moment of the audio, without time of their
/// own, were not heard there: the decoder ran on past the audio (seconds).
const PILED_UP: f64 = 0.3;

/// More tokens than anyone speaks in a second: the prompter's decoding stops there.
const MOST_TOKENS_PER_SECOND: f64 = 6.0;

/// Least speech that makes a window worth hearing (seconds): less is the end of a word
/// already heard, or a click.
const LEAST_SPEECH_IN_WINDOW: f64 = 0.2;

/// Shortest stretch worth hearing for the prompter: 0.4 s.
const SHORTEST_RECENT_FRAMES: usize = 40;

/// Frames recorded beyond a window before it is heard while recording: the last frames of
/// the spectrogram need the audio after them.
const FRAMES_TO_SPARE: usize = 50;

/// Whether `recorded` samples hold a whole window from frame `seek`, and the frames to spare.
fn whole_window_recorded(seek: usize, recorded: usize) -> bool {
    recorded / HOP >= seek + FRAMES_PER_WINDOW + FRAMES_TO_SPARE
}

/// The decoder's views kept of the windows heard last (18 MB each). A stop usually hears
/// one window or two, and the report asks about those.
const RECENT_VIEWS: usize = 2;

/// Windows kept for rescoring: 2.3 MB each, so 20 minutes of take at most.
const MAX_KEPT_WINDOWS: usize = 40;

enum Advance {
    Whole { single_ending: bool },
    To(usize),
}

/// The verbatim prompt can make the decoder loop on a filler ("uh, uh, uh, ..."): the copies
/// it writes beyond what was said get no audio of their own, so the warping gives them no
/// time. A filler shorter than anyone can say one, right after the same filler, is merged into
/// it.
fn merge_looped_fillers(words: Vec<HeardWord>) -> Vec<HeardWord> {
    const SHORTEST_FILLER: f64 = 0.06;
    let bare = |w: &HeardWord| w.text.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    let mut kept: Vec<HeardWord> = Vec::with_capacity(words.len());
    for word in words {
        if let Some(previous) = kept.last_mut()
            && word.end - word.start < SHORTEST_FILLER
            && is_filler(&bare(&word))
            && bare(previous) == bare(&word)
        {
            previous.end = previous.end.max(word.end);
            continue;
        }
        kept.push(word);
    }
    kept
}

fn is_filler(word: &str) -> bool {
    matches!(word, "um" | "uh" | "hmm" | "er" | "erm" | "mm")
}

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

/// Writes fillers one way ("Umm," → "um,") so that later stages need not know every spelling.
fn normalise_filler(word: &str) -> String {
    let core = word.trim_matches(|c: char| !c.is_alphanumeric());
    let lower = core.to_lowercase();
    let canonical = match lower.as_str() {
        "um" | "umm" | "ummm" | "uhm" | "uhmm" => "um",
        "uh" | "uhh" | "uhhh" | "ah" | "ahh" => "uh",
        "hmm" | "hmmm" | "hm" | "mmm" => "hmm",
        "er" | "err" | "erm" => &lower,
        _ => return word.to_string(),
    };
    word.replacen(core, canonical, 1)
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

        let honest = words("the the cat sat on the mat");
        assert_eq!(repeating(&honest), None);
        assert_eq!(repeating(&words("and the the")), None, "a word said twice is kept");
        let phrase = words("ask not ask not what your country");
        assert_eq!(repeating(&phrase), None, "a repeated phrase followed by new words is said, not looped");
        // Mid-sentence, a phrase that comes back is not yet a loop that went round.
        let again = words("can do for you, ask what you can do for");
        assert!(repeating(&again).is_none_or(|loop_| !loop_.went_round(again.len())));
    }

    #[test]
    fn a_looped_filler_without_time_of_its_own_is_merged() {
        let word = |text: &str, start: f64, end: f64| HeardWord { text: text.into(), start, end, confidence: 0.9 };
        let heard = vec![
            word("uh,", 4.3, 4.5),
            word("uh,", 4.5, 4.7),
            word("uh,", 4.7, 4.7),
            word("uh,", 4.7, 4.72),
            word("the", 4.8, 4.8),
            word("the", 4.8, 5.0),
        ];
        let texts: Vec<(String, f64)> = merge_looped_fillers(heard).into_iter().map(|w| (w.text, w.end)).collect();
        assert_eq!(texts, vec![("uh,".into(), 4.5), ("uh,".into(), 4.72), ("the".into(), 4.8), ("the".into(), 5.0)]);
    }

    /// The model, and JFK's 11 s in one window, ready for the decoder.
    fn jfk_window() -> (Recogniser, DecoderState) {
        let dir = crate::default_model_dir();
        if !crate::is_model_dir(&dir) {
            crate::install(&dir, None, &mut |message| eprintln!("{message}")).expect("the model installs");
        }
        let recogniser = Recogniser::load(&dir).expect("the model loads");
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/audio/jfk_inaugural_1961.wav");
        let audio = encore_audio::decode_file(&path, &mut |_| {}).expect("the recording decodes");
        let bands = recogniser.config.mel_bins;
        let spectrogram = mel::Spectrogram::new(&audio.samples, FRAMES_PER_WINDOW * HOP, bands);
        let features = spectrogram.window(0, audio.samples.len() / HOP);
        let input = Tensor::from_vec(features, (1, bands, FRAMES_PER_WINDOW), &Device::Cpu).unwrap();
        let encoded = recogniser.model.encoder.forward(&input).unwrap();
        let window = recogniser.model.decoder.start(&encoded).unwrap();
        (recogniser, window)
    }

    /// The script's reading goes on from the heard one's decoder rather than being read whole:
    /// the score must not change for it.
    #[test]
    fn a_reading_scored_from_where_it_parts_scores_as_one_read_whole() {
        let (recogniser, window) = jfk_window();
        let heard = " And so my fellow Americans, ask not what your country can do for you";
        let reading = recogniser.read_through(&window, heard).unwrap();
        for other in [
            " And so my yellow Americans, ask not what your country can do for you",
            " And so my fellow Americans, ask not what your country can do for",
            " And so my fellow Americans, ask not what your country can do for you, ask",
            " So my fellow Americans, ask not what your country can do for you",
            heard,
        ] {
            let whole = recogniser.read_through(&window, other).unwrap().score();
            let after = recogniser.read_after(&reading, other).unwrap();
            assert!((whole - after).abs() < 1e-3, "{other:?}: read whole {whole}, after the heard reading {after}");
            assert!(other == heard || reading.score() - whole > 0.1, "{other:?} is not what was said");
        }
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
        let every: Vec<Vec<f32>> = every.narrow(0, prompt, tokens.len() - prompt).unwrap().to_vec2().unwrap();
        let some: Vec<Vec<f32>> = some.to_vec2().unwrap();
        assert_eq!(some.len(), every.len());
        let worst = every.iter().flatten().zip(some.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-3, "largest difference {worst}");
    }

    /// Greedy decoding goes a token at a time through the decoder's own step
    /// ([`crate::step`]): at every token of JFK's line it must pick what candle's pass over
    /// the whole line picks, with logits as close as two 8-bit products can be.
    #[test]
    fn a_token_at_a_time_the_step_picks_what_the_whole_pass_picks() {
        let (recogniser, window) = jfk_window();
        let mut tokens = recogniser.tokenizer.start_sequence();
        let start = tokens.len();
        tokens.extend(
            recogniser.tokenizer.encode(" And so my fellow Americans, ask not what your country can do for you"),
        );
        let decoder = &recogniser.model.decoder;
        let whole: Vec<Vec<f32>> =
            decoder.forward(&tokens, &mut window.restart(), &[]).unwrap().logits.to_vec2().unwrap();
        let mut state = window.restart();
        decoder.forward(&tokens[..start], &mut state, &[]).unwrap();
        let mut steps = decoder.steps(&state).unwrap().expect("8-bit weights decode a step at a time");
        let pick = |logits: &[f32]| logits.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        for (position, &token) in tokens.iter().enumerate().skip(start) {
            let stepped = steps.step(token).unwrap();
            let passed = &whole[position];
            assert_eq!(pick(&stepped), pick(passed), "the pick after token {position}");
            let worst = stepped.iter().zip(passed).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(worst < 1.0, "after token {position} the logits differ by {worst}");
        }
        assert_eq!(steps.length, tokens.len());
    }

    #[test]
    fn fillers_get_one_spelling() {
        assert_eq!(normalise_filler("Umm,"), "um,");
        assert_eq!(normalise_filler("Uhh..."), "uh...");
        assert_eq!(normalise_filler("Hmm."), "hmm.");
        assert_eq!(normalise_filler("Ahead"), "Ahead");
    }
}
