//! A take heard while it is recorded: each 30 s window is heard as soon as it is whole, so
//! that at the stop only the last one or two are left. A whole take goes the same way, with
//! all its audio there at once, so the two cannot disagree.

use std::sync::Arc;
use std::time::Instant;

use candle_core::{Device, Tensor};
use encore_audio::{Audio, SpeechSpan};
use encore_take::{HeardWord, Hearing, Unrecognised};

use super::rescoring::KeptWindow;
use super::words::{merge_looped_fillers, normalise_filler};
use super::{ListenOptions, Listening, Recogniser};
use crate::ListenError;
use crate::mel;
use crate::stage_times::{ListeningProgress, StageTimes};
use crate::timing;
use crate::whisper::{FRAMES_PER_POSITION, FRAMES_PER_WINDOW, HOP, PROMPT_TOKENS, SAMPLE_RATE, SECONDS_PER_POSITION};

/// A prompt written the way people really talk. Whisper continues in the style of its
/// prompt, so a prompt with fillers and a restart makes it write the "um"s and repeats it
/// would otherwise tidy away.
pub(super) const VERBATIM_PROMPT: &str = "Um, so, uh, I I was, like, um... hmm. I mean, uh, we- we went there.";

/// Shortest stretch of speech without words worth reporting (seconds).
const SHORTEST_UNRECOGNISED: f64 = 0.3;

/// Least speech that makes a window worth hearing (seconds): less is the end of a word
/// already heard, or a click.
const LEAST_SPEECH_IN_WINDOW: f64 = 0.2;

/// Seconds of speech that words of a window may leap over before the window is read again
/// from before the leap (see [`timing::first_word_after_skipped_speech`]): ten words or so of
/// reading, far more than a filler or a mumble the model leaves out.
const LONGEST_SKIPPED_SPEECH: f64 = 4.0;

/// Words a heading has ("Sonnet Two."), and the seconds of speech after it that keep a window
/// from ending there: more than a sentence cut at the window's end, which the next window
/// reads whole.
const HEADING_WORDS: usize = 2;
const LEAST_AFTER_HEADING: f64 = 8.0;

/// Seconds of speech left at the end of a take that keep its last window from ending: a few
/// words. Where more is left, the model stopped short of something it found hard, and a window
/// from there hears it afresh.
const LEAST_LAST_WORDS: f64 = 1.0;
const MOST_LAST_WORDS: f64 = 3.0;

/// Frames recorded beyond a window before it is heard while recording: the last frames of
/// the spectrogram need the audio after them.
const FRAMES_TO_SPARE: usize = 50;

/// The decoder's views kept of the windows heard last (18 MB each). A stop usually hears
/// one window or two, and the report asks about those.
const RECENT_VIEWS: usize = 2;

/// Windows kept for rescoring: 2.3 MB each, so 20 minutes of take at most.
const MAX_KEPT_WINDOWS: usize = 40;

/// A take being heard window by window while it is recorded (see
/// [`Recogniser::start_hearing`]). A clone can be heard to the end while the take goes on.
#[derive(Clone)]
pub struct LiveHearing {
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

impl LiveHearing {
    /// Whether [`Recogniser::hear_more`], before the end, would hear anything of a take
    /// `recorded` samples long: a whole window and a little more must be waiting.
    pub fn would_hear_more(&self, recorded: usize) -> bool {
        whole_window_recorded(self.seek, recorded)
    }

