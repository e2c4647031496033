//! Any sequence of WebSocket frames from a page recording a take, through the stage's own
//! reading of them (`encore::stage::PageFrames`): no panic, every byte of audio kept in order
//! (a sample split between frames, or by an empty frame, is still whole), the stop seen, and
//! the prompter's notes bounded.
//!
//! The input is frames one after another: a byte for the kind (audio, text, close, other), two
//! for the length (little-endian), then the frame's bytes.

#![no_main]

use encore::stage::{Frame, PageFrames, PageMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut page = PageFrames::default();
    let mut audio: Vec<u8> = Vec::new();
    let mut rest = data;
    while let [kind, low, high, after @ ..] = rest {
        let length = usize::from(u16::from_le_bytes([*low, *high])).min(after.len());
        let (bytes, next) = after.split_at(length);
        rest = next;
        // A text frame is UTF-8 by the WebSocket's rules: the socket refuses anything else.
        let text = String::from_utf8_lossy(bytes);
        let frame = match kind % 4 {
            0 => Frame::Audio(bytes),
            1 => Frame::Text(&text),
            2 => Frame::Closed,
            _ => Frame::Other,
        };
        let heard = page.read(frame);
        match frame {
            Frame::Audio(bytes) => {
                audio.extend_from_slice(bytes);
                assert_eq!(heard, PageMessage::Audio);
            }
            Frame::Text(text) => {
                let stop =
                    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|message| message["type"] == "stop");
                assert_eq!(heard == PageMessage::Stop, stop, "the stop was misread: {text:?}");
            }
            Frame::Closed => assert_eq!(heard, PageMessage::Gone),
            Frame::Other => assert_eq!(heard, PageMessage::Nothing),
        }
    }
    let expected: Vec<i16> = audio.chunks_exact(2).map(|pair| i16::from_le_bytes([pair[0], pair[1]])).collect();
    assert_eq!(page.pcm, expected, "the samples are not the bytes sent, in order");
    if let Some(used) = &page.prompter {
        assert!(used.prompts.len() <= 10_000, "{} prompts kept", used.prompts.len());
    }
});
