//! Listening: Whisper, written on candle, hears a take and gives every word a time.
//!
//! The crate owns everything about the model: installing and converting it (`install`), the
//! features it hears (`mel`), the network (`model`) and the CPU code under it (`cpu`),
//! decoding (`decode`), word times (`timing`) and the recogniser that puts them together
//! ([`Recogniser`]), whose result is an [`encore_take::Hearing`]. Nothing outside it depends
//! on candle, so the rest of Encore builds and tests without the model. Only what callers use
//! is public; the `internals` feature opens the model itself to the crate's examples.

mod config;
mod cpu;
mod ctranslate2;
mod decode;
mod error;
mod install;
mod layouts;
mod mel;
mod model;
mod recogniser;
mod stage_times;
mod timing;
mod tokenizer;
mod whisper;

pub use config::ModelConfig;
pub use error::ListenError;
pub use install::{
    DEFAULT_MODEL, MODELS, NamedModel, default_model_dir, default_model_installed, install, is_model_dir, models_dir,
};
pub use recogniser::{ListenOptions, Listening, LiveHearing, Recogniser};
pub use stage_times::{ListeningProgress, StageTimes};

/// The model below the recogniser, for the examples that time its parts: not a stable
/// interface, and off unless the `internals` feature is on.
#[cfg(feature = "internals")]
pub mod internals {
    pub use crate::install::ModelFiles;
    pub use crate::model::{EncoderPrecision, Precision, Whisper};
    pub use crate::tokenizer::Tokenizer;
}
