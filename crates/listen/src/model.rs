//! Whisper's encoder and decoder, written on candle for Encore.
//!
//! The weights keep CTranslate2's names and its fused projections (one matrix for
//! query/key/value in self-attention, one for key/value in cross-attention): a fused projection
//! is one matrix product instead of three, which matters on two CPU cores.
//!
//! The decoder keeps a key/value cache per layer so that each new token costs one row of work,
//! and it can hand back the cross-attention weights of the alignment heads, from which word
//! times are read.

use std::collections::HashMap;
use std::sync::Arc;

use candle_core::quantized::QMatMul;
use candle_core::{D, Device, IndexOp, Module, Tensor};
use candle_nn::LayerNorm;

use crate::config::ModelConfig;
use crate::cpu::kernels::Gelu;
use crate::cpu::step::{Int8Matrix, Norm, StepLayer, StepWeights, Steps};

type Result<T> = candle_core::Result<T>;

/// The weights by CTranslate2 name, already f32 on the CPU.
pub type Weights = HashMap<String, Tensor>;

fn take(weights: &Weights, name: &str) -> Result<Tensor> {
    weights.get(name).cloned().ok_or_else(|| candle_core::Error::Msg(format!("the model has no weight {name}")))
}

fn layer_norm(weights: &Weights, prefix: &str) -> Result<LayerNorm> {
    Ok(LayerNorm::new(take(weights, &format!("{prefix}/gamma"))?, take(weights, &format!("{prefix}/beta"))?, 1e-5))
}

/// How the decoder's greedy step reads its weights. Each step multiplies one row by every
/// weight matrix, so a step costs what reading the weights costs; 8-bit weights are read four
/// times faster than f32 ones (see docs/decisions.md for the figures). Passes over many tokens
/// use the f32 weights either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    F32,
    Int8,
}

impl Precision {
    /// `ENCORE_DECODER_PRECISION=f32` keeps f32 weights (for comparisons); int8 otherwise.
    pub fn from_environment() -> Precision {
        match std::env::var("ENCORE_DECODER_PRECISION").as_deref() {
            Ok("f32") => Precision::F32,
            _ => Precision::Int8,
        }
    }
}

/// A linear layer. Many rows at once (the encoder; the decoder reading a prompt, timing words
/// or rescoring) are one f32 matrix product: candle's 8-bit product does them row by row, and
/// made rescoring and the timing pass a quarter slower. The decoder's greedy step, one row,
/// reads an 8-bit copy instead ([`crate::cpu::step`]), where reading the weights is the cost.
struct Projection {
    matrix: QMatMul,
    bias: Option<Tensor>,
    /// The same matrix and bias for the decoder's step, when 8-bit.
    step: Option<Arc<Int8Matrix>>,
}

impl Projection {
    fn load(weights: &Weights, prefix: &str, precision: Precision) -> Result<Projection> {
        let weight = take(weights, &format!("{prefix}/weight"))?;
        let bias = weights.get(&format!("{prefix}/bias"));
        let step = match precision {
            Precision::Int8 => Some(Arc::new(Int8Matrix::quantize(&weight, bias)?)),
            Precision::F32 => None,
        };
        Ok(Projection { matrix: QMatMul::Tensor(weight), bias: bias.cloned(), step })
    }
}

impl Module for Projection {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = self.matrix.forward(x)?;
        match &self.bias {
            Some(bias) => y.broadcast_add(bias),
            None => Ok(y),
        }
    }
}

/// Splits `[batch, time, heads*width]` into `[batch, heads, time, width]`.
fn split_heads(x: &Tensor, heads: usize) -> Result<Tensor> {
    let (batch, time, width) = x.dims3()?;
    x.reshape((batch, time, heads, width / heads))?.transpose(1, 2)?.contiguous()
}

fn merge_heads(x: &Tensor) -> Result<Tensor> {
    let (batch, heads, time, width) = x.dims4()?;
    x.transpose(1, 2)?.reshape((batch, time, heads * width))
}

