//! Encore's own CPU code for the loops that candle leaves slow on two cores.
//!
//! Candle does the model's arithmetic through general operations, each a pass over memory and
//! a wake-up of the thread pool. Where that cost dominates (the encoder's attention and GELU,
//! the whole decoder, a token at a time or many, the log-probabilities over the vocabulary) the
//! work is written here as plain loops and matrix products over buffers, with the same
//! arithmetic. They sit apart from the model so that the network's shape (`model`) reads
//! without them.

pub(crate) mod embeddings;
pub(crate) mod encoder_int8;
pub(crate) mod kernels;
pub(crate) mod reading;
pub(crate) mod step;
