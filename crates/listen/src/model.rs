//! Whisper's encoder and decoder, written for Encore: the encoder on candle, the decoder on
//! Encore's own CPU code ([`crate::cpu`]).
//!
//! The weights keep CTranslate2's names and its fused projections (one matrix for
//! query/key/value in self-attention, one for key/value in cross-attention): a fused projection
//! is one matrix product instead of three, which matters on two CPU cores.
//!
//! The decoder keeps a key/value cache per layer so that each new token costs one row of work,
//! and it can hand back the cross-attention weights of the alignment heads, from which word
//! times are read.

use std::sync::Arc;

use candle_core::{Device, Module, Tensor};
use candle_nn::LayerNorm;

use crate::config::ModelConfig;
use crate::cpu::embeddings::Embeddings;
use crate::cpu::encoder_int8::Int8Weights;
use crate::cpu::kernels::Gelu;
use crate::cpu::reading::{Linear, ReadingLayer, ReadingWeights, TextMemory};
use crate::cpu::step::{Int8Matrix, Norm, StepLayer, StepWeights, Steps};
use crate::layouts::{Layouts, Numbers};

type Result<T> = candle_core::Result<T>;

/// A weight as a tensor, for the encoder's operations through candle (a copy: these are the
/// small ones, norms, biases, convolutions and positions).
fn tensor(layouts: &mut Layouts, name: &str) -> Result<Tensor> {
    let (numbers, shape) = layouts.plain(name)?;
    Tensor::from_slice(&numbers, shape, &Device::Cpu)
}

fn layer_norm(layouts: &mut Layouts, prefix: &str) -> Result<LayerNorm> {
    Ok(LayerNorm::new(tensor(layouts, &format!("{prefix}/gamma"))?, tensor(layouts, &format!("{prefix}/beta"))?, 1e-5))
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

/// How the encoder's linear layers multiply: in f32 (the default), or in 8 bits, asked for with
/// `ENCORE_ENCODER_PRECISION=int8`, where the CPU has AVX-512 VNNI (see
/// [`crate::cpu::encoder_int8`]). Its attention is in f32 either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncoderPrecision {
    F32,
    Int8,
}

impl EncoderPrecision {
    /// `ENCORE_ENCODER_PRECISION=int8` asks for 8 bits; f32 otherwise. Read once.
    pub fn from_environment() -> EncoderPrecision {
        static CHOSEN: std::sync::OnceLock<EncoderPrecision> = std::sync::OnceLock::new();
        *CHOSEN.get_or_init(|| match std::env::var("ENCORE_ENCODER_PRECISION").as_deref() {
            Ok("int8") => EncoderPrecision::Int8,
            _ => EncoderPrecision::F32,
        })
    }
}

/// A linear layer of the encoder, whose products have 1500 rows, through candle.
struct Projection {
    /// The weight transposed, `[inputs, outputs]`: `gemm` reads it so without repacking it (a
    /// feed-forward layer's first product, 1500 rows, 4.4-4.9 ms against 5.3-6.3 ms with the
    /// weight read transposed). Kept in half precision, as shipped, and widened for each
    /// product: half the memory, and a product of 1500 rows costs a thousand times the
    /// widening.
    inputs_by_outputs: Numbers<half::f16>,
    /// The weight in 8 bits, quantised at the first product asked for in 8 bits (`None` where
    /// the CPU cannot multiply them; see [`crate::cpu::encoder_int8`]).
    int8: std::sync::OnceLock<Option<Int8Weights>>,
    inputs: usize,
    outputs: usize,
    bias: Option<Tensor>,
}

impl Projection {
    fn load(layouts: &mut Layouts, prefix: &str) -> Result<Projection> {
        let weight = layouts.transposed_half(&format!("{prefix}/weight"))?;
        let bias = layouts
            .plain_if_any(&format!("{prefix}/bias"))?
            .map(|(bias, shape)| Tensor::from_slice(&bias, shape, &Device::Cpu))
            .transpose()?;
        let (inputs_by_outputs, inputs, outputs) = (weight.numbers, weight.inputs, weight.outputs);
        Ok(Projection { inputs_by_outputs, int8: std::sync::OnceLock::new(), inputs, outputs, bias })
    }

