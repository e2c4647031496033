//! The decoder's greedy step, written for the CPU.
//!
//! Decoding writes a window's words one token at a time, some 80 steps for 30 s of speech and
//! a dozen for each pass of the prompter, and each step is one row multiplied by every matrix
//! of the decoder. Through candle a step is some sixty small operations, each allocating its
//! result and waking the thread pool: 3.5 ms, of which the arithmetic of the 52 thousand-row
//! output projection is a third. Here a step is a few plain loops over buffers kept between
//! steps, and what bounds it is the memory it reads: 20 MB of 8-bit projection, 8 MB of 8-bit
//! layer weights and the window's 18 MB of audio keys and values.
//!
//! A step can also take several tokens at once ([`Steps::feed`]): the tokens decoding guesses
//! come next, checked in one pass that reads the weights once. Each token's numbers are those
//! of a step of its own, to the bit (see [`crate::cpu::int8`]), so a guess is kept exactly
//! when decoding a token at a time would have written it.
//!
//! The weights are 8-bit ([`crate::cpu::int8`]).
//! [`Decoder::forward`](crate::model::Decoder::forward) reads the same weights in f32, so
//! logits differ from its by what 8 bits round (tenths, on logits of tens), and they pick the
//! same tokens (a test holds it on JFK's line).

use candle_core::{Result, Storage};
use rayon::prelude::*;

use crate::cpu::int8::{Int8Matrix, Int8Rows};
use crate::cpu::kernels;
use crate::cpu::reading::{ReadingWeights, TextMemory};
use crate::model::AudioMemory;

/// One head's attention for one query: key and value `p` are `query.len()` numbers at
/// `p * stride` in `keys` and `values`.
struct OneQuery<'a> {
    query: &'a [f32],
    keys: &'a [f32],
    values: &'a [f32],
    positions: usize,
    stride: usize,
    scale: f32,
}

/// `out = softmax(scale * query · keys) · values`; `scores` is scratch space. Inlined into its
/// callers, which are compiled for the CPU's vector instructions.
#[inline(always)]
fn attend_one(q: &OneQuery, scores: &mut Vec<f32>, out: &mut [f32]) {
    let width = q.query.len();
    // Plain loops, not iterator adaptors: a closure would be compiled on its own, without the
    // vector instructions of the function that calls this one.
    scores.clear();
    for p in 0..q.positions {
        scores.push(q.scale * dot(q.query, &q.keys[p * q.stride..][..width]));
    }
    kernels::softmax_in_place(scores);
    out.fill(0.0);
    for (p, &weight) in scores.iter().enumerate() {
        add_scaled(out, weight, &q.values[p * q.stride..][..width]);
    }
}

/// Dot product in eight lanes, which the compiler turns into vector instructions.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    for (a, b) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            lanes[k] += a[k] * b[k];
        }
    }
    let mut total = 0.0;
    for k in a.len() / 8 * 8..a.len() {
        total += a[k] * b[k];
    }
    for lane in lanes {
        total += lane;
    }
    total
}

#[inline(always)]
fn add_scaled(out: &mut [f32], weight: f32, values: &[f32]) {
    for (o, v) in out.iter_mut().zip(values) {
        *o += weight * v;
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2 {
    /// [`super::attend_one`] compiled for AVX2 and FMA, so that its loops use them.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn attend_one(q: &super::OneQuery, scores: &mut Vec<f32>, out: &mut [f32]) {
        super::attend_one(q, scores, out)
    }
}

/// [`attend_one`] with the widest vector instructions the CPU has.
#[allow(unsafe_code)]
fn attend(q: &OneQuery, scores: &mut Vec<f32>, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features the function is compiled for.
        return unsafe { avx2::attend_one(q, scores, out) };
    }
    attend_one(q, scores, out)
}

/// A layer norm's scale and shift.
#[derive(Clone)]
pub(crate) struct Norm {
    scale: Vec<f32>,
    shift: Vec<f32>,
}

impl Norm {
    pub(crate) fn new(scale: &[f32], shift: &[f32]) -> Norm {
        Norm { scale: scale.to_vec(), shift: shift.to_vec() }
    }

    /// [`Norm::apply`] to each row of `width` numbers.
    pub(crate) fn apply_rows(&self, x: &[f32], out: &mut [f32], width: usize) {
        for (x, out) in x.chunks_exact(width).zip(out.chunks_exact_mut(width)) {
            self.apply(x, out);
        }
    }

    pub(crate) fn apply(&self, x: &[f32], out: &mut [f32]) {
        let n = x.len() as f32;
        let mean = x.iter().sum::<f32>() / n;
        let variance = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let inverse = 1.0 / (variance + 1e-5).sqrt();
        for (((o, v), s), b) in out.iter_mut().zip(x).zip(&self.scale).zip(&self.shift) {
            *o = (v - mean) * inverse * s + b;
        }
    }
}

