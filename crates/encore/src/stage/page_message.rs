//! What the page says over the recording WebSocket, read without the socket: binary frames of
//! 16-bit little-endian PCM become samples (a sample may be split between two frames), the text
//! frame `{"type":"stop"}` ends the take, and the prompter's messages are noted for the report.
//!
//! It is apart from `record.rs`, which owns the socket, the live hearing and the store, so that
//! the fuzz target `page_message` (`fuzz/`) runs exactly what the stage runs on a page's frames.

use encore_take::{PrompterMode, PrompterUsed};
use serde_json::Value;

/// The most prompts one take keeps: far more than any performer needs, few enough that a page
/// sending nonsense cannot fill the memory.
const MOST_PROMPTS: usize = 10_000;

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
}