    /// `x · weight` in 8 bits, where the weight is there so.
    fn in_int8(&self, x: &Tensor) -> Result<Option<Tensor>> {
        let int8 = self.int8.get_or_init(|| Int8Weights::new(&self.inputs_by_outputs, self.inputs, self.outputs));
        let Some(int8) = int8 else { return Ok(None) };
        let (batch, positions, _) = x.dims3()?;
        let x = x.contiguous()?;
        let (storage, layout) = x.storage_and_layout();
        let crate::cpu::step::Stored::F32(values) = crate::cpu::step::stored(&storage, layout)? else {
            return Ok(None);
        };
        let product = int8.multiply(values, batch * positions);
        Tensor::from_vec(product, (batch, positions, self.outputs), &Device::Cpu).map(Some)
    }

    /// `x · weight + bias`, in 8 bits where `precision` says so and the weight is there so.
    fn forward(&self, x: &Tensor, precision: EncoderPrecision) -> Result<Tensor> {
        use half::slice::HalfFloatSliceExt;
        let int8 = match precision {
            EncoderPrecision::Int8 => self.in_int8(x)?,
            EncoderPrecision::F32 => None,
        };
        let y = match int8 {
            Some(y) => y,
            None => {
                let mut wide = vec![0f32; self.inputs_by_outputs.len()];
                self.inputs_by_outputs.convert_to_f32_slice(&mut wide);
                let weight = Tensor::from_vec(wide, (self.inputs, self.outputs), &Device::Cpu)?;
                x.broadcast_matmul(&weight)?
            }
        };
        match &self.bias {
            Some(bias) => y.broadcast_add(bias),
            None => Ok(y),
        }
    }
}

/// Attention of every position to every other, through the blocked kernel that keeps the
/// scores in cache: `fused` is `[batch, positions, 3 * width]`, each row its query, key and
/// value; the result is `[batch, positions, width]`.
fn attend_all(fused: &Tensor, heads: usize) -> Result<Tensor> {
    let (batch, positions, three_widths) = fused.dims3()?;
    let width = three_widths / 3;
    let fused = fused.contiguous()?;
    let (storage, layout) = fused.storage_and_layout();
    let crate::cpu::step::Stored::F32(values) = crate::cpu::step::stored(&storage, layout)? else {
        candle_core::bail!("the encoder attends in f32");
    };
    let mut out = Vec::with_capacity(batch * positions * width);
    for item in values.chunks_exact(positions * three_widths) {
        out.extend(crate::cpu::kernels::attend_fused(item, heads, positions, width / heads));
    }
    Tensor::from_vec(out, (batch, positions, width), fused.device())
}

struct FeedForward {
    norm: LayerNorm,
    up: Projection,
    down: Projection,
}

impl FeedForward {
    fn load(layouts: &mut Layouts, prefix: &str) -> Result<FeedForward> {
        Ok(FeedForward {
            norm: layer_norm(layouts, &format!("{prefix}/layer_norm"))?,
            up: Projection::load(layouts, &format!("{prefix}/linear_0"))?,
            down: Projection::load(layouts, &format!("{prefix}/linear_1"))?,
        })
    }

