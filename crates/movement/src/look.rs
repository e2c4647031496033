//! Each pose read as a body: where the torso, the hands and the head were, in shoulder widths
//! (so that a performer near the camera and one far from it move alike), and how much the body
//! moved since the pose before.

use encore_take::{BodyPoint, Pose, PoseTrack};

/// A point the model scored below this was not seen.
const SEEN: f32 = 0.3;
/// The shoulders are the body's frame; a camera that cuts them at the picture's edge scores
/// them lower, and they still place the torso well down to this.
const SHOULDER_SEEN: f32 = 0.2;

/// The body's points by name (MoveNet's order, [`encore_take::BODY_POINTS`]).
mod point {
    pub const NOSE: usize = 0;
    pub const LEFT_EAR: usize = 3;
    pub const RIGHT_EAR: usize = 4;
    pub const LEFT_SHOULDER: usize = 5;
    pub const RIGHT_SHOULDER: usize = 6;
    pub const LEFT_WRIST: usize = 9;
    pub const RIGHT_WRIST: usize = 10;
    /// The points whose movement is the body's movement: the head, shoulders, elbows and wrists.
    pub const UPPER_BODY: [usize; 11] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
}

/// One pose as a body, lengths in shoulder widths.
#[derive(Debug, Clone)]
pub struct Look {
    pub at: f64,
    /// A body was in the picture: both shoulders seen.
    pub seen: bool,
    /// The middle of the shoulders.
    pub torso: (f64, f64),
    /// Each wrist where seen: (x, y).
    pub wrists: [Option<(f64, f64)>; 2],
    /// How far the upper body moved since the pose before, per second.
    pub motion: Option<f64>,
    /// How far the nose hung below the ears: it grows as the head turns down.
    pub head_down: Option<f64>,
    /// How far the nose was to one side of the ears, in ear spans: 0 facing the camera.
    pub head_turn: Option<f64>,
    /// The face was out of sight while the body was seen: turned away.
    pub face_hidden: bool,
}

/// The track read as bodies, in time order. Empty when no pose shows a body.
pub fn looks(track: &PoseTrack) -> Vec<Look> {
    let widths: Vec<f64> = track.poses.iter().filter_map(shoulder_width).collect();
    let Some(width) = median(widths) else { return Vec::new() };
    let mut looks: Vec<Look> = Vec::with_capacity(track.poses.len());
    let mut previous: Option<&Pose> = None;
    for pose in &track.poses {
        let look = look(pose, previous.filter(|p| pose.at > p.at), width);
        if look.seen {
            previous = Some(pose);
        }
        looks.push(look);
    }
    looks
}

fn look(pose: &Pose, previous: Option<&Pose>, width: f64) -> Look {
    let p = &pose.points;
    let at = |i: usize| scaled(p[i], width);
    let body = p[point::LEFT_SHOULDER].score >= SHOULDER_SEEN && p[point::RIGHT_SHOULDER].score >= SHOULDER_SEEN;
    let (ls, rs) = (at(point::LEFT_SHOULDER), at(point::RIGHT_SHOULDER));
    let torso = ((ls.0 + rs.0) / 2.0, (ls.1 + rs.1) / 2.0);
    let wrists = [point::LEFT_WRIST, point::RIGHT_WRIST].map(|i| seen(p[i]).then(|| at(i)));
    let motion = previous.filter(|_| body).and_then(|before| {
        let moved: Vec<f64> = point::UPPER_BODY
            .iter()
            .filter(|&&i| seen(p[i]) && seen(before.points[i]))
            .map(|&i| distance(at(i), scaled(before.points[i], width)))
            .collect();
        let count = moved.len();
        (count >= 3).then(|| moved.iter().sum::<f64>() / count as f64 / (pose.at - before.at))
    });
    let ears: Vec<(f64, f64)> =
        [point::LEFT_EAR, point::RIGHT_EAR].into_iter().filter(|&i| seen(p[i])).map(at).collect();
    let nose = seen(p[point::NOSE]).then(|| at(point::NOSE));
    let head_down = nose
        .filter(|_| !ears.is_empty())
        .map(|nose| nose.1 - ears.iter().map(|e| e.1).sum::<f64>() / ears.len() as f64);
    let head_turn = match (nose, ears.as_slice()) {
        (Some(nose), [left, right]) if distance(*left, *right) > 0.05 => {
            Some((nose.0 - (left.0 + right.0) / 2.0).abs() / distance(*left, *right))
        }
        _ => None,
    };
    Look {
        at: pose.at,
        seen: body,
        torso,
        wrists,
        motion,
        head_down,
        head_turn,
        face_hidden: body && nose.is_none() && ears.is_empty(),
    }
}

fn seen(point: BodyPoint) -> bool {
    point.score >= SEEN
}

/// A point in shoulder widths.
fn scaled(point: BodyPoint, width: f64) -> (f64, f64) {
    (point.x as f64 / width, point.y as f64 / width)
}

fn shoulder_width(pose: &Pose) -> Option<f64> {
    let (l, r) = (pose.points[point::LEFT_SHOULDER], pose.points[point::RIGHT_SHOULDER]);
    let width = distance((l.x as f64, l.y as f64), (r.x as f64, r.y as f64));
    (l.score >= SHOULDER_SEEN && r.score >= SHOULDER_SEEN && width > 0.01).then_some(width)
}

pub fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}
