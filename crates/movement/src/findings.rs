//! The movement findings in plain words, tied to the voice where the two meet: a freeze or a look
//! down at the script is worth more to a performer when it is where they also hesitated or
//! stumbled.

use encore_take::{Finding, FindingKind, Movement, MovementKind, MovementMoment, TakeReport, Verdict};

/// What a moment costs the take, before the voice is counted.
const COST: f64 = 0.3;
/// A moment where the voice also went wrong costs this much more.
const WITH_THE_VOICE: f64 = 0.3;
/// The voice's trouble counts as the same moment when it is this close in seconds.
const NEAR: f64 = 1.0;
/// Sway, fidgeting and hidden hands are worth naming only when they go on this long ...
const LONG_HABIT: f64 = 4.0;
/// ... and cost up to this much more: all of it for one that went on through the whole take.
const WHOLE_TAKE: f64 = 0.4;

/// One finding per moment worth naming; a look down during a freeze joins the freeze.
pub fn found(movement: &Movement, report: &TakeReport) -> Vec<Finding> {
    let mut findings = Vec::new();
    for moment in &movement.moments {
        let during =
            |kind| movement.moments.iter().any(|m| m.kind == kind && m.start < moment.end && m.end > moment.start);
        let lasting = moment.end - moment.start;
        // A moment: said with the word it fell on, and with the voice's trouble there.
        let doing = match moment.kind {
            MovementKind::Still if during(MovementKind::EyesDown) => "you froze and looked down",
            MovementKind::Still => "you froze",
            MovementKind::EyesDown if during(MovementKind::Still) => continue,
            MovementKind::EyesDown => "you looked down",
            MovementKind::EyesAway => "you looked away from your audience",
            // A habit: said with the lines it went on through.
            MovementKind::Sway if lasting >= LONG_HABIT => {
                findings.extend(habit(report, moment, "you swayed"));
                continue;
            }
            MovementKind::Fidget if lasting >= LONG_HABIT => {
                findings.extend(habit(report, moment, "your hands fidgeted"));
                continue;
            }
            MovementKind::HandsHidden if lasting >= LONG_HABIT => {
                findings.extend(habit(report, moment, "your hands were hidden or gripped"));
                continue;
            }
            MovementKind::Sway | MovementKind::Fidget | MovementKind::HandsHidden | MovementKind::Gesture => continue,
        };
        let Some((index, line)) = moment.script_index.zip(moment.line) else { continue };
        let Some(word) = report.words.iter().find(|w| w.script_index == Some(index)) else { continue };
        let text = word.text.as_deref().unwrap_or_default();
        let place = if word.start.is_some_and(|s| s > moment.start) { "before" } else { "at" };
        let voice = voice_trouble(report, moment);
        let also = voice.map(|trouble| format!(", where you also {trouble}")).unwrap_or_default();
        findings.push(Finding {
            kind: FindingKind::Movement,
            script_index: Some(index),
            line: Some(line),
            cost: COST + if voice.is_some() { WITH_THE_VOICE } else { 0.0 },
            message: format!("{doing} {place} '{text}' in line {line}{also}"),
        });
    }
    findings
}

/// A habit that went on through lines: "you swayed through lines 1 to 3". It costs more the
/// more of the take it lasted.
fn habit(report: &TakeReport, moment: &MovementMoment, doing: &str) -> Option<Finding> {
    let first = moment.line?;
    let last = report
        .words
        .iter()
        .filter(|w| w.script_index.is_some() && w.verdict.is_said() && w.start.is_some_and(|s| s <= moment.end))
        .filter_map(|w| w.line)
        .max()
        .unwrap_or(first)
        .max(first);
    let lines = if last > first { format!("lines {first} to {last}") } else { format!("line {first}") };
    Some(Finding {
        kind: FindingKind::Movement,
        script_index: moment.script_index,
        line: Some(first),
        cost: COST + WHOLE_TAKE * ((moment.end - moment.start) / report.audio.duration.max(1.0)).min(1.0),
        message: format!("{doing} through {lines}"),
    })
}

/// What went wrong in the voice near the moment, if anything did.
fn voice_trouble(report: &TakeReport, moment: &MovementMoment) -> Option<&'static str> {
    let near = |start: f64, end: f64| start <= moment.end + NEAR && end >= moment.start - NEAR;
    if report.hesitations.iter().any(|h| near(h.start, h.end)) {
        return Some("hesitated");
    }
    let stumbled = report.words.iter().any(|w| {
        !matches!(w.verdict, Verdict::Correct) && w.start.zip(w.end).is_some_and(|(start, end)| near(start, end))
    });
    stumbled.then_some("stumbled")
}