    fn forward(&self, x: &Tensor, precision: EncoderPrecision) -> Result<Tensor> {
        let up = self.up.forward(&self.norm.forward(x)?, precision)?.apply_op1_no_bwd(&Gelu)?;
        x + self.down.forward(&up, precision)?
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
    fn load(layouts: &mut Layouts, prefix: &str, heads: usize) -> Result<SelfAttention> {
        Ok(SelfAttention {
            norm: layer_norm(layouts, &format!("{prefix}/layer_norm"))?,
            query_key_value: Projection::load(layouts, &format!("{prefix}/linear_0"))?,
            out: Projection::load(layouts, &format!("{prefix}/linear_1"))?,
            heads,
        })
    }

    fn forward(&self, x: &Tensor, precision: EncoderPrecision) -> Result<Tensor> {
        let fused = self.query_key_value.forward(&self.norm.forward(x)?, precision)?;
        x + self.out.forward(&attend_all(&fused, self.heads)?, precision)?
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
    fn load(layouts: &mut Layouts, config: &ModelConfig) -> Result<Encoder> {
        let layers = (0..config.encoder_layers)
            .map(|i| {
                let prefix = format!("encoder/layer_{i}");
                Ok(EncoderLayer {
                    attention: SelfAttention::load(layouts, &format!("{prefix}/self_attention"), config.heads)?,
                    feed_forward: FeedForward::load(layouts, &format!("{prefix}/ffn"))?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Encoder {
            conv1: (tensor(layouts, "encoder/conv1/weight")?, tensor(layouts, "encoder/conv1/bias")?),
            conv2: (tensor(layouts, "encoder/conv2/weight")?, tensor(layouts, "encoder/conv2/bias")?),
            positions: tensor(layouts, "encoder/position_encodings/encodings")?,
            layers,
            norm: layer_norm(layouts, "encoder/layer_norm")?,
        })
    }

    /// `mel` is `[1, bands, 3000]`; the result is `[1, 1500, width]`.
    pub fn forward(&self, mel: &Tensor) -> Result<Tensor> {
        self.forward_in(mel, EncoderPrecision::from_environment())
    }

    /// [`Encoder::forward`] in the precision given (8 bits only where the CPU has them).
    pub fn forward_in(&self, mel: &Tensor, precision: EncoderPrecision) -> Result<Tensor> {
        let convolve = |x: &Tensor, (weight, bias): &(Tensor, Tensor), stride| -> Result<Tensor> {
            x.conv1d(weight, 1, stride, 1, 1)?.broadcast_add(&bias.reshape((1, (), 1))?)?.apply_op1_no_bwd(&Gelu)
        };
        let x = convolve(mel, &self.conv1, 1)?;
        let x = convolve(&x, &self.conv2, 2)?.transpose(1, 2)?;
        let positions = self.positions.narrow(0, 0, x.dim(1)?)?;
        let mut x = x.broadcast_add(&positions)?;
        for layer in &self.layers {
            x = layer.attention.forward(&x, precision)?;
            x = layer.feed_forward.forward(&x, precision)?;
        }
        self.norm.forward(&x)
    }
}

/// A window's audio as the decoder attends to it: each layer's keys and values, head by head
/// (`[heads, audio positions, head width]` twice), computed once and shared by every reading
/// of the window.
pub(crate) type AudioMemory = Arc<Vec<(Vec<f32>, Vec<f32>)>>;

/// The text decoder. Its passes over many tokens ([`crate::cpu::reading`]) read f32 weights;
/// its greedy step ([`crate::cpu::step`]) reads 8-bit copies, where that is the precision.
pub struct Decoder {
    reading: ReadingWeights,
    /// The weights again in 8 bits, for decoding a token at a time; `None` in f32.
    step_weights: Option<StepWeights>,
}

/// What the decoder remembers while it reads one window: the audio's keys and values for
/// cross-attention (computed once), and its own keys and values for the text so far.
#[derive(Clone)]
pub struct DecoderState {
    audio: AudioMemory,
    text: TextMemory,
    /// How many tokens have been fed so far.
    pub length: usize,
}

impl DecoderState {
    /// A state for another reading of the same window: the audio's keys and values (the
    /// costly part, shared, not copied) without any tokens.
    pub fn restart(&self) -> DecoderState {
        DecoderState { audio: self.audio.clone(), text: TextMemory::default(), length: 0 }
    }

    /// The text this state has read, without the audio: kept with a window, it costs a row
    /// of keys and values a token, where the audio's are 18 MB.
    pub(crate) fn text(&self) -> (TextMemory, usize) {
        (self.text.clone(), self.length)
    }

    /// A state for the same window's audio as this one, having read `text` (as
    /// [`DecoderState::text`] gave it, from a state on the same audio).
    pub(crate) fn having_read(&self, (text, length): (TextMemory, usize)) -> DecoderState {
        DecoderState { audio: self.audio.clone(), text, length }
    }

    /// This state as it was after its first `length` tokens, to go on from there another way.
    pub fn truncated(&self, length: usize) -> Result<DecoderState> {
        if length > self.length {
            candle_core::bail!("a reading of {} tokens has no first {length}", self.length);
        }
        let mut text = self.text.clone();
        let per_token = |rows: &Vec<f32>| rows.len() / self.length.max(1);
        for rows in text.keys.iter_mut().chain(text.values.iter_mut()) {
            rows.truncate(length * per_token(rows));
        }
        Ok(DecoderState { audio: self.audio.clone(), text, length })
    }
}

/// One decoder pass: logits for every new position, and optionally the cross-attention
/// weights of the requested heads, `[heads, new tokens, audio positions]`.
pub struct DecoderOutput {
    pub logits: Logits,
    pub alignment: Option<Tensor>,
}

/// A pass's logits, a row of the vocabulary's size for each position scored, as the product
/// wrote them: read in place (a copy of a window's is 20 MB).
pub struct Logits {
    numbers: Vec<f32>,
    vocabulary: usize,
}

impl Logits {
    /// How many positions were scored.
    pub fn rows(&self) -> usize {
        self.numbers.len() / self.vocabulary
    }

    /// The logits at position `row` (of those scored).
    pub fn row(&self, row: usize) -> &[f32] {
        &self.numbers[row * self.vocabulary..(row + 1) * self.vocabulary]
    }

    /// The rows, in order.
    pub fn iter(&self) -> std::slice::ChunksExact<'_, f32> {
        self.numbers.chunks_exact(self.vocabulary)
    }

    /// The last row.
    pub fn last(&self) -> &[f32] {
        self.row(self.rows() - 1)
    }
}

impl Decoder {
    fn load(layouts: &mut Layouts, config: &ModelConfig, precision: Precision) -> Result<Decoder> {
        let mut layers = Vec::with_capacity(config.decoder_layers);
        let mut step_layers = Vec::with_capacity(config.decoder_layers);
        for i in 0..config.decoder_layers {
            let prefix = format!("decoder/layer_{i}");
            let mut norm = |name: &str| -> Result<Norm> {
                let (scale, _) = layouts.plain(&format!("{prefix}/{name}/gamma"))?;
                Ok(Norm::new(&scale, &layouts.plain(&format!("{prefix}/{name}/beta"))?.0))
            };
            let (self_norm, cross_norm, feed_forward_norm) =
                (norm("self_attention/layer_norm")?, norm("attention/layer_norm")?, norm("ffn/layer_norm")?);
            // Each matrix in f32 for the passes and, for those the step reads, in 8 bits. The
            // 8-bit copies are laid out whatever the precision, so that the prepared file holds
            // them for every load; in f32 they are dropped (and, mapped, never read).
            let mut matrix = |name: &str, for_step: bool| -> Result<(Linear, Option<Int8Matrix>)> {
                let weight = format!("{prefix}/{name}/weight");
                let bias = layouts.plain_if_any(&format!("{prefix}/{name}/bias"))?.map(|(bias, _)| bias);
                let step = for_step.then(|| Int8Matrix::new(layouts.quantized(&weight)?, bias.clone())).transpose()?;
                Ok((Linear::new(layouts.transposed(&weight)?, bias)?, step))
            };
            let (query_key_value, step_query_key_value) = matrix("self_attention/linear_0", true)?;
            let (self_out, step_self_out) = matrix("self_attention/linear_1", true)?;
            let (cross_query, step_cross_query) = matrix("attention/linear_0", true)?;
            // Computed once per window from all its audio positions: only ever many rows.
            let (cross_key_value, _) = matrix("attention/linear_1", false)?;
            let (cross_out, step_cross_out) = matrix("attention/linear_2", true)?;
            let (up, step_up) = matrix("ffn/linear_0", true)?;
            let (down, step_down) = matrix("ffn/linear_1", true)?;
            if let (Some(query_key_value), Some(self_out), Some(cross_query), Some(cross_out), Some(up), Some(down)) =
                (step_query_key_value, step_self_out, step_cross_query, step_cross_out, step_up, step_down)
            {
                step_layers.push(StepLayer {
                    self_norm: self_norm.clone(),
                    query_key_value,
                    self_out,
                    cross_norm: cross_norm.clone(),
                    cross_query,
                    cross_out,
                    feed_forward_norm: feed_forward_norm.clone(),
                    up,
                    down,
                });
            }
            layers.push(ReadingLayer {
                self_norm,
                query_key_value,
                self_out,
                cross_norm,
                cross_query,
                cross_key_value,
                cross_out,
                feed_forward_norm,
                up,
                down,
            });
        }
        let norm =
            Norm::new(&layouts.plain("decoder/layer_norm/gamma")?.0, &layouts.plain("decoder/layer_norm/beta")?.0);
        let projection = Int8Matrix::new(layouts.quantized("decoder/embeddings/weight")?, None)?;
        let step_weights = (precision == Precision::Int8).then(|| StepWeights {
            layers: step_layers,
            norm: norm.clone(),
            projection,
            heads: config.heads,
            width: config.width,
        });
        let tiles = layouts.tiled("decoder/embeddings/weight")?;
        let embeddings = Embeddings::new(tiles.numbers, config.vocabulary, tiles.inputs)?;
        let positions = layouts.plain("decoder/position_encodings/encodings")?.0.to_vec();
        let reading = ReadingWeights { layers, norm, embeddings, positions, width: config.width, heads: config.heads };
        Ok(Decoder { reading, step_weights })
    }

    /// Decoding from `state` on a token at a time with 8-bit weights (about 2 ms a step; see
    /// [`crate::cpu::step`]); `None` where the weights are f32.
    pub fn steps(&self, state: &DecoderState) -> Result<Option<Steps<'_>>> {
        Ok(self
            .step_weights
            .as_ref()
            .map(|weights| Steps::new(weights, &self.reading, &state.audio, &state.text, state.length)))
    }

    /// Prepares to decode against one window's encoded audio, `[1, audio positions, width]`.
    pub fn start(&self, audio: &Tensor) -> Result<DecoderState> {
        let (_, positions, _) = audio.dims3()?;
        let audio = self.reading.hear(&audio.flatten_all()?.to_vec1::<f32>()?, positions);
        Ok(DecoderState { audio: Arc::new(audio), text: TextMemory::default(), length: 0 })
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
        let (count, past) = (tokens.len(), state.length);
        if count == 0 || first_scored >= count {
            candle_core::bail!("a decoder pass scores at least one of the tokens it reads");
        }
        if past + count > self.reading.text_positions() {
            candle_core::bail!("the decoder reads at most {} tokens a window", self.reading.text_positions());
        }
        let audio: Vec<(&[f32], &[f32])> = state.audio.iter().map(|(k, v)| (k.as_slice(), v.as_slice())).collect();
        let read = self.reading.read(tokens, &mut state.text, &audio, alignment_heads, first_scored);
        state.length += count;
        // One row scored (the token after a prompt) reads the 8-bit projection, as the steps
        // that follow it do; more are one f32 product, which reads the weights once for all.
        let logits = match &self.step_weights {
            Some(weights) if count - first_scored == 1 => weights.logits(&read.hidden),
            _ => self.reading.logits(&read.hidden),
        };
        let device = Device::Cpu;
        let logits = Logits { numbers: logits, vocabulary: self.reading.embeddings.vocabulary() };
        let alignment = if read.alignment.is_empty() {
            None
        } else {
            let heads = read.alignment.len();
            let positions = read.alignment[0].len() / count;
            Some(Tensor::from_vec(read.alignment.concat(), (heads, count, positions), &device)?)
        };
        Ok(DecoderOutput { logits, alignment })
    }
}

/// The whole model.
pub struct Whisper {
    pub encoder: Encoder,
    pub decoder: Decoder,
}

impl Whisper {
    /// Builds the network from its weights, in the layouts its products read: mapped from the
    /// prepared file, or made now (see [`crate::layouts`]).
    pub fn load(layouts: &mut Layouts, config: &ModelConfig, precision: Precision) -> Result<Whisper> {
        let encoder = Encoder::load(layouts, config)?;
        Ok(Whisper { encoder, decoder: Decoder::load(layouts, config, precision)? })
    }
}
