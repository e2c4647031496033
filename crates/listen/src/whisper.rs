//! The fixed numbers of Whisper's design, in one place.
//!
//! They are facts of how the model was trained (its audio features, the length of a window,
//! the resolution of its timestamps), not choices of Encore: the rest of the crate reads them
//! from here so that a number the model depends on is written once.

/// Samples per second of the audio the model hears (the rate every take is decoded to).
pub const SAMPLE_RATE: u32 = encore_audio::SAMPLE_RATE;

/// Samples in one short-time Fourier window of the mel features (25 ms).
pub const STFT_WINDOW: usize = 400;

/// Samples between two mel frames (10 ms).
pub const HOP: usize = 160;

/// Mel frames in one second of audio.
pub const FRAMES_PER_SECOND: usize = 100;

/// Mel frames in one 30 s window, the audio the encoder reads at once.
pub const FRAMES_PER_WINDOW: usize = 3000;

/// Mel frames per encoder position: the encoder's second convolution halves the frames.
pub const FRAMES_PER_POSITION: usize = 2;

/// Seconds per encoder position (two mel frames), which is also a timestamp token's step.
pub const SECONDS_PER_POSITION: f64 = 0.02;

/// Most prompt tokens the decoder keeps: `<|startofprev|>` and the last 223 tokens of text,
/// half of the 448 text positions less one.
pub const PROMPT_TOKENS: usize = 223;

/// Latest first timestamp, in timestamp steps: the reference lets the first timestamp be at
/// most 1 s into the window.
pub const MAX_INITIAL_TIMESTAMP_STEPS: u32 = 50;
