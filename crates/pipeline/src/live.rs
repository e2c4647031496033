//! A take heard while it is being recorded, for the stage.
//!
//! Two workers share the growing audio. The follower hears the last few seconds again and
//! again, each pass a fraction of a second, and moves the prompter: that is what lights the
//! word being said. The keeper hears the take properly, one 30 s window as soon as it has
//! been recorded, so that when the performer stops only the last window is left to hear and
//! the report comes in a second or two rather than after the whole take is heard again. After
//! each window it also puts the report's questions about the windows that can no longer
//! change to the model, so that the stop has only the last windows' questions left.
//!
//! Most takes end the same way: the last words of the script, a moment's quiet, then the
//! stop button. When the follower sees that quiet, the keeper hears the take to its end at
//! once and answers the report's questions, and if nothing more was said before the stop,
//! that hearing is the take's: the report is ready almost as the button is pressed.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use encore_align::Prompter;
use encore_audio::{Audio, SAMPLE_RATE, samples_in, seconds};
use encore_listen::{ListenError, ListenOptions, LiveHearing, Recogniser};
use encore_script::Script;
use encore_take::TakeReport;
use serde::Serialize;

/// Seconds of recent audio the follower hears on each pass: long enough to hold a few words
/// of context, short enough that a pass takes a fraction of a second.
const LOOKBACK: f64 = 4.0;
/// New audio that makes a follower pass worth running (seconds).
const FRESH_AUDIO: f64 = 0.2;
/// Script words before the place given to the follower as its prompt.
const PROMPT_WORDS: usize = 24;
/// The performer is near the end when the prompter is within this many words of it.
const LAST_WORDS: usize = 2;
/// Silence near the end of the script after which the take may be over (seconds).
const QUIET_AT_THE_END: f64 = 0.3;
/// Silence anywhere after which the take may be over (seconds).
const QUIET_ANYWHERE: f64 = 2.0;
/// How long the keeper and the follower wait for more audio before looking again.
const IDLE: Duration = Duration::from_millis(25);

/// Where the performer is, sent to the stage after each follower pass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Follow {
    /// The script word just said (the last one, when the place did not move).
    pub index: usize,
    /// Seconds into the take at which that word ended.
    pub heard_at: f64,
    /// True when this pass moved the place: the word was just heard.
    pub moved: bool,
    /// How smoothly the take is going, 0 to 1: high while words keep coming, falling gently
    /// through a long hesitation. The audience glows with it.
    pub flow: f32,
}

/// A live take once stopped.
pub struct FinishedTake {
    /// The take's audio as it was heard: every sample pushed. (The stage keeps the samples it
    /// received, which are these, so it has no need of this copy; a caller without them has.)
    pub audio: Audio,
    pub report: TakeReport,
    /// True when the take had been heard to its end before the stop, because the performer
    /// finished and paused: the report was ready almost at once.
    pub heard_before_stop: bool,
}

/// A take being recorded and heard at the same time.
pub struct LiveTake {
    shared: Arc<Shared>,
    recogniser: Arc<Recogniser>,
    script: Arc<Script>,
    follower: Option<JoinHandle<()>>,
    keeper: Option<JoinHandle<Result<Kept, ListenError>>>,
}

struct Shared {
    samples: Mutex<Vec<f32>>,
    stopping: AtomicBool,
    /// Set by the follower when the performer has gone quiet at the end of the script, or for
    /// long anywhere: the take may be over.
    may_be_over: AtomicBool,
    /// Where the last speech the follower heard ended, in samples: speech after the take was
    /// heard to its end makes that hearing stale.
    speech_until: AtomicUsize,
}

