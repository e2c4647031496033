//! The moments worth naming, found in the bodies over time: the body frozen, the torso swaying,
//! the hands gesturing, fidgeting or hidden, the head turned down or away. Thresholds are in
//! shoulder widths and seconds; `bench/README.md` gives the cases they were set on.

use encore_take::MovementKind;

use crate::look::{Look, distance, median};

/// Frozen: the upper body moved less than this (shoulder widths a second, smoothed over a
/// second) ...
const STILL_MOTION: f64 = 0.05;
/// ... for at least this long.
const STILL_SECONDS: f64 = 3.0;
/// A swing of the torso: this far one way, then back (shoulder widths; about 6 cm). A speaker
/// talking (carphone) swings at most 0.12; the same picture moved by 5% of its width, 0.16 and more.
const SWAY_SWING: f64 = 0.15;
/// Sway is a rhythm: at least this many swings in a row ...
const SWINGS_IN_A_SWAY: usize = 4;
/// ... each this many seconds after the one before.
const SWAY_BEAT: (f64, f64) = (0.4, 2.5);
/// A gesture: a wrist moved this far from where it was half a second before.
const GESTURE_REACH: f64 = 0.35;
/// A fidget is a small movement (at most this far) repeated ...
const FIDGET_REACH: f64 = 0.35;
/// ... in swings of at least this ...
const FIDGET_SWING: f64 = 0.04;
/// ... this many in a row, each this many seconds after the one before.
const SWINGS_IN_A_FIDGET: usize = 4;
const FIDGET_BEAT: (f64, f64) = (0.1, 0.8);
/// Hands out of sight, or gripped together, for this long.
const HIDDEN_SECONDS: f64 = 2.0;
/// The head hung this much lower than the performer's usual (nose below the ears, shoulder
/// widths) ...
const HEAD_DOWN: f64 = 0.15;
/// ... or turned this far to one side (the nose off the ears' middle, in ear spans) ...
const HEAD_TURNED: f64 = 0.4;
/// ... for this long.
const EYES_SECONDS: f64 = 1.0;
/// The picture shows the hands when a wrist is seen in this share of the poses; a camera that
/// frames head and shoulders never shows them, and hands are then not judged.
pub const HANDS_IN_VIEW: f64 = 0.2;

/// A moment found, not yet placed on the words.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub kind: MovementKind,
    pub start: f64,
    pub end: f64,
    pub open: bool,
}

/// Every moment in the take, in time order; the hands' only when the picture shows them (see
/// [`hands_in_view`]).
pub fn find(looks: &[Look], hands: bool) -> Vec<Found> {
    let mut found = Vec::new();
    found.extend(still(looks));
    found.extend(sway(looks));
    if hands {
        let gestures = gestures(looks);
        found.extend(fidgets(looks, &gestures));
        found.extend(gestures);
        found.extend(hidden_hands(looks));
    }
    found.extend(eyes(looks));
    found.sort_by(|a, b| a.start.total_cmp(&b.start));
    found
}

/// Whether the picture showed the hands at all.
pub fn hands_in_view(looks: &[Look]) -> bool {
    let seen: Vec<&Look> = looks.iter().filter(|l| l.seen).collect();
    let with_hands = seen.iter().filter(|l| l.wrists.iter().any(Option::is_some)).count();
    !seen.is_empty() && with_hands as f64 >= HANDS_IN_VIEW * seen.len() as f64
}

/// The upper body's movement, smoothed over a second: what stillness and the band read.
pub fn smoothed_motion(looks: &[Look]) -> Vec<Option<f64>> {
    smoothed(looks, 0.5, |l| l.motion)
}

fn still(looks: &[Look]) -> Vec<Found> {
    let motion = smoothed_motion(looks);
    stretches(MovementKind::Still, runs(looks, STILL_SECONDS, |i| motion[i].is_some_and(|m| m < STILL_MOTION)))
}

