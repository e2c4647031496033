//! Decode any audio file to mono f32 at 16 kHz, and find where the voice is.
//!
//! This crate is the boundary between the messy world of recordings (formats, channel layouts,
//! sample rates, broken files) and the rest of Encore, which only ever sees [`Audio`]: mono,
//! 16 kHz, `f32`. It also answers the one acoustic question the aligner needs before any
//! recognition happens, where someone is speaking ([`voice_activity`]).

mod audio;
mod decode;
mod edit_list;
mod error;
mod progress;
mod resample;
mod voice_activity;
mod wav;

pub use audio::{Audio, SAMPLE_RATE, samples_in, seconds};
pub use decode::{check_not_silent, decode_bytes, decode_file};
pub use error::AudioError;
pub use voice_activity::{SpeechSpan, voice_activity};
pub use wav::pcm16_wav;
