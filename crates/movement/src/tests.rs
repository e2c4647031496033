//! Whole takes measured on real poses: MoveNet's reading of a real recording of a man speaking
//! (carphone, `tests/corpus/README.md`), and the two controlled cases made from its real frames:
//! one frame held (a performer frozen) and the picture moved side to side by 5% of its width
//! once every two seconds (a performer swaying). Each is set under a report of a script said
//! within the same twelve seconds.

use encore_take::testing::{schema_problems, take};
use encore_take::{BodyPoint, FindingKind, MovementKind, PoseTrack, TakeReport};

use crate::measure;

const SCRIPT: &str = "Shall I compare thee to a summer's day?\n\
                      Thou art more lovely and more temperate:\n\
                      Rough winds do shake the darling buds of May,";

fn track(name: &str) -> PoseTrack {
    let path = format!("{}/tests/data/{name}.poses", env!("CARGO_MANIFEST_DIR"));
    PoseTrack::from_bytes(&std::fs::read(&path).expect("a pose track kept by the tests")).expect("a pose track")
}

/// The script said right over ten seconds, with `marks` as `encore_take::testing::take` reads them.
fn measured(name: &str, marks: &str) -> TakeReport {
    let (mut report, _) = take(SCRIPT, marks);
    measure(&track(name), &mut report);
    assert!(schema_problems(&report).is_empty(), "{:?}", schema_problems(&report));
    report
}

fn kinds(report: &TakeReport) -> Vec<MovementKind> {
    report.movement.as_ref().expect("movement").moments.iter().map(|m| m.kind).collect()
}

#[test]
fn a_speaker_moving_as_people_do_is_neither_frozen_nor_swaying() {
    let report = measured("carphone", "");
    let movement = report.movement.as_ref().unwrap();
    assert!(movement.seen > 0.85, "the speaker is in the picture nearly throughout: {}", movement.seen);
    assert!(movement.poses_per_second >= 10.0, "{}", movement.poses_per_second);
    assert_eq!((movement.take.still, movement.take.sway), (0.0, 0.0), "{:?}", movement.moments);
    assert!(!kinds(&report).contains(&MovementKind::Still) && !kinds(&report).contains(&MovementKind::Sway));
    // Head and shoulders only: the hands are not judged.
    assert_eq!(movement.take.gestures_per_minute, None);
    assert!(movement.activity.values.iter().flatten().any(|&a| a > 0.1), "the band shows movement");
}

#[test]
fn a_held_frame_is_a_performer_frozen() {
    let report = measured("held", "");
    let movement = report.movement.as_ref().unwrap();
    assert!(movement.take.still > 0.8, "{:?}", movement.take);
    assert!(kinds(&report).contains(&MovementKind::Still));
    assert_eq!(movement.take.sway, 0.0);
    assert!(movement.activity.values.iter().flatten().all(|&a| a < 0.05), "{:?}", movement.activity);
}

#[test]
fn the_picture_moved_side_to_side_is_a_performer_swaying() {
    let report = measured("swayed", "");
    let movement = report.movement.as_ref().unwrap();
    assert!(movement.take.sway > 0.6, "{:?}", movement.take);
    assert_eq!(movement.take.still, 0.0);
    let sway = movement.moments.iter().find(|m| m.kind == MovementKind::Sway).unwrap();
    assert_eq!(sway.line, Some(1), "it starts on the first line: {sway:?}");
    let finding = report.findings.iter().find(|f| f.kind == FindingKind::Movement).expect("a movement finding");
    assert_eq!(finding.message, "you swayed through lines 1 to 3");
}

#[test]
fn a_freeze_where_the_voice_hesitated_is_said_with_it() {
    // A hesitation two seconds in, inside the held frame's freeze.
    let report = measured("held", ". . . . h");
    let finding = report.findings.iter().find(|f| f.kind == FindingKind::Movement).expect("a movement finding");
    assert!(finding.message.starts_with("you froze"), "{}", finding.message);
    assert!(finding.message.ends_with("where you also hesitated"), "{}", finding.message);
}

#[test]
fn each_line_has_its_own_figures() {
    let report = measured("held", "");
    let movement = report.movement.as_ref().unwrap();
    assert_eq!(movement.lines.len(), 3);
    for line in &movement.lines {
        let figures = line.figures.as_ref().expect("every line was said while seen");
        assert!(figures.still > 0.5, "line {}: {figures:?}", line.line);
    }
}

#[test]
fn no_body_in_the_picture_gives_no_movement() {
    let (mut report, _) = take(SCRIPT, "");
    let mut empty = track("held");
    for pose in &mut empty.poses {
        pose.points.iter_mut().for_each(|p| p.score = 0.0);
    }
    measure(&empty, &mut report);
    assert_eq!(report.movement, None);
}

#[test]
fn measuring_again_is_measuring_once() {
    let once = measured("swayed", "");
    let mut twice = once.clone();
    measure(&track("swayed"), &mut twice);
    assert_eq!(twice, once);
}