impl Shared {
    fn samples(&self) -> MutexGuard<'_, Vec<f32>> {
        // A worker that panicked holding the lock left the samples whole: appending is the
        // only thing done under it.
        self.samples.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl LiveTake {
    /// Starts hearing; `on_follow` is called from a worker thread after each follower pass.
    pub fn start(recogniser: Arc<Recogniser>, script: Script, on_follow: Box<dyn Fn(Follow) + Send>) -> LiveTake {
        let shared = Arc::new(Shared {
            samples: Mutex::new(Vec::new()),
            stopping: AtomicBool::new(false),
            may_be_over: AtomicBool::new(false),
            speech_until: AtomicUsize::new(0),
        });
        let script = Arc::new(script);
        let follower = {
            let (shared, recogniser, script) = (shared.clone(), recogniser.clone(), script.clone());
            std::thread::spawn(move || follow(&shared, &recogniser, &script, on_follow.as_ref()))
        };
        let keeper = {
            let (shared, recogniser, script) = (shared.clone(), recogniser.clone(), script.clone());
            std::thread::spawn(move || keep_up(&shared, &recogniser, &script))
        };
        LiveTake { shared, recogniser, script, follower: Some(follower), keeper: Some(keeper) }
    }

    /// Adds recorded audio: 16 kHz mono, 16-bit.
    pub fn push(&self, pcm: &[i16]) {
        self.shared.samples().extend(pcm.iter().map(|&s| s as f32 / 32768.0));
    }

    /// Seconds recorded so far.
    pub fn recorded(&self) -> f64 {
        seconds(self.shared.samples().len())
    }

    /// Stops listening live, hears what is left and judges the take. Blocks for a second or
    /// two, or hardly at all when the take was heard to its end in a pause before the stop;
    /// the audio comes back with the report so that the caller can store it.
    pub fn finish(mut self) -> anyhow::Result<FinishedTake> {
        self.shared.stopping.store(true, Ordering::SeqCst);
        if let Some(follower) = self.follower.take() {
            let _ = follower.join();
        }
        let kept = match self.keeper.take().map(JoinHandle::join) {
            Some(Ok(kept)) => kept?,
            _ => anyhow::bail!("the listener stopped unexpectedly; the take's audio is kept, analyse it again"),
        };
        let samples = std::mem::take(&mut *self.shared.samples());
        let audio = Audio::from_samples(samples, SAMPLE_RATE);
        let (heard, heard_before_stop) = match kept.to_the_end {
            Some(ahead) if nothing_said_after(&audio, ahead.samples) => (ahead.heard, true),
            _ => {
                let mut heard = kept.heard;
                self.recogniser.hear_more(&mut heard, &audio, true, &mut |_| {})?;
                (heard, false)
            }
        };
        let (hearing, _, listening) = self.recogniser.finish_hearing(heard, &audio);
        let report =
            super::judge(&self.recogniser, &self.script, &audio, &hearing, &listening, &mut Default::default());
        Ok(FinishedTake { audio, report, heard_before_stop })
    }
}

impl Drop for LiveTake {
    /// A take abandoned without `finish` (the page closed) stops its workers.
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
    }
}

