//! The decoder reading many tokens at once, written for the CPU.
//!
//! Besides its greedy step ([`super::step`]), the decoder reads tokens in passes: the prompt
//! before each window, a window's words again for their times, and the readings the aligner
//! puts back to the model, a few tokens each and dozens of times a take. Through candle a pass
//! over nine tokens took some 25 ms, of which the arithmetic is a few: the rest was sixty small
//! operations each allocating its result and waking the thread pool, and weights read
//! transposed, which the matrix product must repack at every call. Here the weights are stored
//! as the products read them (`[inputs, outputs]`), attention goes head by head through the
//! same products, and the thread pool is woken only for work worth sharing.
//!
//! The arithmetic is the model's in f32, as candle's pass was; only the order of some sums
//! differs.

use candle_core::{Layout, Result, Storage};
use half::f16;
use half::slice::HalfFloatSliceExt;
use rayon::prelude::*;

use super::embeddings::Embeddings;
use super::kernels::{self, Right};
use super::step::{Norm, Stored, add, stored};
use crate::layouts::{Matrix, Numbers};

/// Products of fewer multiply-adds than this run on the calling thread: sharing a product of
/// nine rows by a layer's matrix costs more in waking the other thread than it saves.
const SHARED_FROM: usize = 1 << 21;

/// A linear layer in f32, its weight stored `[inputs, outputs]`, as a product reads it.
pub(crate) struct Linear {
    inputs: usize,
    outputs: usize,
    weight: Numbers<f32>,
    bias: Option<Numbers<f32>>,
}

impl Linear {
    /// From a weight [`transposed`] and its bias.
    pub(crate) fn new(weight: Matrix<f32>, bias: Option<Numbers<f32>>) -> Result<Linear> {
        let Matrix { numbers: weight, outputs, inputs } = weight;
        if weight.len() != inputs * outputs || bias.as_ref().is_some_and(|bias| bias.len() != outputs) {
            candle_core::bail!("a linear layer of {inputs} inputs and {outputs} outputs has weights of another shape");
        }
        Ok(Linear { inputs, outputs, weight, bias })
    }

    /// `out = x · weight + bias`, for `rows` rows of `x`.
    pub(crate) fn apply(&self, x: &[f32], rows: usize, out: &mut Vec<f32>) {
        out.resize(rows * self.outputs, 0.0);
        let shared = rows * self.inputs * self.outputs >= SHARED_FROM;
        kernels::multiply(out, x, &self.weight, rows, self.outputs, self.inputs, Right::AsIs, 1.0, shared);
        if let Some(bias) = &self.bias {
            for row in out.chunks_exact_mut(self.outputs) {
                add(row, bias);
            }
        }
    }
}

/// A stored `[rows, columns]` row-major matrix, f32 or half precision, to `[columns, rows]`
/// row-major in f32.
pub(crate) fn transposed(storage: &Storage, layout: &Layout, rows: usize, columns: usize) -> Result<Vec<f32>> {
    Ok(match stored(storage, layout)? {
        Stored::F32(values) => transposed_converting(values, rows, columns, <[f32]>::copy_from_slice),
        Stored::F16(values) => {
            transposed_converting(values, rows, columns, |wide, narrow| narrow.convert_to_f32_slice(wide))
        }
    })
}

/// [`transposed`], kept in half precision (an f32 matrix is rounded to it).
pub(crate) fn transposed_half(storage: &Storage, layout: &Layout, rows: usize, columns: usize) -> Result<Vec<f16>> {
    Ok(match stored(storage, layout)? {
        Stored::F32(values) => {
            transposed_converting(values, rows, columns, |narrow: &mut [f16], wide| narrow.convert_from_f32_slice(wide))
        }
        Stored::F16(values) => transposed_converting(values, rows, columns, <[f16]>::copy_from_slice),
    })
}