/// Scaled dot-product attention; returns the output and the attention weights.
fn attend(query: &Tensor, key: &Tensor, value: &Tensor, mask: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
    // Scaling the query rather than the scores touches `width` numbers per query instead of
    // one per key: 1500 times fewer in the encoder.
    let scale = 1.0 / (query.dim(D::Minus1)? as f64).sqrt();
    let mut scores = (query * scale)?.matmul(&key.t()?)?;
    if let Some(mask) = mask {
        scores = scores.broadcast_add(mask)?;
    }
    let weights = candle_nn::ops::softmax_last_dim(&scores)?;
    Ok((weights.matmul(value)?, weights))
}

/// [`attend`] without a mask, through the blocked kernel that keeps the scores in cache.
fn attend_all(query: &Tensor, key: &Tensor, value: &Tensor) -> Result<Tensor> {
    let (shape, device) = (query.shape().clone(), query.device().clone());
    let (batch, heads, positions, width) = query.dims4()?;
    let flat = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
    let (query, key, value) = (flat(query)?, flat(key)?, flat(value)?);
    let per_item = heads * positions * width;
    let mut out = Vec::with_capacity(batch * per_item);
    for item in 0..batch {
        let range = item * per_item..(item + 1) * per_item;
        let (q, k, v) = (&query[range.clone()], &key[range.clone()], &value[range]);
        out.extend(crate::cpu::kernels::attend_all(q, k, v, heads, positions, width));
    }
    Tensor::from_vec(out, shape, &device)
}

struct FeedForward {
    norm: LayerNorm,
    up: Projection,
    down: Projection,
}