/// The follower: hears the last seconds whenever enough new audio came, and reports where the
/// performer is.
fn follow(shared: &Shared, recogniser: &Recogniser, script: &Script, on_follow: &dyn Fn(Follow)) {
    let mut prompter = Prompter::new(script);
    let mut heard_up_to = 0usize;
    let mut last_step: Option<(usize, f64)> = None;
    let mut flow = 0.3f32;
    // The end of the last speech heard, and whether a pass has heard the pause after it.
    let mut speech_heard_until = 0.0f64;
    let mut heard_the_pause = false;
    while !shared.stopping.load(Ordering::SeqCst) {
        let (recent, now) = {
            let samples = shared.samples();
            if (samples.len() - heard_up_to) < samples_in(FRESH_AUDIO) {
                drop(samples);
                std::thread::sleep(IDLE);
                continue;
            }
            heard_up_to = samples.len();
            let from = samples.len().saturating_sub(samples_in(LOOKBACK));
            (samples[from..].to_vec(), seconds(samples.len()))
        };
        let offset = now - seconds(recent.len());
        let recent = Audio::from_samples(recent, SAMPLE_RATE);
        let last_speech = encore_audio::voice_activity(&recent).last().map(|speech| offset + speech.end);
        let silent_for = now - last_speech.unwrap_or(offset);
        // Nothing new to hear: the prompter only goes forward, so once the last word is lit
        // there is nothing left for it, and a pass in a pause already heard adds nothing. The
        // keeper has the processor meanwhile.
        let finished = prompter.place() == script.words().len().checked_sub(1);
        let still_quiet =
            silent_for >= QUIET_AT_THE_END && last_speech.is_none_or(|end| end <= speech_heard_until + 0.1);
        speech_heard_until = speech_heard_until.max(last_speech.unwrap_or(0.0));
        shared.speech_until.store(samples_in(speech_heard_until), Ordering::SeqCst);
        let step = if finished || (still_quiet && heard_the_pause) {
            None
        } else {
            let prompt = prompt_before(script, prompter.place());
            heard_the_pause = silent_for >= QUIET_AT_THE_END;
            // A stop needs the processor for the report: the pass under way is abandoned.
            let stopped = || shared.stopping.load(Ordering::SeqCst);
            let Ok(words) = recogniser.hear_recent(&recent, 0.0, &prompt, &stopped) else { continue };
            let words: Vec<(&str, f64)> = words.iter().map(|w| (w.text.as_str(), offset + w.end)).collect();
            prompter.hear(&words)
        };
        if let Some(step) = step {
            last_step = Some((step.index, when_ended(step.end, last_step.map(|(_, end)| end), last_speech, now)));
        }
        let Some((index, heard_at)) = last_step else { continue };
        let at_the_end = index + 1 + LAST_WORDS >= script.words().len();
        let may_be_over = (at_the_end && silent_for >= QUIET_AT_THE_END) || silent_for >= QUIET_ANYWHERE;
        shared.may_be_over.store(may_be_over, Ordering::SeqCst);
        flow = 0.6 * flow + 0.4 * flow_after_silence(now - heard_at);
        on_follow(Follow { index, heard_at, moved: step.is_some(), flow });
    }
}

/// When the word the prompter just moved to ended, given the time the recogniser put on it.
/// A word timed before the word lit before it was timed wrongly: the decoder wrote it alone,
/// continuing its prompt, and the attention had nothing to place it by. It was said after
/// that word, and being the last word heard that matched, it most likely ended with the last
/// speech heard.
fn when_ended(timed: f64, before: Option<f64>, last_speech: Option<f64>, now: f64) -> f64 {
    match before {
        Some(before) if timed < before => last_speech.unwrap_or(now).clamp(before, now),
        _ => timed,
    }
}

/// How the flow should feel `quiet` seconds after the last word said: undisturbed through an
/// ordinary pause, then easing down over a few seconds, never to nothing.
fn flow_after_silence(quiet: f64) -> f32 {
    const EASY: f64 = 1.2;
    const LOW_AFTER: f64 = 5.0;
    let fall = ((quiet - EASY) / (LOW_AFTER - EASY)).clamp(0.0, 1.0);
    (1.0 - 0.85 * fall) as f32
}