/// [`transposed`], sixteen output rows to a worker at a time: each reads sixteen numbers in a
/// row of the input and writes one in each of its rows, so both sides move through memory in
/// order. The sixteen are converted together (`convert` writes its first argument from its
/// second): `half` converts a slice in vector instructions, where a number at a time is a call
/// and a check of the CPU's features (the 20 million embeddings, transposed here then, took
/// 0.12 s so).
fn transposed_converting<T: Copy + Sync, O: Copy + Default + Send + Sync>(
    values: &[T],
    rows: usize,
    columns: usize,
    convert: impl Fn(&mut [O], &[T]) + Sync,
) -> Vec<O> {
    const BAND: usize = 16;
    assert_eq!(values.len(), rows * columns);
    let mut out = vec![O::default(); rows * columns];
    out.par_chunks_mut(BAND * rows).enumerate().for_each(|(band, out)| {
        let first = band * BAND;
        let width = out.len() / rows;
        let mut row = [O::default(); BAND];
        for r in 0..rows {
            convert(&mut row[..width], &values[r * columns + first..][..width]);
            for (c, &value) in row[..width].iter().enumerate() {
                out[c * rows + r] = value;
            }
        }
    });
    out
}

/// One decoder layer in f32.
pub(crate) struct ReadingLayer {
    pub(crate) self_norm: Norm,
    pub(crate) query_key_value: Linear,
    pub(crate) self_out: Linear,
    pub(crate) cross_norm: Norm,
    pub(crate) cross_query: Linear,
    /// The audio's keys and values, computed once a window (see [`ReadingWeights::hear`]).
    pub(crate) cross_key_value: Linear,
    pub(crate) cross_out: Linear,
    pub(crate) feed_forward_norm: Norm,
    pub(crate) up: Linear,
    pub(crate) down: Linear,
}

/// The decoder's weights in f32.
pub(crate) struct ReadingWeights {
    pub(crate) layers: Vec<ReadingLayer>,
    pub(crate) norm: Norm,
    /// The token embeddings, which the output projection reads too.
    pub(crate) embeddings: Embeddings,
    /// `[text positions, width]`.
    pub(crate) positions: Vec<f32>,
    pub(crate) width: usize,
    pub(crate) heads: usize,
}

/// The text the decoder has read in a window so far: each layer's keys and values, a row of
/// `width` per token.
#[derive(Clone, Default)]
pub(crate) struct TextMemory {
    pub(crate) keys: Vec<Vec<f32>>,
    pub(crate) values: Vec<Vec<f32>>,
}

/// What a pass gives back.
pub(crate) struct Read {
    /// `[scored tokens, width]`: for each token from the first scored, the decoder's last
    /// hidden row, normed, from which [`ReadingWeights::logits`] gives the token after it.
    pub(crate) hidden: Vec<f32>,
    /// `[tokens, audio positions]` for each alignment head asked for, by layer.
    pub(crate) alignment: Vec<Vec<f32>>,
}

impl ReadingWeights {
    /// Token `token`'s embedding at text position `position`, appended to `out`.
    pub(crate) fn embed(&self, token: usize, position: usize, out: &mut Vec<f32>) {
        let position = &self.positions[position * self.width..][..self.width];
        out.extend(position.iter().enumerate().map(|(c, p)| self.embeddings.at(token, c) + p));
    }

    /// How many tokens a window's text may hold.
    pub(crate) fn text_positions(&self) -> usize {
        self.positions.len() / self.width
    }

    /// Each layer's keys and values of a window's encoded audio (`[positions, width]`), head
    /// by head: `[heads, positions, head width]` twice.
    pub(crate) fn hear(&self, audio: &[f32], positions: usize) -> Vec<(Vec<f32>, Vec<f32>)> {
        let width = self.width;
        let shape = Heads { heads: self.heads, queries: 0, keys: positions, width: width / self.heads, scale: 1.0 };
        let mut fused = Vec::new();
        self.layers
            .iter()
            .map(|layer| {
                layer.cross_key_value.apply(audio, positions, &mut fused);
                (by_head(&fused, 2 * width, 0, shape), by_head(&fused, 2 * width, width, shape))
            })
            .collect()
    }

