//! How a take looked. The camera in the stage's page gives the pose over time (the body's points,
//! never pictures); this crate reads it as a body and says what a coach would see: the body
//! frozen, the torso swaying, the hands gesturing (how often, how openly), fidgeting or hidden,
//! the eyes down on the script or away from the audience; per line, as moments placed on the
//! words, and as findings that tie the body to the voice ("you froze and looked down before
//! 'stars' in line 3, where you also hesitated").
//!
//! Invariants: like `delivery`, it does no I/O and cannot fail; the same track and report always
//! give the same movement.

mod findings;
mod look;
mod moments;

use encore_take::{
    Activity, BodyFigures, FindingKind, LineMovement, Movement, MovementKind, MovementMoment, PoseTrack, TakeReport,
    costliest, round,
};

use crate::look::Look;
use crate::moments::Found;

/// The band's step, in seconds.
const BAND_HOP: f64 = 0.5;
/// Movement drawn at full height in the band, in shoulder widths a second.
const BAND_FULL: f64 = 0.6;
/// A pose stands for at most this long: a gap in the track is time not seen.
const LONGEST_LOOK: f64 = 0.5;

/// Adds how the take looked to `report`, made from the same take: the `movement` object and the
/// movement findings, ranked with the others. A track in which no body was ever seen gives no
/// movement.
pub fn measure(track: &PoseTrack, report: &mut TakeReport) {
    let looks = look::looks(track);
    let seen_time = total((0..looks.len()).filter(|&i| looks[i].seen).map(|i| span_of(&looks, i)));
    if seen_time <= 0.0 {
        report.movement = None;
        report.findings.retain(|finding| finding.kind != FindingKind::Movement);
        return;
    }
    let hands = moments::hands_in_view(&looks);
    let found = moments::find(&looks, hands);
    let duration = report.audio.duration.max(looks.last().map_or(0.0, |l| l.at));
    let moments: Vec<MovementMoment> = found.iter().map(|f| placed(f, report)).collect();
    let lines = report
        .lines
        .iter()
        .map(|line| LineMovement {
            line: line.line,
            figures: match (line.start, line.end) {
                (Some(start), Some(end)) => figures(&looks, &found, hands, start, end),
                _ => None,
            },
        })
        .collect();
    let take = figures(&looks, &found, hands, f64::MIN, f64::MAX).unwrap_or_default();
    let movement = Movement {
        poses_per_second: round(looks.len() as f64 / duration.max(1e-3), 1),
        seen: round((seen_time / duration.max(1e-3)).min(1.0), 2),
        take,
        lines,
        moments,
        activity: activity(&looks, duration),
    };
    // Measured again (a filmed take's poses given after its report), its own findings are new.
    let mut all = std::mem::take(&mut report.findings);
    all.retain(|finding| finding.kind != FindingKind::Movement);
    all.extend(findings::found(&movement, report));
    report.findings = costliest(all);
    report.movement = Some(movement);
}

/// The figures of the stretch from `start` to `end`; `None` when the body was not seen in it.
fn figures(looks: &[Look], found: &[Found], hands: bool, start: f64, end: f64) -> Option<BodyFigures> {
    let within: Vec<usize> =
        (0..looks.len()).filter(|&i| looks[i].seen && looks[i].at >= start && looks[i].at <= end).collect();
    let seen = total(within.iter().map(|&i| span_of(looks, i)));
    if seen <= 0.0 {
        return None;
    }
    // The share of the seen time in this stretch inside moments of these kinds.
    let share = |kinds: &[MovementKind]| {
        let inside = total(
            within
                .iter()
                .filter(|&&i| {
                    found.iter().any(|f| kinds.contains(&f.kind) && looks[i].at >= f.start && looks[i].at <= f.end)
                })
                .map(|&i| span_of(looks, i)),
        );
        round(inside / seen, 2)
    };
    let gestures: Vec<&Found> =
        found.iter().filter(|f| f.kind == MovementKind::Gesture && f.start >= start && f.start <= end).collect();
    Some(BodyFigures {
        still: share(&[MovementKind::Still]),
        sway: share(&[MovementKind::Sway]),
        gestures_per_minute: hands.then(|| round(gestures.len() as f64 / (seen / 60.0), 1)),
        open_gestures: (hands && !gestures.is_empty())
            .then(|| round(gestures.iter().filter(|g| g.open).count() as f64 / gestures.len() as f64, 2)),
        fidgeting: hands.then(|| share(&[MovementKind::Fidget])),
        hands_hidden: hands.then(|| share(&[MovementKind::HandsHidden])),
        eyes_away: share(&[MovementKind::EyesDown, MovementKind::EyesAway]),
    })
}

/// A moment on the words: the script word being said when it started, or else the next one said.
fn placed(found: &Found, report: &TakeReport) -> MovementMoment {
    let said = report.words.iter().filter(|w| w.script_index.is_some() && w.verdict.is_said());
    let word = said
        .clone()
        .find(|w| w.start.is_some_and(|s| s <= found.start) && w.end.is_some_and(|e| e >= found.start))
        .or_else(|| {
            said.filter(|w| w.start.is_some_and(|s| s >= found.start))
                .min_by(|a, b| a.start.unwrap().total_cmp(&b.start.unwrap()))
        });
    MovementMoment {
        kind: found.kind,
        start: round(found.start, 2),
        end: round(found.end, 2),
        script_index: word.and_then(|w| w.script_index),
        line: word.and_then(|w| w.line),
        open: found.open,
    }
}

/// How much the body moved in each step of the take, for the band.
fn activity(looks: &[Look], duration: f64) -> Activity {
    let motion = moments::smoothed_motion(looks);
    let steps = (duration / BAND_HOP).ceil().max(1.0) as usize;
    let mut sums = vec![(0.0, 0usize); steps];
    for (look, motion) in looks.iter().zip(&motion) {
        if let Some(m) = motion {
            let step = ((look.at / BAND_HOP) as usize).min(steps - 1);
            sums[step].0 += m;
            sums[step].1 += 1;
        }
    }
    let values = sums
        .into_iter()
        .map(|(sum, count)| {
            (count > 0).then(|| ((sum / count as f64 / BAND_FULL).min(1.0) * 100.0).round() as f32 / 100.0)
        })
        .collect();
    Activity { hop: BAND_HOP, values }
}

/// The seconds look `i` stands for: until the next pose, at most [`LONGEST_LOOK`].
fn span_of(looks: &[Look], i: usize) -> f64 {
    looks.get(i + 1).map_or(LONGEST_LOOK, |next| (next.at - looks[i].at).clamp(0.0, LONGEST_LOOK))
}

/// The sum, 0 (not -0, as `Iterator::sum` gives for nothing) when there is nothing to add.
fn total(seconds: impl Iterator<Item = f64>) -> f64 {
    seconds.fold(0.0, |sum, s| sum + s)
}

#[cfg(test)]
mod tests;