/// The held frame's real body, its hands brought into the picture and moved by `hands(at)`:
/// each wrist's place in shoulder widths from the shoulders' middle, or `None` when out of sight.
/// The cases no real recording here shows (its camera frames head and shoulders): a gesture,
/// fidgeting, hidden hands.
fn with_hands(hands: impl Fn(f64) -> [Option<(f32, f32)>; 2]) -> PoseTrack {
    let mut track = track("held");
    for pose in &mut track.poses {
        let (left, right) = (pose.points[5], pose.points[6]);
        let width = ((left.x - right.x).powi(2) + (left.y - right.y).powi(2)).sqrt();
        let middle = ((left.x + right.x) / 2.0, (left.y + right.y) / 2.0);
        for (wrist, place) in [9, 10].into_iter().zip(hands(pose.at)) {
            pose.points[wrist] = match place {
                Some((x, y)) => BodyPoint { x: middle.0 + x * width, y: middle.1 + y * width, score: 0.8 },
                None => BodyPoint::default(),
            };
        }
    }
    track
}

/// Hands resting at the waist, either side.
const RESTING: [Option<(f32, f32)>; 2] = [Some((0.3, 1.2)), Some((-0.3, 1.2))];

fn moments_of(track: &PoseTrack) -> TakeReport {
    let (mut report, _) = take(SCRIPT, "");
    measure(track, &mut report);
    report
}

#[test]
fn a_hand_thrown_out_and_back_is_an_open_gesture() {
    let report = moments_of(&with_hands(|at| {
        let out = if (3.0..4.0).contains(&at) { 1.2 * (std::f64::consts::PI * (at - 3.0)).sin() as f32 } else { 0.0 };
        [Some((0.3 + out, 1.2 - out)), RESTING[1]]
    }));
    let movement = report.movement.as_ref().unwrap();
    let gestures: Vec<_> = movement.moments.iter().filter(|m| m.kind == MovementKind::Gesture).collect();
    assert_eq!(gestures.len(), 1, "{:?}", movement.moments);
    assert!(gestures[0].open && (3.0..4.0).contains(&gestures[0].start), "{:?}", gestures[0]);
    assert_eq!(movement.take.open_gestures, Some(1.0));
    assert_eq!(movement.take.fidgeting, Some(0.0));
}

#[test]
fn small_quick_hand_movements_are_fidgeting() {
    let report = moments_of(&with_hands(|at| {
        let twitch = (2.0..8.0).contains(&at).then(|| 0.1 * (2.0 * std::f64::consts::PI * 1.5 * at).sin() as f32);
        [Some((0.3 + twitch.unwrap_or(0.0), 1.2)), RESTING[1]]
    }));
    let movement = report.movement.as_ref().unwrap();
    assert!(movement.take.fidgeting.unwrap() > 0.3, "{:?}", movement.take);
    assert_eq!(movement.take.gestures_per_minute, Some(0.0), "a fidget is no gesture");
    assert!(report.findings.iter().any(|f| f.message.starts_with("your hands fidgeted")), "{:?}", report.findings);
}

#[test]
fn hands_out_of_sight_once_seen_are_hidden() {
    let report = moments_of(&with_hands(|at| if (3.0..8.0).contains(&at) { [None, None] } else { RESTING }));
    let movement = report.movement.as_ref().unwrap();
    let hidden = movement.moments.iter().find(|m| m.kind == MovementKind::HandsHidden).expect("hidden hands");
    assert!(hidden.start >= 2.9 && hidden.end <= 8.1, "{hidden:?}");
    assert!(movement.take.hands_hidden.unwrap() > 0.3);
}

/// The held frame's real body with its head moved by `head(at)`: the nose, eyes and ears
/// lowered by that many shoulder widths (a look down at a script) or, with `turned`, the nose
/// moved toward one ear (a look away).
fn with_head(head: impl Fn(f64) -> f32, turned: bool) -> PoseTrack {
    let mut track = track("held");
    for pose in &mut track.poses {
        let (left, right) = (pose.points[5], pose.points[6]);
        let width = ((left.x - right.x).powi(2) + (left.y - right.y).powi(2)).sqrt();
        let by = head(pose.at) * width;
        if turned {
            pose.points[0].x += by;
        } else {
            // The face tips forward: the nose and eyes drop further than the ears.
            for point in [0, 1, 2] {
                pose.points[point].y += by;
            }
        }
    }
    track
}

#[test]
fn the_head_hung_over_the_script_is_eyes_down_and_a_turned_one_eyes_away() {
    let down = moments_of(&with_head(|at| if (3.0..8.5).contains(&at) { 0.3 } else { 0.0 }, false));
    let moment = down.movement.as_ref().unwrap().moments.iter().find(|m| m.kind == MovementKind::EyesDown);
    let moment = moment.expect("eyes down");
    assert!((2.7..3.5).contains(&moment.start) && (8.0..8.8).contains(&moment.end), "{moment:?}");
    // The rest of the body is the held frame's, frozen: the two are said together.
    assert!(down.findings.iter().any(|f| f.message.starts_with("you froze and looked down")), "{:?}", down.findings);

    let away = moments_of(&with_head(|at| if (4.0..7.0).contains(&at) { 0.4 } else { 0.0 }, true));
    let movement = away.movement.as_ref().unwrap();
    assert!(movement.moments.iter().any(|m| m.kind == MovementKind::EyesAway), "{:?}", movement.moments);
    assert!(movement.take.eyes_away > 0.15, "{:?}", movement.take);
}