/// The script words before the place, which keep the follower on the script's wording.
fn prompt_before(script: &Script, place: Option<usize>) -> String {
    let end = place.map_or(0, |p| p + 1);
    let words = &script.words()[end.saturating_sub(PROMPT_WORDS)..end];
    words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// What the keeper heard by the time the take stopped.
struct Kept {
    /// The take heard as far as whole windows go.
    heard: LiveHearing,
    /// The take heard to its end, when it seemed to be over.
    to_the_end: Option<HeardToTheEnd>,
}

struct HeardToTheEnd {
    heard: LiveHearing,
    /// How much of the take it heard.
    samples: usize,
}

/// The keeper: hears the take a window at a time as it is recorded, and all of it whenever
/// the performer seems to have finished.
fn keep_up(shared: &Shared, recogniser: &Recogniser, script: &Script) -> Result<Kept, ListenError> {
    let mut heard = recogniser.start_hearing(&ListenOptions::default(), true);
    let mut to_the_end: Option<HeardToTheEnd> = None;
    let mut asked_until = 0.0;
    while !shared.stopping.load(Ordering::SeqCst) {
        let speech_until = shared.speech_until.load(Ordering::SeqCst);
        if shared.may_be_over.load(Ordering::SeqCst) && to_the_end.as_ref().is_none_or(|t| t.samples < speech_until) {
            let audio = Audio::from_samples(shared.samples().clone(), SAMPLE_RATE);
            let mut whole = heard.clone();
            recogniser.hear_more(&mut whole, &audio, true, &mut |_| {})?;
            // Judging it now puts the report's questions to the model while the performer is
            // still reaching for the button; the answers are kept with the windows.
            let (hearing, _, listening) = recogniser.finish_hearing(whole.clone(), &audio);
            super::judge_before(recogniser, script, &audio, &hearing, &listening, f64::INFINITY);
            to_the_end = Some(HeardToTheEnd { heard: whole, samples: audio.samples.len() });
            continue;
        }
        if heard.would_hear_more(shared.samples().len()) {
            let audio = Audio::from_samples(shared.samples().clone(), SAMPLE_RATE);
            recogniser.hear_more(&mut heard, &audio, false, &mut |_| {})?;
            asked_until = ask_settled_questions(recogniser, script, &heard, &audio, asked_until);
            continue;
        }
        std::thread::sleep(IDLE);
    }
    Ok(Kept { heard, to_the_end })
}

/// Judges the take heard so far, asking the model only about the windows that more audio
/// cannot change, so that their answers are remembered and the stop finds only the last
/// windows' questions left. Nothing is asked unless more is settled than the `asked_until`
/// of the last call (past the windows kept for rescoring, nothing more ever is); returns how
/// far is settled now.
fn ask_settled_questions(
    recogniser: &Recogniser,
    script: &Script,
    heard: &LiveHearing,
    audio: &Audio,
    asked_until: f64,
) -> f64 {
    let (hearing, _, listening) = recogniser.finish_hearing(heard.clone(), audio);
    let settled = listening.settled_until();
    if settled > asked_until {
        super::judge_before(recogniser, script, audio, &hearing, &listening, settled);
    }
    settled.max(asked_until)
}

/// Whether no speech began or went on after the first `samples` of the take.
fn nothing_said_after(audio: &Audio, samples: usize) -> bool {
    let from = seconds(samples);
    encore_audio::voice_activity(audio).iter().all(|speech| speech.end < from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_holds_through_a_pause_and_eases_down_after() {
        assert_eq!(flow_after_silence(0.3), 1.0);
        assert_eq!(flow_after_silence(1.0), 1.0);
        assert!(flow_after_silence(3.0) < 0.8 && flow_after_silence(3.0) > 0.3);
        assert!((flow_after_silence(10.0) - 0.15).abs() < 1e-6);
    }

    #[test]
    fn a_word_timed_before_the_word_lit_before_it_ended_with_the_last_speech() {
        // "... do for your" lit at 10.0 s; "country." written alone and timed at 8.36 s.
        assert_eq!(when_ended(8.36, Some(10.0), Some(10.26), 10.56), 10.26);
        assert_eq!(when_ended(8.36, Some(10.0), None, 10.56), 10.56);
        assert_eq!(when_ended(8.36, Some(10.0), Some(9.5), 10.56), 10.0);
        // In order, the recogniser's time stands.
        assert_eq!(when_ended(10.3, Some(10.0), Some(10.26), 10.56), 10.3);
        assert_eq!(when_ended(0.8, None, Some(1.0), 1.2), 0.8);
    }

    #[test]
    fn the_prompt_is_the_script_just_before_the_place() {
        let script = Script::parse("one two three\nfour five").unwrap();
        assert_eq!(prompt_before(&script, None), "");
        assert_eq!(prompt_before(&script, Some(3)), "one two three four");
    }
}
