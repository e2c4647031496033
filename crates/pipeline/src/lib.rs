//! From a take's audio and its script to the take report: the one path that `encore analyze`,
//! `encore take`, `encore reanalyze` and the stage all use, so that a take reads the same
//! wherever it was analysed. [`LiveTake`] is the same path for a take still being recorded,
//! with a prompter that follows the voice.

mod live;

pub use live::{FinishedTake, Follow, LiveTake};

use encore_align::{AlignOptions, Rescorer};
use encore_audio::Audio;
use encore_listen::{ListenOptions, Listening, Recogniser, StageTimes};
use encore_script::Script;
use encore_take::{Hearing, TakeReport};

/// Hears `audio` and compares it with `script`. `progress` gets the fraction of the audio
/// heard, 0 to 1.
pub fn analyze(
    recogniser: &Recogniser,
    script: &Script,
    audio: &Audio,
    progress: &mut dyn FnMut(f64),
) -> Result<TakeReport, encore_listen::ListenError> {
    Ok(analyze_timed(recogniser, script, audio, progress)?.0)
}

/// Seconds spent in each stage of [`analyze`], for `encore analyze --profile` and the benchmarks.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AnalysisTimes {
    #[serde(flatten)]
    pub listening: StageTimes,
    /// Aligning with the script, the disagreements put back to the model included.
    pub judging: f64,
    /// How it sounded: pitch, loudness, pace and pauses.
    pub delivery: f64,
}

/// [`analyze`], with where the time went.
pub fn analyze_timed(
    recogniser: &Recogniser,
    script: &Script,
    audio: &Audio,
    progress: &mut dyn FnMut(f64),
) -> Result<(TakeReport, AnalysisTimes), encore_listen::ListenError> {
    let (hearing, listening_times, listening) = recogniser.listen(audio, &ListenOptions::default(), &mut |p| {
        progress(if p.total > 0.0 { p.done / p.total } else { 1.0 })
    })?;
    let mut times = AnalysisTimes { listening: listening_times, ..AnalysisTimes::default() };
    Ok((judge(recogniser, script, audio, &hearing, &listening, &mut times), times))
}

/// The take report from what was heard, putting each disagreement with the script back to
/// the model, with how the take sounded measured on its audio.
fn judge(
    recogniser: &Recogniser,
    script: &Script,
    audio: &Audio,
    hearing: &Hearing,
    listening: &Listening,
    times: &mut AnalysisTimes,
) -> TakeReport {
    let clock = std::time::Instant::now();
    let mut report = judge_before(recogniser, script, audio, hearing, listening, f64::INFINITY);
    times.judging = clock.elapsed().as_secs_f64();
    let clock = std::time::Instant::now();
    encore_delivery::measure(audio, script, &mut report);
    times.delivery = clock.elapsed().as_secs_f64();
    report
}

/// [`judge`], putting to the model only the disagreements that end before `asked_before`
/// seconds; the others stand as aligned.
fn judge_before(
    recogniser: &Recogniser,
    script: &Script,
    audio: &Audio,
    hearing: &Hearing,
    listening: &Listening,
    asked_before: f64,
) -> TakeReport {
    let options = AlignOptions::default();
    let rescorer =
        ModelRescorer { recogniser, audio, listening, hearing, asked_before, bar: options.rescore_threshold };
    encore_align::analyze(script, hearing, &AlignOptions { rescorer: Some(&rescorer), ..options })
}

/// What analysed a take, kept with its report so that `encore reanalyze` can tell which
/// reports an upgrade made stale.
pub fn analyzer(recogniser: &Recogniser) -> String {
    let name = |r: &Recogniser| r.location().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let model = match recogniser.second_listener() {
        Some(second) => format!("{}, second listener {}", name(recogniser), name(second)),
        None => name(recogniser),
    };
    format!("encore {} ({model})", env!("CARGO_PKG_VERSION"))
}

/// Puts the aligner's doubts back to the model, on the audio it already encoded. A failure to
/// rescore is no opinion: the alignment then stands as found.
struct ModelRescorer<'a> {
    recogniser: &'a Recogniser,
    audio: &'a Audio,
    listening: &'a Listening,
    hearing: &'a Hearing,
    asked_before: f64,
    /// The aligner's bar: under it, the disagreement stands, and the second listener (if one
    /// was chosen) is asked too.
    bar: f32,
}

impl Rescorer for ModelRescorer<'_> {
    fn prefer_script(&self, start: f64, end: f64, heard: &[&str], script: &[&str]) -> Option<f32> {
        if end >= self.asked_before {
            return None;
        }
        let first = self.recogniser.prefer_script(self.listening, self.hearing, start, end, script).ok().flatten();
        // The second listener is asked only when the whole take is judged (at the stop, or
        // when the keeper finds it may be over), never about the settled windows of a take
        // still being recorded, so that the prompter does not wait on it.
        if !self.recogniser.asks_second_listener(first, self.bar, heard) || self.asked_before.is_finite() {
            return first;
        }
        let second =
            self.recogniser.second_opinion(self.listening, self.hearing, self.audio, start, end, script).ok().flatten();
        [first, second].into_iter().flatten().reduce(f32::max)
    }

    fn prefer_extra(&self, before: f64, extra: &[&str]) -> Option<f32> {
        if before >= self.asked_before {
            return None;
        }
        self.recogniser.prefer_extra(self.listening, self.hearing, before, extra).ok().flatten()
    }
}
