//! What the page says over the recording WebSocket, read without the socket: binary frames of
//! 16-bit little-endian PCM become samples (a sample may be split between two frames), the text
//! frame `{"type":"stop"}` ends the take, the prompter's messages are noted for the report, and
//! so is the pose over the take when the camera is on (`{"type":"poses","poses":[[at, x, y,
//! score, ... for each of the 17 body points], ...]}`, `at` in seconds of the take's audio, `x`
//! and `y` in heights of the picture).
//!
//! It is apart from `record.rs`, which owns the socket, the live hearing and the store, so that
//! the fuzz target `page_message` (`fuzz/`) runs exactly what the stage runs on a page's frames.

use encore_take::{BodyPoint, Pose, PoseTrack, PrompterMode, PrompterUsed};
use serde_json::Value;

/// The most prompts one take keeps: far more than any performer needs, few enough that a page
/// sending nonsense cannot fill the memory.
const MOST_PROMPTS: usize = 10_000;
/// The most poses one take keeps: an hour at the page's rate, well within memory.
const MOST_POSES: usize = 60 * 60 * 20;

/// One frame from the page, as the WebSocket delivered it.
#[derive(Debug, Clone, Copy)]
pub enum Frame<'a> {
    /// Microphone samples: 16-bit little-endian PCM, 16 kHz mono.
    Audio(&'a [u8]),
    /// A JSON message: the stop, or what the prompter did.
    Text(&'a str),
    /// The page closed the socket, or the connection broke.
    Closed,
    /// A ping, a pong: nothing the take needs.
    Other,
}

/// What the page said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageMessage {
    Audio,
    Stop,
    Gone,
    Nothing,
}

/// The take as the page has sent it so far.
#[derive(Debug, Default)]
pub struct PageFrames {
    /// Every sample received, kept for the store.
    pub pcm: Vec<i16>,
    /// How the page's prompter was used, if it said.
    pub prompter: Option<PrompterUsed>,
    /// The pose over the take, when the page's camera was on.
    pub poses: PoseTrack,
    /// A frame that ended halfway through a sample leaves its first byte here.
    odd_byte: Option<u8>,
}

impl PageFrames {
    /// Reads one frame: audio is appended to `pcm`, the prompter's messages noted.
    pub fn read(&mut self, frame: Frame<'_>) -> PageMessage {
        match frame {
            Frame::Audio(bytes) => {
                self.append(bytes);
                PageMessage::Audio
            }
            Frame::Text(text) => {
                let message: Value = serde_json::from_str(text).unwrap_or_default();
                if message["type"] == "stop" {
                    return PageMessage::Stop;
                }
                note_prompter(&message, &mut self.prompter);
                note_poses(&message, &mut self.poses);
                PageMessage::Nothing
            }
            Frame::Closed => PageMessage::Gone,
            Frame::Other => PageMessage::Nothing,
        }
    }

    /// Adds a frame's samples to the take.
    fn append(&mut self, bytes: &[u8]) {
        // An empty frame keeps the odd byte waiting: dropping it would shift every later
        // sample by a byte and turn the rest of the take into noise.
        let Some((&first, rest)) = bytes.split_first() else { return };
        let bytes = match self.odd_byte.take() {
            Some(odd) => {
                self.pcm.push(i16::from_le_bytes([odd, first]));
                rest
            }
            None => bytes,
        };
        let mut pairs = bytes.chunks_exact(2);
        self.pcm.extend(pairs.by_ref().map(|pair| i16::from_le_bytes([pair[0], pair[1]])));
        self.odd_byte = pairs.remainder().first().copied();
    }
}

/// Keeps what the page says of its prompter: the mode at the start, then each prompt.
fn note_prompter(message: &Value, prompter: &mut Option<PrompterUsed>) {
    match message["type"].as_str() {
        Some("prompter") => {
            let Ok(mode) = serde_json::from_value::<PrompterMode>(message["mode"].clone()) else { return };
            let hidden_words = message["hidden_words"].as_u64().unwrap_or(0) as usize;
            let prompts = prompter.take().map(|used| used.prompts).unwrap_or_default();
            *prompter = Some(PrompterUsed { mode, hidden_words, prompts });
        }
        Some("prompt") => {
            if let (Some(used), Some(index)) = (prompter.as_mut(), message["script_index"].as_u64())
                && used.prompts.len() < MOST_PROMPTS
            {
                used.prompts.push(index as usize);
            }
        }
        _ => {}
    }
}