/// Side to side only: rocking toward the camera shows in a picture only as the shoulders
/// growing and shrinking, and where the picture cuts them that jitters by a fifth on its own
/// (`docs/decisions.md`).
fn sway(looks: &[Look]) -> Vec<Found> {
    let across = smoothed(looks, 0.25, |l| Some(l.torso.0));
    stretches(MovementKind::Sway, rhythms(&swings(looks, &across, SWAY_SWING), SWINGS_IN_A_SWAY, SWAY_BEAT))
}

fn gestures(looks: &[Look]) -> Vec<Found> {
    let mut found = Vec::new();
    for hand in 0..2 {
        // Where the hand was from the shoulders' middle; nowhere when the body was not seen.
        let relative = |l: &Look| l.wrists[hand].filter(|_| l.seen).map(|(x, y)| (x - l.torso.0, y - l.torso.1));
        let moving = |i: usize| {
            let Some(now) = relative(&looks[i]) else { return false };
            let before = looks[..i]
                .iter()
                .rev()
                .skip_while(|l| l.at > looks[i].at - 0.3)
                .take_while(|l| l.at >= looks[i].at - 0.7);
            before.filter_map(relative).any(|then| distance(now, then) >= GESTURE_REACH)
        };
        for (start, end) in runs(looks, 0.0, moving) {
            let during = looks.iter().filter(|l| l.at >= start && l.at <= end);
            // Open: out past the shoulders, or up at the chest or higher.
            let open = during.filter_map(relative).any(|(x, y)| x.abs() > 0.75 || y < 0.5);
            found.push(Found { kind: MovementKind::Gesture, start, end, open });
        }
    }
    found.sort_by(|a, b| a.start.total_cmp(&b.start));
    found
}

fn fidgets(looks: &[Look], gestures: &[Found]) -> Vec<Found> {
    let mut found = Vec::new();
    for hand in 0..2 {
        for axis in 0..2 {
            let position = smoothed(looks, 0.1, |l| {
                l.wrists[hand].map(|w| if axis == 0 { w.0 - l.torso.0 } else { w.1 - l.torso.1 })
            });
            for (start, end) in rhythms(&swings(looks, &position, FIDGET_SWING), SWINGS_IN_A_FIDGET, FIDGET_BEAT) {
                let during: Vec<f64> = looks
                    .iter()
                    .zip(&position)
                    .filter(|(l, _)| l.at >= start && l.at <= end)
                    .filter_map(|(_, p)| *p)
                    .collect();
                let reach =
                    during.iter().cloned().fold(f64::MIN, f64::max) - during.iter().cloned().fold(f64::MAX, f64::min);
                let gesturing = gestures.iter().any(|g| g.start < end && g.end > start);
                if reach <= FIDGET_REACH && !gesturing {
                    found.push((start, end));
                }
            }
        }
    }
    stretches(MovementKind::Fidget, merged(found))
}

fn hidden_hands(looks: &[Look]) -> Vec<Found> {
    let hidden = |i: usize| {
        let look = &looks[i];
        match look.wrists {
            [None, None] => look.seen,
            // Gripped: together, below the chest.
            [Some(left), Some(right)] => {
                look.seen && distance(left, right) < 0.3 && (left.1 + right.1) / 2.0 > look.torso.1 + 0.6
            }
            _ => false,
        }
    };
    stretches(MovementKind::HandsHidden, runs(looks, HIDDEN_SECONDS, hidden))
}

fn eyes(looks: &[Look]) -> Vec<Found> {
    let hung: Vec<f64> = looks.iter().filter(|l| l.seen).filter_map(|l| l.head_down).collect();
    // The performer's usual carriage of the head: most of a take is said looking out.
    let usual = median(hung).unwrap_or(0.0);
    let down = smoothed(looks, 0.25, |l| l.head_down);
    let mut found = stretches(
        MovementKind::EyesDown,
        runs(looks, EYES_SECONDS, |i| down[i].is_some_and(|d| d > usual + HEAD_DOWN)),
    );
    let turned = smoothed(looks, 0.25, |l| l.head_turn);
    let away = |i: usize| looks[i].face_hidden || turned[i].is_some_and(|t| t > HEAD_TURNED);
    found.extend(stretches(MovementKind::EyesAway, runs(looks, EYES_SECONDS, away)));
    found
}

