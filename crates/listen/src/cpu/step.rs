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
//! The weights are 8-bit numbers as candle's and ggml's Q8_0 (blocks of 32 sharing a scale
//! rounded to half precision), and each input row is quantised the same way.
//! [`Decoder::forward`](crate::model::Decoder::forward) reads the same weights in f32, so
//! logits differ from its by what 8 bits round (tenths, on logits of tens), and they pick the
//! same tokens (a test holds it on JFK's line).

use candle_core::{Result, Storage, Tensor};
use half::slice::HalfFloatSliceExt;
use rayon::prelude::*;

use crate::cpu::kernels;
use crate::cpu::reading::{ReadingWeights, TextMemory};
use crate::layouts::{Numbers, Quantized};
use crate::model::AudioMemory;

/// Weights in a row share a scale in blocks of this many (candle's and ggml's Q8_0).
pub(crate) const BLOCK: usize = 32;

/// Products smaller than this many weights are done on one thread: handing a few hundred
/// rows to another thread costs more than it saves.
const PARALLEL_FROM: usize = 1 << 18;

/// Rows given to one worker at a time in a parallel product.
const ROWS_PER_TASK: usize = 2048;

/// Rows quantised by one worker at a time while loading.
const QUANTIZED_PER_TASK: usize = 4096;

/// A matrix of 8-bit weights, each row in blocks of [`BLOCK`] that share a scale, and its bias.
pub(crate) struct Int8Matrix {
    rows: usize,
    columns: usize,
    quants: Numbers<i8>,
    scales: Numbers<f32>,
    bias: Option<Numbers<f32>>,
}

