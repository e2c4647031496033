//! The shape of a Whisper model and the facts about its vocabulary that decoding needs.
//!
//! Everything is read from the weights and the tokenizer rather than assumed, so that the same
//! code runs tiny.en today and larger or multilingual models later.

use serde::{Deserialize, Serialize};

/// Encore's `config.json` for a converted model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelConfig {
    /// Always `encore.whisper/1`; tells Encore's format from CTranslate2's.
    pub format: String,
    /// Where the weights came from, for `encore model status`.
    pub source: String,
    pub mel_bins: usize,
    pub audio_positions: usize,
    pub text_positions: usize,
    pub width: usize,
    pub heads: usize,
    pub encoder_layers: usize,
    pub decoder_layers: usize,
    pub vocabulary: usize,
    /// (decoder layer, head) pairs whose cross-attention follows the audio in time.
    pub alignment_heads: Vec<(usize, usize)>,
    /// Tokens never to emit (symbols and speaker markers Whisper learnt from subtitles).
    pub suppress_tokens: Vec<u32>,
    /// Tokens not to emit as the first token of a window (a blank or the end).
    pub suppress_at_begin: Vec<u32>,
}

pub const MODEL_FORMAT: &str = "encore.whisper/1";

impl ModelConfig {
    pub fn head_width(&self) -> usize {
        self.width / self.heads
    }
}
