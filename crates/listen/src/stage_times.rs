//! What listening reports about itself besides the [`Hearing`](encore_take::Hearing): where
//! the time went, and how far through a long take it has got.

use serde::Serialize;

/// Seconds spent in each stage, for `--profile` and the benchmarks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StageTimes {
    pub mel: f64,
    pub encoder: f64,
    pub decoder: f64,
    pub timing: f64,
    pub voice_activity: f64,
    pub windows: usize,
}

/// Progress through a long take.
#[derive(Debug, Clone, Copy)]
pub struct ListeningProgress {
    /// Seconds of audio done.
    pub done: f64,
    pub total: f64,
}
