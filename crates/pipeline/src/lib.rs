//! From a take's audio and its script to the take report: the one path that `encore analyze`,
//! `encore take`, `encore reanalyze` and the stage all use, so that a take reads the same
//! wherever it was analysed. [`LiveTake`] is the same path for a take still being recorded,
//! with a prompter that follows the voice.

mod live;

pub use live::{FinishedTake, Follow, LiveTake};

use encore_align::{AlignOptions, Rescorer};
use encore_audio::Audio;
use encore_listen::{ListenOptions, Listening, Recogniser};
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
    let (hearing, _, listening) = recogniser.listen(audio, &ListenOptions::default(), &mut |p| {
        progress(if p.total > 0.0 { p.done / p.total } else { 1.0 })
    })?;
    Ok(judge(recogniser, script, audio, &hearing, &listening))
}

/// The take report from what was heard, putting each disagreement with the script back to
/// the model, with how the take sounded measured on its audio.
fn judge(
    recogniser: &Recogniser,
    script: &Script,
    audio: &Audio,
    hearing: &Hearing,
    listening: &Listening,
) -> TakeReport {
    let mut report = judge_before(recogniser, script, hearing, listening, f64::INFINITY);
    encore_delivery::measure(audio, script, &mut report);
    report
}

/// [`judge`], putting to the model only the disagreements that end before `asked_before`
/// seconds; the others stand as aligned.
fn judge_before(
    recogniser: &Recogniser,
    script: &Script,
    hearing: &Hearing,
    listening: &Listening,
    asked_before: f64,
) -> TakeReport {
    let rescorer = ModelRescorer { recogniser, listening, hearing, asked_before };
    let options = AlignOptions { rescorer: Some(&rescorer), ..AlignOptions::default() };
    encore_align::analyze(script, hearing, &options)
}

/// What analysed a take, kept with its report so that `encore reanalyze` can tell which
/// reports an upgrade made stale.
pub fn analyzer(recogniser: &Recogniser) -> String {
    let model = recogniser.location().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!("encore {} ({model})", env!("CARGO_PKG_VERSION"))
}

/// Puts the aligner's doubts back to the model, on the audio it already encoded. A failure to
/// rescore is no opinion: the alignment then stands as found.
struct ModelRescorer<'a> {
    recogniser: &'a Recogniser,
    listening: &'a Listening,
    hearing: &'a Hearing,
    asked_before: f64,
}

impl Rescorer for ModelRescorer<'_> {
    fn prefer_script(&self, start: f64, end: f64, _heard: &[&str], script: &[&str]) -> Option<f32> {
        if end >= self.asked_before {
            return None;
        }
        self.recogniser.prefer_script(self.listening, self.hearing, start, end, script).ok().flatten()
    }

    fn prefer_extra(&self, before: f64, extra: &[&str]) -> Option<f32> {
        if before >= self.asked_before {
            return None;
        }
        self.recogniser.prefer_extra(self.listening, self.hearing, before, extra).ok().flatten()
    }
}