    /// Feeds `tokens` after the `memory` of a window whose audio keys and values are `audio`
    /// (each layer's, as [`ReadingWeights::hear`] gives them), and gives back the hidden rows
    /// from `first_scored` on and the cross-attention weights of the `alignment_heads` ((layer,
    /// head) pairs).
    pub(crate) fn read(
        &self,
        tokens: &[u32],
        memory: &mut TextMemory,
        audio: &[(&[f32], &[f32])],
        alignment_heads: &[(usize, usize)],
        first_scored: usize,
    ) -> Read {
        let (width, heads, count) = (self.width, self.heads, tokens.len());
        let head_width = width / heads;
        let scale = 1.0 / (head_width as f32).sqrt();
        if memory.keys.len() != self.layers.len() {
            *memory =
                TextMemory { keys: vec![Vec::new(); self.layers.len()], values: vec![Vec::new(); self.layers.len()] };
        }
        let past = memory.keys[0].len() / width;
        let mut x = Vec::with_capacity(count * width);
        for (offset, &token) in tokens.iter().enumerate() {
            self.embed(token as usize, past + offset, &mut x);
        }
        let (mut normed, mut wide, mut attended, mut projected) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // Attention's buffers, head by head, made once for the pass and shared by its layers.
        let (mut scores, mut heard) = (Vec::new(), Vec::new());
        let mut alignment = Vec::new();
        for (index, layer) in self.layers.iter().enumerate() {
            // Self-attention over the text so far, each token seeing those before it and itself.
            norm_rows(&layer.self_norm, &x, width, &mut normed);
            layer.query_key_value.apply(&normed, count, &mut wide);
            for row in wide.chunks_exact(3 * width) {
                memory.keys[index].extend_from_slice(&row[width..2 * width]);
                memory.values[index].extend_from_slice(&row[2 * width..]);
            }
            let (keys, values) = (&memory.keys[index], &memory.values[index]);
            let seen = past + count;
            let shape = Heads { heads, queries: count, keys: seen, width: head_width, scale };
            let (query, key, value) =
                (by_head(&wide, 3 * width, 0, shape), by_head(keys, width, 0, shape), by_head(values, width, 0, shape));
            attend(&query, &key, &value, shape, Some(past), &mut scores, &mut heard);
            merge_heads(&heard, shape, &mut attended);
            layer.self_out.apply(&attended, count, &mut projected);
            add(&mut x, &projected);

            // Cross-attention over the window's audio.
            norm_rows(&layer.cross_norm, &x, width, &mut normed);
            layer.cross_query.apply(&normed, count, &mut wide);
            let (audio_keys, audio_values) = audio[index];
            let positions = audio_keys.len() / width;
            let shape = Heads { keys: positions, ..shape };
            attend(&by_head(&wide, width, 0, shape), audio_keys, audio_values, shape, None, &mut scores, &mut heard);
            merge_heads(&heard, shape, &mut attended);
            for &(_, head) in alignment_heads.iter().filter(|(layer, _)| *layer == index) {
                alignment.push(scores[head * count * positions..][..count * positions].to_vec());
            }
            layer.cross_out.apply(&attended, count, &mut projected);
            add(&mut x, &projected);

            // Feed-forward.
            norm_rows(&layer.feed_forward_norm, &x, width, &mut normed);
            layer.up.apply(&normed, count, &mut wide);
            kernels::gelu_in_place(&mut wide);
            layer.down.apply(&wide, count, &mut projected);
            add(&mut x, &projected);
        }
        norm_rows(&self.norm, &x[first_scored * width..], width, &mut normed);
        Read { hidden: normed, alignment }
    }

    /// `[rows, vocabulary]` logits of `rows` normed hidden rows.
    pub(crate) fn logits(&self, hidden: &[f32]) -> Vec<f32> {
        self.embeddings.logits(hidden)
    }
}

/// The shape of attention over several heads.
#[derive(Clone, Copy)]
struct Heads {
    heads: usize,
    queries: usize,
    keys: usize,
    /// Of a head.
    width: usize,
    scale: f32,
}

/// `out = softmax(scale * query · key) · value` for each head, all three `[heads, rows, head
/// width]`, with the `scores` (`[heads, queries, keys]`) kept for the alignment heads. With
/// `past`, query `q` sees only the first `past + q + 1` keys (the text so far and itself). The
/// heads are shared among the pool's threads when there is work enough.
#[allow(clippy::too_many_arguments)]
fn attend(
    query: &[f32],
    key: &[f32],
    value: &[f32],
    shape: Heads,
    past: Option<usize>,
    scores: &mut Vec<f32>,
    out: &mut Vec<f32>,
) {
    let Heads { heads, queries, keys, width, scale } = shape;
    scores.resize(heads * queries * keys, 0.0);
    out.resize(heads * queries * width, 0.0);
    let one_head = |(h, (scores, out)): (usize, (&mut [f32], &mut [f32]))| {
        let query = &query[h * queries * width..][..queries * width];
        let (key, value) = (&key[h * keys * width..][..keys * width], &value[h * keys * width..][..keys * width]);
        kernels::multiply(scores, query, key, queries, keys, width, Right::Transposed, scale, false);
        for (q, scores) in scores.chunks_exact_mut(keys).enumerate() {
            let (visible, later) = scores.split_at_mut(past.map_or(keys, |past| past + q + 1));
            kernels::softmax_in_place(visible);
            later.fill(0.0);
        }
        kernels::multiply(out, scores, value, queries, width, keys, Right::AsIs, 1.0, false);
    };
    let (per_scores, per_out) = (queries * keys, queries * width);
    if queries * keys * width * heads >= SHARED_FROM {
        scores.par_chunks_mut(per_scores).zip(out.par_chunks_mut(per_out)).enumerate().for_each(one_head);
    } else {
        scores.chunks_mut(per_scores).zip(out.chunks_mut(per_out)).enumerate().for_each(one_head);
    }
}