impl Int8Matrix {
    /// From a matrix [`quantized`], and its bias.
    pub(crate) fn new(matrix: Quantized, bias: Option<Numbers<f32>>) -> Result<Int8Matrix> {
        let Quantized { quants, scales, outputs: rows, inputs: columns } = matrix;
        if quants.len() != rows * columns || scales.len() * BLOCK != quants.len() {
            candle_core::bail!(
                "{} numbers and {} scales are not an 8-bit matrix {rows} by {columns}",
                quants.len(),
                scales.len()
            );
        }
        if bias.as_ref().is_some_and(|bias| bias.len() != rows) {
            candle_core::bail!("an 8-bit matrix of {rows} rows has a bias of another length");
        }
        Ok(Int8Matrix { rows, columns, quants, scales, bias })
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// `out = self · x + bias`.
    fn apply(&self, x: &Int8Vector, out: &mut [f32]) {
        assert!(x.quants.len() == self.columns && out.len() == self.rows);
        if self.rows * self.columns < PARALLEL_FROM {
            self.apply_rows(0, x, out);
        } else {
            out.par_chunks_mut(ROWS_PER_TASK)
                .enumerate()
                .for_each(|(task, out)| self.apply_rows(task * ROWS_PER_TASK, x, out));
        }
    }

    fn apply_rows(&self, first: usize, x: &Int8Vector, out: &mut [f32]) {
        let (columns, blocks) = (self.columns, self.columns / BLOCK);
        let quants = &self.quants[first * columns..(first + out.len()) * columns];
        let scales = &self.scales[first * blocks..(first + out.len()) * blocks];
        int8_rows(quants, scales, x, out);
        if let Some(bias) = &self.bias {
            for (o, b) in out.iter_mut().zip(&bias[first..]) {
                *o += b;
            }
        }
    }
}

/// `weight` (`[rows, columns]`, f32 or half precision) in 8 bits as candle's Q8_0 has it: the
/// numbers, and a scale for each block of them.
pub(crate) fn quantized(weight: &Tensor) -> Result<(Vec<i8>, Vec<f32>)> {
    let (rows, columns) = weight.dims2()?;
    if !columns.is_multiple_of(BLOCK) {
        candle_core::bail!("an 8-bit matrix needs rows of a multiple of {BLOCK} weights, not {columns}");
    }
    let mut quants = vec![0i8; rows * columns];
    let mut scales = vec![0f32; rows * columns / BLOCK];
    // Read in place: a copy of the 80 MB embeddings would be the largest thing loading
    // ever holds.
    let (storage, layout) = weight.storage_and_layout();
    // In parts on the pool's threads, as the weights are widened (see `ModelFiles::read`):
    // the embeddings alone are 20 million weights.
    let part = QUANTIZED_PER_TASK * columns;
    let parts = quants.par_chunks_mut(part).zip(scales.par_chunks_mut(part / BLOCK));
    match stored(&storage, layout)? {
        Stored::F32(values) => values
            .par_chunks(part)
            .zip(parts)
            .for_each(|(values, (quants, scales))| quantize_into(values, quants, scales)),
        // A block at a time through the stack: memory a worker takes stays in its own arena.
        Stored::F16(values) => values.par_chunks(part).zip(parts).for_each(|(values, (quants, scales))| {
            let blocks = values.chunks_exact(BLOCK).zip(quants.chunks_exact_mut(BLOCK)).zip(scales);
            for ((values, quants), scale) in blocks {
                let mut widened = [0f32; BLOCK];
                values.convert_to_f32_slice(&mut widened);
                quantize_into(&widened, quants, std::slice::from_mut(scale));
            }
        }),
    }
    Ok((quants, scales))
}

/// A vector quantised like the rows of an [`Int8Matrix`], to be multiplied by one.
#[derive(Default)]
struct Int8Vector {
    quants: Vec<i8>,
    scales: Vec<f32>,
}

impl Int8Vector {
    fn set(&mut self, values: &[f32]) {
        self.quants.resize(values.len(), 0);
        self.scales.resize(values.len() / BLOCK, 0.0);
        quantize_into(values, &mut self.quants, &mut self.scales);
    }
}

/// Each block of 32 values becomes 8-bit integers and a scale, `max |v| / 127`, rounded to half
/// precision after the integers are taken with the unrounded one, as candle does.
fn quantize_into(values: &[f32], quants: &mut [i8], scales: &mut [f32]) {
    for ((block, quants), scale) in values.chunks_exact(BLOCK).zip(quants.chunks_exact_mut(BLOCK)).zip(scales) {
        let peak = block.iter().fold(0f32, |peak, v| peak.max(v.abs()));
        let step = peak / 127.0;
        let inverse = if step != 0.0 { 1.0 / step } else { 0.0 };
        *scale = half::f16::from_f32(step).to_f32();
        for (q, &v) in quants.iter_mut().zip(block) {
            *q = rounded(v * inverse);
        }
    }
}

/// `value.round() as i8` (halves away from zero) for the quantiser's values, at most 127 and a
/// little in size, without a call into the C library: baseline x86-64 has no instruction that
/// rounds so, and `roundf` took a quarter of the model's loading. The fraction left after
/// truncating is exact for any value under 2^23, so this is `round` to the bit.
fn rounded(value: f32) -> i8 {
    let whole = value as i32;
    let rest = value - whole as f32;
    (whole + i32::from(rest >= 0.5) - i32::from(rest <= -0.5)) as i8
}

/// `out[r] = row r of (quants, scales) · x`, for consecutive rows.
#[allow(unsafe_code)]
fn int8_rows(quants: &[i8], scales: &[f32], x: &Int8Vector, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features the function is compiled for.
        return unsafe { avx2::int8_rows(quants, scales, x, out) };
    }
    let (columns, blocks) = (x.quants.len(), x.scales.len());
    for ((row, row_scales), out) in quants.chunks_exact(columns).zip(scales.chunks_exact(blocks)).zip(out) {
        let mut total = 0f32;
        for (((w, v), sw), sv) in
            row.chunks_exact(BLOCK).zip(x.quants.chunks_exact(BLOCK)).zip(row_scales).zip(&x.scales)
        {
            let sum: i32 = w.iter().zip(v).map(|(&a, &b)| i32::from(a) * i32::from(b)).sum();
            total += sw * sv * sum as f32;
        }
        *out = total;
    }
}

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
    use std::arch::x86_64::*;

    use super::{BLOCK, Int8Vector};

    /// [`super::int8_rows`] in AVX2: each block of 32 products is summed in eight 32-bit lanes
    /// (`maddubs` takes an unsigned left side, so the signs move to the right), scaled and
    /// added to eight float lanes, which are summed once per row.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn int8_rows(quants: &[i8], scales: &[f32], x: &Int8Vector, out: &mut [f32]) {
        let (columns, blocks) = (x.quants.len(), x.scales.len());
        assert!(quants.len() == out.len() * columns && scales.len() == out.len() * blocks);
        let ones = _mm256_set1_epi16(1);
        for (r, out) in out.iter_mut().enumerate() {
            let mut total = _mm256_setzero_ps();
            for b in 0..blocks {
                // SAFETY: row r's block b and x's block b are 32 bytes inside their slices (the
                // assert above and `x`'s own length); loads are unaligned.
                let (w, v) = unsafe {
                    (
                        _mm256_loadu_si256(quants.as_ptr().add(r * columns + b * BLOCK) as *const __m256i),
                        _mm256_loadu_si256(x.quants.as_ptr().add(b * BLOCK) as *const __m256i),
                    )
                };
                let pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(v, w));
                let quads = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, ones));
                total = _mm256_fmadd_ps(_mm256_set1_ps(scales[r * blocks + b] * x.scales[b]), quads, total);
            }
            let half = _mm_add_ps(_mm256_castps256_ps128(total), _mm256_extractf128_ps(total, 1));
            let pair = _mm_add_ps(half, _mm_movehl_ps(half, half));
            *out = _mm_cvtss_f32(_mm_add_ss(pair, _mm_movehdup_ps(pair)));
        }
    }

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
    /// The logits of one final hidden row (already normed).
    pub(crate) fn logits(&self, hidden: &[f32]) -> Vec<f32> {
        let mut quantized = Int8Vector::default();
        quantized.set(hidden);
        let mut logits = vec![0f32; self.projection.rows()];
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

/// Buffers a step writes into, kept from one step to the next.
#[derive(Default)]
struct Scratch {
    x: Vec<f32>,
    normed: Vec<f32>,
    quantized: Int8Vector,
    wide: Vec<f32>,
    attended: Vec<f32>,
    projected: Vec<f32>,
    scores: Vec<f32>,
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
    pub fn step(&mut self, token: u32) -> Result<Vec<f32>> {
        let weights = self.weights;
        let (width, heads) = (weights.width, weights.heads);
        let head_width = width / heads;
        let scale = 1.0 / (head_width as f32).sqrt();
        let s = &mut self.scratch;
        s.x.clear();
        self.reading.embed(token as usize, self.length, &mut s.x);
        s.normed.resize(width, 0.0);
        s.attended.resize(width, 0.0);
        s.projected.resize(width, 0.0);
        for (index, layer) in weights.layers.iter().enumerate() {
            // Self-attention over the tokens so far and this one.
            layer.self_norm.apply(&s.x, &mut s.normed);
            s.quantized.set(&s.normed);
            s.wide.resize(layer.query_key_value.rows(), 0.0);
            layer.query_key_value.apply(&s.quantized, &mut s.wide);
            let (query, key_value) = s.wide.split_at(width);
            self.keys[index].extend_from_slice(&key_value[..width]);
            self.values[index].extend_from_slice(&key_value[width..]);
            let positions = self.length + 1;
            for head in 0..heads {
                let part = head * head_width..(head + 1) * head_width;
                let one = OneQuery {
                    query: &query[part.clone()],
                    keys: &self.keys[index][part.start..],
                    values: &self.values[index][part.start..],
                    positions,
                    stride: width,
                    scale,
                };
                attend(&one, &mut s.scores, &mut s.attended[part]);
            }
            s.quantized.set(&s.attended);
            layer.self_out.apply(&s.quantized, &mut s.projected);
            add(&mut s.x, &s.projected);

            // Cross-attention over the window's audio, a head per worker.
            layer.cross_norm.apply(&s.x, &mut s.normed);
            s.quantized.set(&s.normed);
            s.wide.resize(width, 0.0);
            layer.cross_query.apply(&s.quantized, &mut s.wide);
            let (keys, values) = &self.audio[index];
            let positions = keys.len() / width;
            let query = &s.wide;
            s.attended.par_chunks_mut(head_width).enumerate().for_each_init(Vec::new, |scores, (head, out)| {
                let per_head = positions * head_width;
                let one = OneQuery {
                    query: &query[head * head_width..][..head_width],
                    keys: &keys[head * per_head..][..per_head],
                    values: &values[head * per_head..][..per_head],
                    positions,
                    stride: head_width,
                    scale,
                };
                attend(&one, scores, out);
            });
            s.quantized.set(&s.attended);
            layer.cross_out.apply(&s.quantized, &mut s.projected);
            add(&mut s.x, &s.projected);

            // Feed-forward.
            layer.feed_forward_norm.apply(&s.x, &mut s.normed);
            s.quantized.set(&s.normed);
            s.wide.resize(layer.up.rows(), 0.0);
            layer.up.apply(&s.quantized, &mut s.wide);
            kernels::gelu_in_place(&mut s.wide);
            s.quantized.set(&s.wide);
            layer.down.apply(&s.quantized, &mut s.projected);
            add(&mut s.x, &s.projected);
        }
        self.length += 1;
        weights.norm.apply(&s.x, &mut s.normed);
        Ok(weights.logits(&s.normed))
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

#[cfg(test)]
mod tests {
    use candle_core::{DType, Device, Tensor};

    use super::{quantized, rounded};

    /// The installed model keeps its matrices in half precision, and they are quantised
    /// straight from it: the result must be what quantising them widened gives.
    #[test]
    fn half_precision_quantises_as_its_widened_numbers_do() {
        let (rows, columns) = (5, 96);
        let values: Vec<f32> = (0..rows * columns).map(|i| (i as f32 * 0.61).cos() * (1 + i % 7) as f32).collect();
        let half = Tensor::from_slice(&values, (rows, columns), &Device::Cpu).unwrap().to_dtype(DType::F16).unwrap();
        let widened = half.to_dtype(DType::F32).unwrap();
        assert_eq!(quantized(&half).unwrap(), quantized(&widened).unwrap());
    }

    #[test]
    fn rounding_is_the_library_s_to_the_bit() {
        let mut values = vec![0.0f32, -0.0, 0.5, -0.5, 1.5, -1.5, 126.5, -126.5, 127.0, 127.49, -127.00002, f32::NAN];
        for half in [0.5f32, 1.5, 2.5, 126.5] {
            values.extend([half.next_down(), half.next_up(), -half.next_down(), -half.next_up()]);
        }
        // Values the quantiser can meet, up to a little over 127 either way, a few thousand
        // apart in the order of their bits.
        let mut bits = 0u32;
        while f32::from_bits(bits) <= 127.1 {
            values.extend([f32::from_bits(bits), -f32::from_bits(bits)]);
            bits += 997;
        }
        for value in values {
            assert_eq!(rounded(value), value.round() as i8, "{value:e}");
        }
    }
}