impl FeedForward {
    fn load(weights: &Weights, prefix: &str, precision: Precision) -> Result<FeedForward> {
        Ok(FeedForward {
            norm: layer_norm(weights, &format!("{prefix}/layer_norm"))?,
            up: Projection::load(weights, &format!("{prefix}/linear_0"), precision)?,
            down: Projection::load(weights, &format!("{prefix}/linear_1"), precision)?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x + self.down.forward(&self.up.forward(&self.norm.forward(x)?)?.apply_op1_no_bwd(&Gelu)?)?
    }
}

/// Self-attention with the query, key and value projections fused.
struct SelfAttention {
    norm: LayerNorm,
    query_key_value: Projection,
    out: Projection,
    heads: usize,
}

impl SelfAttention {
    fn load(weights: &Weights, prefix: &str, heads: usize, precision: Precision) -> Result<SelfAttention> {
        Ok(SelfAttention {
            norm: layer_norm(weights, &format!("{prefix}/layer_norm"))?,
            query_key_value: Projection::load(weights, &format!("{prefix}/linear_0"), precision)?,
            out: Projection::load(weights, &format!("{prefix}/linear_1"), precision)?,
            heads,
        })
    }

    /// With a cache, the new keys and values are appended to it and attention covers all of it.
    fn forward(
        &self,
        x: &Tensor,
        cache: Option<&mut Option<(Tensor, Tensor)>>,
        mask: Option<&Tensor>,
    ) -> Result<Tensor> {
        // Every position attending to every other (the encoder) goes through the blocked kernel.
        let all_to_all = cache.is_none() && mask.is_none();
        let fused = self.query_key_value.forward(&self.norm.forward(x)?)?;
        let width = fused.dim(D::Minus1)? / 3;
        let query = split_heads(&fused.narrow(D::Minus1, 0, width)?, self.heads)?;
        let mut key = split_heads(&fused.narrow(D::Minus1, width, width)?, self.heads)?;
        let mut value = split_heads(&fused.narrow(D::Minus1, 2 * width, width)?, self.heads)?;
        if let Some(cache) = cache {
            if let Some((old_key, old_value)) = cache.as_ref() {
                key = Tensor::cat(&[old_key, &key], 2)?;
                value = Tensor::cat(&[old_value, &value], 2)?;
            }
            *cache = Some((key.clone(), value.clone()));
        }
        let attended =
            if all_to_all { attend_all(&query, &key, &value)? } else { attend(&query, &key, &value, mask)?.0 };
        x + self.out.forward(&merge_heads(&attended)?)?
    }
}

struct EncoderLayer {
    attention: SelfAttention,
    feed_forward: FeedForward,
}

/// The audio encoder: two convolutions, then transformer layers.
pub struct Encoder {
    conv1: (Tensor, Tensor),
    conv2: (Tensor, Tensor),
    positions: Tensor,
    layers: Vec<EncoderLayer>,
    norm: LayerNorm,
}

impl Encoder {
    fn load(weights: &Weights, config: &ModelConfig) -> Result<Encoder> {
        let layers = (0..config.encoder_layers)
            .map(|i| {
                let prefix = format!("encoder/layer_{i}");
                Ok(EncoderLayer {
                    attention: SelfAttention::load(
                        weights,
                        &format!("{prefix}/self_attention"),
                        config.heads,
                        Precision::F32,
                    )?,
                    feed_forward: FeedForward::load(weights, &format!("{prefix}/ffn"), Precision::F32)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Encoder {
            conv1: (take(weights, "encoder/conv1/weight")?, take(weights, "encoder/conv1/bias")?),
            conv2: (take(weights, "encoder/conv2/weight")?, take(weights, "encoder/conv2/bias")?),
            positions: take(weights, "encoder/position_encodings/encodings")?,
            layers,
            norm: layer_norm(weights, "encoder/layer_norm")?,
        })
    }

    /// `mel` is `[1, bands, 3000]`; the result is `[1, 1500, width]`.
    pub fn forward(&self, mel: &Tensor) -> Result<Tensor> {
        let convolve = |x: &Tensor, (weight, bias): &(Tensor, Tensor), stride| -> Result<Tensor> {
            x.conv1d(weight, 1, stride, 1, 1)?.broadcast_add(&bias.reshape((1, (), 1))?)?.apply_op1_no_bwd(&Gelu)
        };
        let x = convolve(mel, &self.conv1, 1)?;
        let x = convolve(&x, &self.conv2, 2)?.transpose(1, 2)?;
        let positions = self.positions.narrow(0, 0, x.dim(1)?)?;
        let mut x = x.broadcast_add(&positions)?;
        for layer in &self.layers {
            x = layer.attention.forward(&x, None, None)?;
            x = layer.feed_forward.forward(&x)?;
        }
        self.norm.forward(&x)
    }
}

struct DecoderLayer {
    self_attention: SelfAttention,
    cross_norm: LayerNorm,
    cross_query: Projection,
    cross_key_value: Projection,
    cross_out: Projection,
    feed_forward: FeedForward,
}

/// The text decoder.
pub struct Decoder {
    embeddings: Tensor,
    /// The weights again, for decoding a token at a time outside candle (see [`crate::cpu::step`]);
    /// with 8-bit weights only, since the step is written for those.
    step_weights: Option<StepWeights>,

    positions: Tensor,
    layers: Vec<DecoderLayer>,
    norm: LayerNorm,
    heads: usize,
}

/// What the decoder remembers while it reads one window: the audio's keys and values for
/// cross-attention (computed once), and its own past keys and values.
#[derive(Clone)]
pub struct DecoderState {
    cross: Vec<(Tensor, Tensor)>,
    cache: Vec<Option<(Tensor, Tensor)>>,
    /// How many tokens have been fed so far.
    pub length: usize,
}

impl DecoderState {
    /// A state for another reading of the same window: the audio's keys and values (the
    /// costly part, shared, not copied) without any tokens.
    pub fn restart(&self) -> DecoderState {
        DecoderState { cross: self.cross.clone(), cache: vec![None; self.cache.len()], length: 0 }
    }

    /// This state as it was after its first `length` tokens, to go on from there another way.
    pub fn truncated(&self, length: usize) -> Result<DecoderState> {
        let cache = self
            .cache
            .iter()
            .map(|layer| {
                layer
                    .as_ref()
                    .map(|(key, value)| Ok((key.narrow(2, 0, length)?, value.narrow(2, 0, length)?)))
                    .transpose()
            })
            .collect::<Result<_>>()?;
        Ok(DecoderState { cross: self.cross.clone(), cache, length })
    }
}

/// One decoder pass: logits for every new position, and optionally the cross-attention
/// weights of the requested heads, `[heads, new tokens, audio positions]`.
pub struct DecoderOutput {
    pub logits: Tensor,
    pub alignment: Option<Tensor>,
}

impl Decoder {
    fn load(weights: &Weights, config: &ModelConfig, precision: Precision) -> Result<Decoder> {
        let layers: Vec<DecoderLayer> = (0..config.decoder_layers)
            .map(|i| {
                let prefix = format!("decoder/layer_{i}");
                Ok(DecoderLayer {
                    self_attention: SelfAttention::load(
                        weights,
                        &format!("{prefix}/self_attention"),
                        config.heads,
                        precision,
                    )?,
                    cross_norm: layer_norm(weights, &format!("{prefix}/attention/layer_norm"))?,
                    cross_query: Projection::load(weights, &format!("{prefix}/attention/linear_0"), precision)?,
                    // Computed once per window from all 1500 positions: a product of whole
                    // matrices, which f32 does fastest.
                    cross_key_value: Projection::load(
                        weights,
                        &format!("{prefix}/attention/linear_1"),
                        Precision::F32,
                    )?,
                    cross_out: Projection::load(weights, &format!("{prefix}/attention/linear_2"), precision)?,
                    feed_forward: FeedForward::load(weights, &format!("{prefix}/ffn"), precision)?,
                })
            })
            .collect::<Result<_>>()?;
        let embeddings = take(weights, "decoder/embeddings/weight")?;
        let positions = take(weights, "decoder/position_encodings/encodings")?;
        let norm = layer_norm(weights, "decoder/layer_norm")?;
        let step_weights = step_weights(config, &layers, &norm, &embeddings, &positions)?;
        Ok(Decoder { step_weights, embeddings, positions, layers, norm, heads: config.heads })
    }

    /// Decoding from `state` on a token at a time, outside candle (about 2 ms a step against
    /// 3.3 ms through [`Decoder::forward`]; see [`crate::cpu::step`]); `None` where the weights
    /// are not 8-bit.
    pub fn steps(&self, state: &DecoderState) -> Result<Option<Steps<'_>>> {
        self.step_weights
            .as_ref()
            .map(|weights| Steps::new(weights, &state.cross, &state.cache, state.length))
            .transpose()
    }

    /// Prepares to decode against one window's encoded audio.
    pub fn start(&self, audio: &Tensor) -> Result<DecoderState> {
        let cross = self
            .layers
            .iter()
            .map(|layer| {
                let fused = layer.cross_key_value.forward(audio)?;
                let width = fused.dim(D::Minus1)? / 2;
                Ok((
                    split_heads(&fused.narrow(D::Minus1, 0, width)?, self.heads)?,
                    split_heads(&fused.narrow(D::Minus1, width, width)?, self.heads)?,
                ))
            })
            .collect::<Result<_>>()?;
        Ok(DecoderState { cross, cache: vec![None; self.layers.len()], length: 0 })
    }

    /// Feeds `tokens` after those already in `state`. `alignment_heads` lists (layer, head)
    /// pairs whose cross-attention weights to return.
    pub fn forward(
        &self,
        tokens: &[u32],
        state: &mut DecoderState,
        alignment_heads: &[(usize, usize)],
    ) -> Result<DecoderOutput> {
        self.forward_scoring_from(tokens, state, alignment_heads, 0)
    }

    /// [`Decoder::forward`], with logits only for the tokens from `first_scored` on: the
    /// prompt before a window needs none of its own, and its logits (a 52 thousand-wide row
    /// for each token) cost more than the rest of the pass.
    pub fn forward_scoring_from(
        &self,
        tokens: &[u32],
        state: &mut DecoderState,
        alignment_heads: &[(usize, usize)],
        first_scored: usize,
    ) -> Result<DecoderOutput> {
        let device = self.embeddings.device();
        let count = tokens.len();
        let ids = Tensor::new(tokens, device)?;
        let mut x = self
            .embeddings
            .index_select(&ids, 0)?
            .broadcast_add(&self.positions.narrow(0, state.length, count)?)?
            .unsqueeze(0)?;
        let mask = (count > 1).then(|| causal_mask(count, state.length, device)).transpose()?;
        let mut alignment = Vec::new();
        for (index, layer) in self.layers.iter().enumerate() {
            x = layer.self_attention.forward(&x, Some(&mut state.cache[index]), mask.as_ref())?;
            let query = split_heads(&layer.cross_query.forward(&layer.cross_norm.forward(&x)?)?, self.heads)?;
            let (key, value) = &state.cross[index];
            let (attended, weights) = attend(&query, key, value, None)?;
            for &(_, head) in alignment_heads.iter().filter(|(l, _)| *l == index) {
                alignment.push(weights.i((0, head))?);
            }
            x = (&x + layer.cross_out.forward(&merge_heads(&attended)?)?)?;
            x = layer.feed_forward.forward(&x)?;
        }
        state.length += count;
        let x = self.norm.forward(&x.narrow(1, first_scored, count - first_scored)?)?;
        let count = count - first_scored;
        // One new token reads the 8-bit projection; many at once (the prompt, the word-timing
        // pass, rescoring) are one f32 matrix product, which a quantised product would do row
        // by row.
        let logits = match &self.step_weights {
            Some(weights) if count == 1 => {
                let logits = weights.logits(&x.flatten_all()?.to_vec1()?);
                let vocabulary = logits.len();
                Tensor::from_vec(logits, (1, vocabulary), device)?
            }
            _ => x.squeeze(0)?.matmul(&self.embeddings.t()?)?,
        };
        let alignment = if alignment.is_empty() { None } else { Some(Tensor::stack(&alignment, 0)?) };
        Ok(DecoderOutput { logits, alignment })
    }
}

/// The decoder's weights as [`crate::cpu::step`] reads them: the layers' own 8-bit matrices and
/// norms, or `None` where the weights are f32.
fn step_weights(
    config: &ModelConfig,
    layers: &[DecoderLayer],
    norm: &LayerNorm,
    embeddings: &Tensor,
    positions: &Tensor,
) -> Result<Option<StepWeights>> {
    let mut step_layers = Vec::with_capacity(layers.len());
    for layer in layers {
        let attention = &layer.self_attention;
        let feed_forward = &layer.feed_forward;
        let (Some(query_key_value), Some(self_out), Some(cross_query), Some(cross_out), Some(up), Some(down)) = (
            attention.query_key_value.step.clone(),
            attention.out.step.clone(),
            layer.cross_query.step.clone(),
            layer.cross_out.step.clone(),
            feed_forward.up.step.clone(),
            feed_forward.down.step.clone(),
        ) else {
            return Ok(None);
        };
        step_layers.push(StepLayer {
            self_norm: Norm::of(&attention.norm)?,
            query_key_value,
            self_out,
            cross_norm: Norm::of(&layer.cross_norm)?,
            cross_query,
            cross_out,
            feed_forward_norm: Norm::of(&feed_forward.norm)?,
            up,
            down,
        });
    }
    Ok(Some(StepWeights {
        embeddings: embeddings.clone(),
        positions: positions.clone(),
        layers: step_layers,
        norm: Norm::of(norm)?,
        projection: Int8Matrix::quantize(embeddings, None)?,
        heads: config.heads,
        width: embeddings.dim(1)?,
    }))
}

/// A mask that lets each new token see every earlier token and itself, not later ones.
fn causal_mask(count: usize, past: usize, device: &Device) -> Result<Tensor> {
    let values: Vec<f32> = (0..count)
        .flat_map(|row| (0..past + count).map(move |column| if column > past + row { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Tensor::from_vec(values, (count, past + count), device)
}

/// The whole model.
pub struct Whisper {
    pub encoder: Encoder,
    pub decoder: Decoder,
}

impl Whisper {
    pub fn load(weights: &Weights, config: &ModelConfig, precision: Precision) -> Result<Whisper> {
        Ok(Whisper { encoder: Encoder::load(weights, config)?, decoder: Decoder::load(weights, config, precision)? })
    }
}