/// Columns `from..from + heads * head width` of each row of `matrix` (rows of `stride`), head
/// by head: `[heads, rows, head width]`.
fn by_head(matrix: &[f32], stride: usize, from: usize, shape: Heads) -> Vec<f32> {
    let mut out = Vec::with_capacity(matrix.len() / stride * shape.heads * shape.width);
    for h in 0..shape.heads {
        let columns = from + h * shape.width..from + (h + 1) * shape.width;
        out.extend(matrix.chunks_exact(stride).flat_map(|row| &row[columns.clone()]));
    }
    out
}

/// Heads' outputs, `[heads, rows, head width]`, side by side: `[rows, width]`.
fn merge_heads(heads: &[f32], shape: Heads, out: &mut Vec<f32>) {
    let (rows, head_width) = (shape.queries, shape.width);
    let width = shape.heads * head_width;
    out.resize(rows * width, 0.0);
    for (h, head) in heads.chunks_exact(rows * head_width).enumerate() {
        for (row, part) in out.chunks_exact_mut(width).zip(head.chunks_exact(head_width)) {
            row[h * head_width..][..head_width].copy_from_slice(part);
        }
    }
}

fn norm_rows(norm: &Norm, x: &[f32], width: usize, out: &mut Vec<f32>) {
    out.resize(x.len(), 0.0);
    for (row, out) in x.chunks_exact(width).zip(out.chunks_exact_mut(width)) {
        norm.apply(row, out);
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};

    use super::transposed;

    /// The numbers of `values` as stored in a tensor of `dtype`, transposed through
    /// [`transposed`].
    fn transposed_as(values: &[f32], rows: usize, columns: usize, dtype: candle_core::DType) -> Vec<f32> {
        let tensor = Tensor::from_slice(values, (rows, columns), &Device::Cpu).unwrap().to_dtype(dtype).unwrap();
        let (storage, layout) = tensor.storage_and_layout();
        transposed(&storage, layout, rows, columns).unwrap()
    }

    #[test]
    fn transposing_moves_each_number_across_the_diagonal() {
        // 37 columns: two whole bands of sixteen and a short one.
        let (rows, columns) = (5, 37);
        let values: Vec<f32> = (0..rows * columns).map(|i| i as f32).collect();
        let out = transposed_as(&values, rows, columns, candle_core::DType::F32);
        for r in 0..rows {
            for c in 0..columns {
                assert_eq!(out[c * rows + r], values[r * columns + c]);
            }
        }
    }

    /// Half precision is widened a slice at a time, or kept: each number must come out as
    /// widening it alone gives it, in its place.
    #[test]
    fn half_precision_is_widened_exactly_on_the_way() {
        let (rows, columns) = (7, 53);
        let values: Vec<f32> = (0..rows * columns).map(|i| (i as f32 * 0.37).sin() * 1000.0 / (1 + i) as f32).collect();
        let out = transposed_as(&values, rows, columns, candle_core::DType::F16);
        let half = Tensor::from_slice(&values, (rows, columns), &Device::Cpu).unwrap();
        let half = half.to_dtype(candle_core::DType::F16).unwrap();
        let kept_half = {
            let (storage, layout) = half.storage_and_layout();
            super::transposed_half(&storage, layout, rows, columns).unwrap()
        };
        for r in 0..rows {
            for c in 0..columns {
                let alone = half::f16::from_f32(values[r * columns + c]).to_f32();
                assert_eq!(out[c * rows + r].to_bits(), alone.to_bits(), "row {r}, column {c}");
                assert_eq!(kept_half[c * rows + r].to_f32().to_bits(), alone.to_bits(), "row {r}, column {c}");
            }
        }
    }
}