/// Keeps the poses the page saw; a pose that is not one (the wrong length, a position off any
/// picture, a time gone back) is left out rather than trusted.
pub(crate) fn note_poses(message: &Value, track: &mut PoseTrack) {
    if message["type"] != "poses" {
        return;
    }
    for pose in message["poses"].as_array().into_iter().flatten().filter_map(Value::as_array) {
        let numbers: Vec<f64> = pose.iter().map_while(Value::as_f64).collect();
        let Some((&at, points)) = numbers.split_first().filter(|_| numbers.len() == 1 + 17 * 3) else { continue };
        let in_order = track.poses.last().is_none_or(|last| at > last.at);
        let sensible = at.is_finite()
            && at >= 0.0
            && points
                .chunks_exact(3)
                .all(|p| (0.0..=4.0).contains(&p[0]) && (0.0..=4.0).contains(&p[1]) && (0.0..=1.0).contains(&p[2]));
        if !in_order || !sensible || track.poses.len() >= MOST_POSES {
            continue;
        }
        let mut body = [BodyPoint::default(); 17];
        for (point, p) in body.iter_mut().zip(points.chunks_exact(3)) {
            *point = BodyPoint { x: p[0] as f32, y: p[1] as f32, score: p[2] as f32 };
        }
        track.poses.push(Pose { at, points: body });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_split_between_frames_is_whole() {
        let mut page = PageFrames::default();
        page.read(Frame::Audio(&[0x01, 0x02, 0x03]));
        page.read(Frame::Audio(&[0x04, 0x05]));
        assert_eq!(page.pcm, [0x0201, 0x0403]);
        assert_eq!(page.odd_byte, Some(0x05));
    }

    /// An empty binary frame after a frame of odd length dropped the odd byte, and every later
    /// sample was read a byte out of step (the fuzz target `page_message` checks it for any frames).
    #[test]
    fn an_empty_frame_keeps_the_odd_byte() {
        let mut page = PageFrames::default();
        page.read(Frame::Audio(&[0x01, 0x02, 0x03]));
        page.read(Frame::Audio(&[]));
        page.read(Frame::Audio(&[0x04]));
        assert_eq!(page.pcm, [0x0201, 0x0403]);
    }

    #[test]
    fn the_stop_and_the_prompter_are_read() {
        let mut page = PageFrames::default();
        let prompter = r#"{"type":"prompter","mode":"fading","hidden_words":12}"#;
        assert_eq!(page.read(Frame::Text(prompter)), PageMessage::Nothing);
        assert_eq!(page.read(Frame::Text(r#"{"type":"prompt","script_index":3}"#)), PageMessage::Nothing);
        assert_eq!(page.read(Frame::Text("not json")), PageMessage::Nothing);
        assert_eq!(page.read(Frame::Text(r#"{"type":"stop"}"#)), PageMessage::Stop);
        assert_eq!(page.read(Frame::Closed), PageMessage::Gone);
        let used = page.prompter.expect("the prompter is noted");
        assert_eq!((used.hidden_words, used.prompts), (12, vec![3]));
    }

    #[test]
    fn the_poses_are_kept_and_nonsense_is_left_out() {
        let mut page = PageFrames::default();
        let pose = |at: f64, x: f64| {
            let mut numbers = vec![at];
            numbers.extend((0..17).flat_map(|_| [x, 0.5, 0.9]));
            numbers
        };
        let message = serde_json::json!({"type": "poses", "poses": [pose(0.1, 0.6), pose(0.2, 0.7), pose(0.15, 0.6), pose(0.3, 9.0), [0.4, 1.0]]});
        assert_eq!(page.read(Frame::Text(&message.to_string())), PageMessage::Nothing);
        let kept: Vec<(f64, f32)> = page.poses.poses.iter().map(|p| (p.at, p.points[16].x)).collect();
        assert_eq!(
            kept,
            [(0.1, 0.6), (0.2, 0.7)],
            "a time gone back, a point off the picture and a short pose are left out"
        );
    }
}