/// Each stretch of time as a moment of `kind`.
fn stretches(kind: MovementKind, times: Vec<(f64, f64)>) -> Vec<Found> {
    times.into_iter().map(|(start, end)| Found { kind, start, end, open: false }).collect()
}

/// The mean of `value` over the seen looks within `half` seconds either side of each look.
fn smoothed(looks: &[Look], half: f64, value: impl Fn(&Look) -> Option<f64>) -> Vec<Option<f64>> {
    let values: Vec<Option<f64>> = looks.iter().map(|l| if l.seen { value(l) } else { None }).collect();
    let mut from = 0;
    let mut to = 0;
    let mut sum = 0.0;
    let mut count = 0usize;
    looks
        .iter()
        .enumerate()
        .map(|(i, look)| {
            while to < looks.len() && looks[to].at <= look.at + half {
                if let Some(v) = values[to] {
                    sum += v;
                    count += 1;
                }
                to += 1;
            }
            while looks[from].at < look.at - half {
                if let Some(v) = values[from] {
                    sum -= v;
                    count -= 1;
                }
                from += 1;
            }
            (values[i].is_some() && count > 0).then(|| sum / count as f64)
        })
        .collect()
}

/// The times where `values` turned back after moving at least `swing` one way.
fn swings(looks: &[Look], values: &[Option<f64>], swing: f64) -> Vec<f64> {
    let mut turns = Vec::new();
    let mut high: Option<(f64, f64)> = None;
    let mut low: Option<(f64, f64)> = None;
    let mut going = 0i8;
    for (look, value) in looks.iter().zip(values) {
        let Some(v) = *value else { continue };
        if high.is_none_or(|(h, _)| v > h) {
            high = Some((v, look.at));
        }
        if low.is_none_or(|(l, _)| v < l) {
            low = Some((v, look.at));
        }
        let ((h, high_at), (l, low_at)) = (high.unwrap(), low.unwrap());
        if going != -1 && v < h - swing {
            turns.push(high_at);
            going = -1;
            (high, low) = (Some((v, look.at)), Some((v, look.at)));
        } else if going != 1 && v > l + swing {
            turns.push(low_at);
            going = 1;
            (high, low) = (Some((v, look.at)), Some((v, look.at)));
        }
    }
    turns
}

/// Stretches where at least `count` turns follow each other at the given beat.
fn rhythms(turns: &[f64], count: usize, (shortest, longest): (f64, f64)) -> Vec<(f64, f64)> {
    let mut found = Vec::new();
    let mut first = 0;
    for i in 1..=turns.len() {
        let in_beat = i < turns.len() && (shortest..=longest).contains(&(turns[i] - turns[i - 1]));
        if !in_beat {
            if i - first >= count {
                found.push((turns[first], turns[i - 1]));
            }
            first = i;
        }
    }
    found
}

/// Stretches of seen looks where `holds` is true, at least `shortest` seconds long.
fn runs(looks: &[Look], shortest: f64, holds: impl Fn(usize) -> bool) -> Vec<(f64, f64)> {
    let mut found = Vec::new();
    let mut start: Option<usize> = None;
    for i in 0..=looks.len() {
        let on = i < looks.len() && looks[i].seen && holds(i);
        match (on, start) {
            (true, None) => start = Some(i),
            (false, Some(first)) => {
                let (from, to) = (looks[first].at, looks[i - 1].at);
                if to - from >= shortest && (shortest > 0.0 || i - first >= 2) {
                    found.push((from, to));
                }
                start = None;
            }
            _ => {}
        }
    }
    found
}

/// Overlapping stretches joined.
fn merged(mut stretches: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    stretches.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut joined: Vec<(f64, f64)> = Vec::new();
    for (start, end) in stretches {
        match joined.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => joined.push((start, end)),
        }
    }
    joined
}
