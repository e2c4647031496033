//! Whole takes measured on real poses: MoveNet's reading of a real recording of a man speaking
//! (carphone, `tests/corpus/README.md`), and the two controlled cases made from its real frames:
//! one frame held (a performer frozen) and the picture moved side to side by 5% of its width
//! once every two seconds (a performer swaying). Each is set under a report of a script said
//! within the same twelve seconds.

use encore_take::testing::{schema_problems, take};
use encore_take::{FindingKind, MovementKind, PoseTrack, TakeReport};

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