    /// Seconds of the take heard so far.
    pub fn heard_until(&self) -> f64 {
        self.seek as f64 * HOP as f64 / SAMPLE_RATE as f64
    }
}

/// Whether `recorded` samples hold a whole window from frame `seek`, and the frames to spare.
fn whole_window_recorded(seek: usize, recorded: usize) -> bool {
    recorded / HOP >= seek + FRAMES_PER_WINDOW + FRAMES_TO_SPARE
}

/// Where the next window starts, as the timestamps say.
enum Advance {
    Whole { single_ending: bool },
    To(usize),
}

impl Recogniser {
    /// Starts hearing a take that is still being recorded: feed it with
    /// [`Recogniser::hear_more`] as the audio grows, then [`Recogniser::finish_hearing`]. The
    /// result is the same as [`Recogniser::listen`] on the whole take, except that each window
    /// is heard with the voice activity and loudness known at the time.
    pub fn start_hearing(&self, options: &ListenOptions, keep_windows: bool) -> LiveHearing {
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
        LiveHearing {
            history,
            words: Vec::new(),
            seek: 0,
            listening: Listening::empty(),
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
        heard: &mut LiveHearing,
        audio: &Audio,
        to_the_end: bool,
        progress: &mut dyn FnMut(ListeningProgress),
    ) -> Result<(), ListenError> {
        let frame_seconds = HOP as f64 / SAMPLE_RATE as f64;
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
            let speech_until_end = |from: f64| -> f64 {
                speech.iter().map(|s| (s.end.min(window_end) - s.start.max(from)).max(0.0)).sum()
            };
            let speech_inside = speech_until_end(offset);
            if speech_inside < LEAST_SPEECH_IN_WINDOW {
                seek += segment_frames;
                progress(ListeningProgress {
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
                    reading: None,
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
            // The model sometimes ends a window after a heading on its own ("One."), or a few
            // words short of the end of the take, and the words left would cost an encoder pass
            // of their own. Voice activity says how much speech is left after the text's last
            // timestamp; a segment left open longer than a word has no time to go by.
            let timestamp_begin = self.tokenizer.special.timestamp_begin;
            let holds_the_end = to_the_end && seek + segment_frames == content_frames;
            let may_end = |tokens: &[u32]| {
                let last = tokens.iter().rposition(|&t| self.tokenizer.is_timestamp(t));
                let reached = last.map_or(0.0, |i| (tokens[i] - timestamp_begin) as f64 * SECONDS_PER_POSITION);
                if self.words_of(&tokens[last.map_or(0, |i| i + 1)..]).len() > 1 {
                    return true;
                }
                let unheard = speech_until_end(offset + reached);
                let heading_alone = self.words_of(tokens).len() <= HEADING_WORDS && unheard >= LEAST_AFTER_HEADING;
                let last_words = holds_the_end && (LEAST_LAST_WORDS..=MOST_LAST_WORDS).contains(&unheard);
                !(heading_alone || last_words)
            };
            let sampled = self.decode_window(&window, &heard.history, &may_end)?;
            times.decoder += clock.elapsed().as_secs_f64();

            let silent = sampled.no_speech_probability > 0.6 && sampled.average_log_probability < -1.0;
            // When the window ends mid-sentence, only the complete segments count: the next
            // window starts where they end and reads the cut sentence whole.
            let (advance, complete) = self.window_advance(&sampled.tokens, segment_frames);
            let mut text: Vec<u32> =
                sampled.tokens[..complete].iter().copied().filter(|&t| self.tokenizer.is_text(t)).collect();
            if silent || text.is_empty() {
                seek += match advance {
                    Advance::To(frames) if !silent => frames.max(1),
                    _ => segment_frames,
                };
            } else {
                let clock = Instant::now();
                let (mut window_words, reading) = self.time_words(&window, &text, segment_frames, offset, kept)?;
                if let Some(window) = heard.listening.windows.last_mut().filter(|_| kept) {
                    window.reading = reading.map(Arc::new);
                }
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
                // Words that leap over speech were written out of order: the window keeps the
                // words before the leap, and the next one reads on from there.
                let timed: Vec<(f64, f64)> = window_words.iter().map(|w| (w.start, w.end)).collect();
                let leap = timing::first_word_after_skipped_speech(&timed, &speech, offset, LONGEST_SKIPPED_SPEECH)
                    .and_then(|first_unread| {
                        let written = self.words_of(&text);
                        (written.len() == window_words.len()).then(|| (first_unread, written[first_unread].0))
                    });
                if let Some((first_unread, first_token)) = leap {
                    text.truncate(first_token);
                    window_words.truncate(first_unread);
                }
                times.timing += clock.elapsed().as_secs_f64();
                // Unless the window closed on a lone timestamp (all of it was heard), the next
                // window starts where the last word heard ended: the model may stop before the
                // end of the window, and what it did not write must be read again, not lost.
                seek = match (advance, window_words.last()) {
                    (_, Some(last)) if leap.is_some() => ((last.end / frame_seconds).round() as usize).max(seek + 1),
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
            progress(ListeningProgress {
                done: (seek as f64 * frame_seconds).min(audio.duration()),
                total: audio.duration(),
            });
        }
        heard.seek = seek;
        Ok(())
    }

    /// The transcript of a take heard to its end.
    pub fn finish_hearing(&self, heard: LiveHearing, audio: &Audio) -> (Hearing, StageTimes, Listening) {
        let LiveHearing { words, listening, mut times, .. } = heard;
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
            .map(|SpeechSpan { start, end }| Unrecognised { start, end })
            .collect();
        let voiced = speech.iter().map(|s| s.end - s.start).sum();
        let transcript =
            Hearing { format: Hearing::FORMAT.into(), duration: audio.duration(), speech: voiced, words, unrecognised };
        (transcript, times, listening)
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
                (Advance::To((position * FRAMES_PER_POSITION).min(segment_frames)), i)
            }
            _ => (Advance::Whole { single_ending }, n),
        }
    }
}
