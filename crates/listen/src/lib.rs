//! Listening: Whisper, written on candle, hears a take and gives every word a time.
//!
//! The crate owns everything about the model: installing and converting it
//! ([`install`]), the features it hears ([`mel`]), the network ([`model`]), decoding
//! ([`decode`]), word times ([`timing`]) and the result ([`Transcript`]). Nothing outside it
//! depends on candle, so the rest of Encore builds and tests without the model.

pub mod config;
pub mod ctranslate2;
pub mod decode;
mod error;
pub mod install;
pub mod kernels;
pub mod mel;
pub mod model;
mod recogniser;
mod step;
pub mod timing;
pub mod tokenizer;
mod transcript;

pub use error::ListenError;
pub use install::{PACKAGE, default_model_dir, install, is_model_dir};
pub use recogniser::{Heard, ListenOptions, Listening, Recogniser};
pub use transcript::{FORMAT, HeardWord, Progress, Span, StageTimes, Transcript};
