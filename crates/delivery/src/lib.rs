//! How a take sounded. The aligner says which words were said; this crate measures how: the
//! voice's pitch and loudness every 10 ms ([`contour`]), their medians and ranges per word, line
//! and take, and the findings a speaking coach gives: a flat voice, trailing off, rushing or
//! dragging, no pause where the script has one, a question without a rise ([`measure`]).
//!
//! Invariants: like the alignment core, it does no I/O and cannot fail; the same audio and
//! report always give the same delivery.

mod frames;
mod judgement;
mod loudness;
mod pitch;

use encore_audio::Audio;
use encore_script::Script;
use encore_take::{Contour, Delivery, TakeReport, costliest};

use crate::frames::{Frames, Span};

/// Pitch and loudness of the take every 10 ms, or every multiple of 10 ms that keeps the contour
/// within [`Contour::MAX_FRAMES`].
pub fn contour(audio: &Audio) -> Contour {
    let samples = &audio.samples;
    let fine = pitch::frame_count(samples.len(), Contour::HOP);
    let hop = Contour::HOP * fine.div_ceil(Contour::MAX_FRAMES).max(1) as f64;
    let frames = pitch::frame_count(samples.len(), hop);
    let f0_hz = pitch::track(samples, hop).into_iter().map(|f| f.map(tenths)).collect();
    let loudness_db = loudness::loudness(samples, hop, frames).into_iter().map(tenths).collect();
    Contour { hop, f0_hz, loudness_db }
}

/// Adds how the take sounded to `report`, made by the aligner from the same take: the
/// `delivery` object, each said word's pitch and loudness, and the delivery findings, ranked
/// with the others. A take with no speech gets no delivery.
pub fn measure(audio: &Audio, script: &Script, report: &mut TakeReport) {
    let contour = contour(audio);
    let frames = Frames::new(&contour);
    for word in &mut report.words {
        if let (Some(start), Some(end)) = (word.start, word.end) {
            let span = [Span { start, end }];
            word.f0_hz = frames.median_f0(&span).map(tenths);
            word.loudness_db = frames.median_loudness(&span).map(tenths);
        }
    }
    let speech: Vec<Span> = report.words.iter().filter_map(|w| Some(Span { start: w.start?, end: w.end? })).collect();
    if speech.is_empty() {
        report.delivery = None;
        return;
    }
    let judged = judgement::judge(&frames, &speech, script, report);
    report.delivery = Some(Delivery {
        f0_median_hz: frames.median_f0(&speech).map(tenths),
        pitch_range_st: judged.take_range.map(tenths),
        loudness_db: frames.median_loudness(&speech).map(tenths),
        flat: judged.take_flat,
        lines: judged.lines,
        contour,
    });
    let mut findings = std::mem::take(&mut report.findings);
    findings.extend(judged.findings);
    report.findings = costliest(findings);
}

/// Rounded to a tenth: finer than anyone hears, and a shorter report.
fn tenths(value: f32) -> f32 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests;