/// One decoder layer's weights, for the step: its matrices are those the layer holds.
pub(crate) struct StepLayer {
    pub(crate) self_norm: Norm,
    pub(crate) query_key_value: Int8Matrix,
    pub(crate) self_out: Int8Matrix,
    pub(crate) cross_norm: Norm,
    pub(crate) cross_query: Int8Matrix,
    pub(crate) cross_out: Int8Matrix,
    pub(crate) feed_forward_norm: Norm,
    pub(crate) up: Int8Matrix,
    pub(crate) down: Int8Matrix,
}

/// The decoder's weights, for the step; the embeddings are read from the f32 weights.
pub(crate) struct StepWeights {
    pub(crate) layers: Vec<StepLayer>,
    pub(crate) norm: Norm,
    /// The output projection: the token embeddings, in 8 bits.
    pub(crate) projection: Int8Matrix,
    pub(crate) heads: usize,
    pub(crate) width: usize,
}

impl StepWeights {
    /// The logits of final hidden rows (already normed), one row of logits after another.
    pub(crate) fn logits(&self, hidden: &[f32]) -> Vec<f32> {
        let mut quantized = Int8Rows::default();
        quantized.set(hidden, self.width);
        let mut logits = vec![0f32; hidden.len() / self.width * self.projection.rows()];
        self.projection.apply(&quantized, &mut logits);
        logits
    }
}

/// A window being decoded a token at a time: the window's audio keys and values (shared with
/// the [`DecoderState`](crate::model::DecoderState) it came from) and the decoder's own keys
/// and values so far, one row of `width` per position.
pub struct Steps<'a> {
    weights: &'a StepWeights,
    /// Where the embeddings are read.
    reading: &'a ReadingWeights,
    audio: AudioMemory,
    keys: Vec<Vec<f32>>,
    values: Vec<Vec<f32>>,
    /// Tokens fed so far.
    pub length: usize,
    scratch: Scratch,
}

/// Buffers a step writes into, kept from one step to the next; each holds a row per token fed.
#[derive(Default)]
struct Scratch {
    x: Vec<f32>,
    normed: Vec<f32>,
    quantized: Int8Rows,
    wide: Vec<f32>,
    attended: Vec<f32>,
    projected: Vec<f32>,
    scores: Vec<f32>,
    /// Cross-attention's results head by head, `[heads, tokens, head width]`.
    by_head: Vec<f32>,
}

