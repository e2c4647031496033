//! How the take looked, beside how it sounded: what the camera saw of the performer's body, kept
//! as the pose over time ([`PoseTrack`], never pictures), and what it says placed on the words
//! ([`Movement`], the report's `movement` object; see `docs/take-report.md`).

use serde::{Deserialize, Serialize};

/// The body's points a pose holds, in the pose model's order (MoveNet's, COCO's keypoints).
pub const BODY_POINTS: [&str; 17] = [
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
];

/// Where one point of the body was in the picture: `x` and `y` in heights of the picture from
/// its top left corner (so that a step is the same length across and down), `score` how sure
/// the model was, 0 to 1 (0: not seen).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BodyPoint {
    pub x: f32,
    pub y: f32,
    pub score: f32,
}

/// The body at one moment of the take: `at` in seconds of the take's audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Pose {
    pub at: f64,
    pub points: [BodyPoint; 17],
}

/// The pose over a take, in time order: what is kept of the camera with the take.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoseTrack {
    pub poses: Vec<Pose>,
}

/// A kept pose track that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoseTrackError(&'static str);

impl std::fmt::Display for PoseTrackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the take's pose track is damaged ({}); record the take with the camera on again to see its movement",
            self.0
        )
    }
}

impl std::error::Error for PoseTrackError {}

/// The kept form's first bytes, with its version.
const MAGIC: &[u8; 4] = b"EPT1";
/// Each pose kept: its time in milliseconds (4 bytes), then each point's x and y (2 bytes each)
/// and score (1 byte).
const POSE_BYTES: usize = 4 + 17 * 5;
/// Positions are kept in steps of 1/16384 of the picture's height: far finer than the model sees.
const POSITION_STEPS: f32 = 16384.0;

impl PoseTrack {
    /// The compact form kept with the take: 89 bytes a pose, under a kilobyte a second at the
    /// ten poses a second the stage looks at.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(MAGIC.len() + self.poses.len() * POSE_BYTES);
        bytes.extend_from_slice(MAGIC);
        for pose in &self.poses {
            let millis = (pose.at * 1000.0).round().clamp(0.0, u32::MAX as f64) as u32;
            bytes.extend_from_slice(&millis.to_le_bytes());
            for point in &pose.points {
                for value in [point.x, point.y] {
                    let steps = (value * POSITION_STEPS).round().clamp(0.0, u16::MAX as f32) as u16;
                    bytes.extend_from_slice(&steps.to_le_bytes());
                }
                bytes.push((point.score.clamp(0.0, 1.0) * 255.0).round() as u8);
            }
        }
        bytes
    }

    /// Reads the form [`PoseTrack::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<PoseTrack, PoseTrackError> {
        let body = bytes.strip_prefix(MAGIC.as_slice()).ok_or(PoseTrackError("it does not start as a pose track"))?;
        if body.len() % POSE_BYTES != 0 {
            return Err(PoseTrackError("it ends halfway through a pose"));
        }
        let poses = body
            .chunks_exact(POSE_BYTES)
            .map(|chunk| {
                let at = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) as f64 / 1000.0;
                let mut points = [BodyPoint::default(); 17];
                for (point, kept) in points.iter_mut().zip(chunk[4..].chunks_exact(5)) {
                    let position = |lo: u8, hi: u8| u16::from_le_bytes([lo, hi]) as f32 / POSITION_STEPS;
                    *point = BodyPoint {
                        x: position(kept[0], kept[1]),
                        y: position(kept[2], kept[3]),
                        score: kept[4] as f32 / 255.0,
                    };
                }
                Pose { at, points }
            })
            .collect();
        Ok(PoseTrack { poses })
    }
}

/// What the camera saw of the performer over the take, per line, and the moments worth naming.
/// Shares are of the time the performer was seen, 0 to 1. Figures about the hands are `None`
/// when the picture never showed them (a camera framing head and shoulders).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Movement {
    /// Poses looked at per second of the take.
    pub poses_per_second: f64,
    /// Share of the take in which a body was in the picture.
    pub seen: f64,
    #[serde(flatten)]
    pub take: BodyFigures,
    pub lines: Vec<LineMovement>,
    /// Stillness, sway, fidgeting, gestures, hidden hands and eyes away, in time order.
    pub moments: Vec<MovementMoment>,
    /// How much the body moved, for the band drawn under the words.
    pub activity: Activity,
}

/// The figures of a stretch of the take: the whole of it, or one line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BodyFigures {
    /// Share of the time the body was frozen: almost no movement for several seconds.
    pub still: f64,
    /// Share of the time the torso swayed or rocked without purpose.
    pub sway: f64,
    /// Gestures a minute: a hand moved clearly away and back.
    pub gestures_per_minute: Option<f64>,
    /// Share of the gestures that were open: the hand away from the body or above the waist.
    pub open_gestures: Option<f64>,
    /// Share of the time the hands fidgeted: small repeated movements that are no gesture.
    pub fidgeting: Option<f64>,
    /// Share of the time the hands were hidden (out of the picture, behind the back) or gripped
    /// together.
    pub hands_hidden: Option<f64>,
    /// Share of the time the head was turned down (toward a script) or away from the audience.
    pub eyes_away: f64,
}

/// One script line's movement; figures are `None` for a line never said while seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineMovement {
    /// The line number in the script text, from 1.
    pub line: usize,
    #[serde(flatten)]
    pub figures: Option<BodyFigures>,
}

/// What a moment of movement was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// The body frozen.
    Still,
    /// The torso moving side to side or back and forth.
    Sway,
    /// Small repeated hand movements.
    Fidget,
    /// A hand moved clearly away and back.
    Gesture,
    /// Hands out of sight or gripped together.
    HandsHidden,
    /// The head turned down, toward the script.
    EyesDown,
    /// The head turned away from the camera.
    EyesAway,
}

/// One moment of movement, placed on the words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MovementMoment {
    pub kind: MovementKind,
    pub start: f64,
    pub end: f64,
    /// The script word being said when it started, or the next one said.
    pub script_index: Option<usize>,
    pub line: Option<usize>,
    /// For a gesture: the hand was away from the body or above the waist.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub open: bool,
}

/// How much the body moved, every `hop` seconds from the start of the take: 0 still, 1 a lot;
/// `None` where no body was seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub hop: f64,
    pub values: Vec<Option<f32>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pose_track_reads_back_as_it_was_kept() {
        let mut points = [BodyPoint::default(); 17];
        points[0] = BodyPoint { x: 0.61, y: 0.42, score: 0.9 };
        points[10] = BodyPoint { x: 1.2, y: 0.95, score: 0.0 };
        let track = PoseTrack { poses: vec![Pose { at: 0.0, points }, Pose { at: 12.345, points }] };
        let bytes = track.to_bytes();
        assert_eq!(bytes.len(), 4 + 2 * 89);
        let read = PoseTrack::from_bytes(&bytes).unwrap();
        assert_eq!(read.poses[1].at, 12.345);
        let nose = read.poses[1].points[0];
        assert!((nose.x - 0.61).abs() < 1e-4 && (nose.y - 0.42).abs() < 1e-4 && (nose.score - 0.9).abs() < 0.01);
        assert_eq!(read.poses[1].points[10].score, 0.0);
    }

    #[test]
    fn a_damaged_pose_track_says_so() {
        assert!(PoseTrack::from_bytes(b"RIFF....").is_err());
        assert!(PoseTrack::from_bytes(&[b'E', b'P', b'T', b'1', 0, 0]).is_err());
        assert_eq!(PoseTrack::from_bytes(b"EPT1").unwrap().poses.len(), 0);
    }
}