impl<'a> Steps<'a> {
    /// Goes on from a window's `audio` keys and values and the `text` read so far.
    pub(crate) fn new(
        weights: &'a StepWeights,
        reading: &'a ReadingWeights,
        audio: &AudioMemory,
        text: &TextMemory,
        length: usize,
    ) -> Steps<'a> {
        // Room for a row a token up to the decoder's last position, appended as they come.
        let room = reading.text_positions() * weights.width;
        let rows = |layers: &[Vec<f32>], layer: usize| {
            let mut rows = Vec::with_capacity(room);
            rows.extend_from_slice(layers.get(layer).map_or(&[][..], |rows| rows.as_slice()));
            rows
        };
        let layers = weights.layers.len();
        Steps {
            weights,
            reading,
            audio: audio.clone(),
            keys: (0..layers).map(|layer| rows(&text.keys, layer)).collect(),
            values: (0..layers).map(|layer| rows(&text.values, layer)).collect(),
            length,
            scratch: Scratch::default(),
        }
    }

    /// Feeds one token; returns the logits for the next.
    #[cfg(any(test, feature = "internals"))]
    pub fn step(&mut self, token: u32) -> Result<Vec<f32>> {
        self.feed(&[token])
    }

    /// Feeds `tokens`, each after the one before; returns the logits after each, one row of
    /// the vocabulary's width after another: the numbers [`Steps::step`] gives fed them one by
    /// one, to the bit.
    pub fn feed(&mut self, tokens: &[u32]) -> Result<Vec<f32>> {
        if self.length + tokens.len() > self.reading.text_positions() {
            candle_core::bail!("the decoder reads at most {} tokens a window", self.reading.text_positions());
        }
        let weights = self.weights;
        let (width, heads, count) = (weights.width, weights.heads, tokens.len());
        let head_width = width / heads;
        let scale = 1.0 / (head_width as f32).sqrt();
        let s = &mut self.scratch;
        s.x.clear();
        for (position, &token) in (self.length..).zip(tokens) {
            self.reading.embed(token as usize, position, &mut s.x);
        }
        s.normed.resize(count * width, 0.0);
        s.attended.resize(count * width, 0.0);
        s.projected.resize(count * width, 0.0);
        for (index, layer) in weights.layers.iter().enumerate() {
            // Self-attention, each token over those before it and itself.
            layer.self_norm.apply_rows(&s.x, &mut s.normed, width);
            s.quantized.set(&s.normed, width);
            let fused = layer.query_key_value.rows();
            s.wide.resize(count * fused, 0.0);
            layer.query_key_value.apply(&s.quantized, &mut s.wide);
            for row in s.wide.chunks_exact(fused) {
                self.keys[index].extend_from_slice(&row[width..2 * width]);
                self.values[index].extend_from_slice(&row[2 * width..3 * width]);
            }
            for (i, (row, attended)) in s.wide.chunks_exact(fused).zip(s.attended.chunks_exact_mut(width)).enumerate() {
                for head in 0..heads {
                    let part = head * head_width..(head + 1) * head_width;
                    let one = OneQuery {
                        query: &row[part.clone()],
                        keys: &self.keys[index][part.start..],
                        values: &self.values[index][part.start..],
                        positions: self.length + i + 1,
                        stride: width,
                        scale,
                    };
                    attend(&one, &mut s.scores, &mut attended[part]);
                }
            }
            s.quantized.set(&s.attended, width);
            layer.self_out.apply(&s.quantized, &mut s.projected);
            add(&mut s.x, &s.projected);

            // Cross-attention over the window's audio, a head of a token per worker.
            layer.cross_norm.apply_rows(&s.x, &mut s.normed, width);
            s.quantized.set(&s.normed, width);
            s.wide.resize(count * width, 0.0);
            layer.cross_query.apply(&s.quantized, &mut s.wide);
            let (keys, values) = &self.audio[index];
            let positions = keys.len() / width;
            let queries = &s.wide;
            // A head's keys and values (768 KB) are read once for all the tokens: they stay in
            // the core's cache from one token to the next.
            s.by_head.resize(count * width, 0.0);
            s.by_head.par_chunks_mut(count * head_width).enumerate().for_each_init(Vec::new, |scores, (head, out)| {
                let per_head = positions * head_width;
                for (i, out) in out.chunks_exact_mut(head_width).enumerate() {
                    let one = OneQuery {
                        query: &queries[i * width + head * head_width..][..head_width],
                        keys: &keys[head * per_head..][..per_head],
                        values: &values[head * per_head..][..per_head],
                        positions,
                        stride: head_width,
                        scale,
                    };
                    attend(&one, scores, out);
                }
            });
            for (head, by_head) in s.by_head.chunks_exact(count * head_width).enumerate() {
                for (out, attended) in by_head.chunks_exact(head_width).zip(s.attended.chunks_exact_mut(width)) {
                    attended[head * head_width..][..head_width].copy_from_slice(out);
                }
            }
            s.quantized.set(&s.attended, width);
            layer.cross_out.apply(&s.quantized, &mut s.projected);
            add(&mut s.x, &s.projected);

            // Feed-forward.
            layer.feed_forward_norm.apply_rows(&s.x, &mut s.normed, width);
            s.quantized.set(&s.normed, width);
            let inner = layer.up.rows();
            s.wide.resize(count * inner, 0.0);
            layer.up.apply(&s.quantized, &mut s.wide);
            kernels::gelu_in_place(&mut s.wide);
            s.quantized.set(&s.wide, inner);
            layer.down.apply(&s.quantized, &mut s.projected);
            add(&mut s.x, &s.projected);
        }
        self.length += count;
        weights.norm.apply_rows(&s.x, &mut s.normed, width);
        Ok(weights.logits(&s.normed))
    }

    /// How many more tokens the window has room for.
    pub fn room(&self) -> usize {
        self.reading.text_positions() - self.length
    }

    /// Takes back the last `count` tokens fed: guesses that decoding did not keep.
    pub fn take_back(&mut self, count: usize) {
        self.length -= count.min(self.length);
        let kept = self.length * self.weights.width;
        for rows in self.keys.iter_mut().chain(&mut self.values) {
            rows.truncate(kept);
        }
    }
}

/// `x += y`, number by number.
pub(crate) fn add(x: &mut [f32], y: &[f32]) {
    for (x, y) in x.iter_mut().zip(y) {
        *x += y;
    }
}

/// The numbers of a contiguous tensor on the CPU, as stored: the matrices stay in half precision
/// until the network lays them out (see `ModelFiles::read`).
pub(crate) enum Stored<'s> {
    F32(&'s [f32]),
    F16(&'s [half::f16]),
}

pub(crate) fn stored<'s>(storage: &'s Storage, layout: &candle_core::Layout) -> Result<Stored<'s>> {
    let (Storage::Cpu(cpu), Some((start, end))) = (storage, layout.contiguous_offsets()) else {
        candle_core::bail!("the decoder reads contiguous tensors on the CPU");
    };
    Ok(match cpu {
        candle_core::CpuStorage::F16(values) => Stored::F16(&values[start..end]),
        _ => Stored::F32(&cpu.as_slice::<f32>()?[start..end]),
    })
}
