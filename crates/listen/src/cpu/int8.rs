//! Matrices of 8-bit weights, multiplied by rows quantised the same way: the decoder's step.
//!
//! The weights are 8-bit numbers as candle's and ggml's Q8_0 (blocks of 32 sharing a scale
//! rounded to half precision), and each input row is quantised the same way. A block's
//! products are summed as integers, exactly, and only the blocks' sums are added in floats, in
//! eight lanes per row. Several rows can go through a matrix at once (the decoder checking
//! guessed tokens, see [`crate::cpu::step::Steps::feed`]): each weight block is then read
//! once for all of them, and each row's floats are added in the same lanes and the same order
//! as when it goes alone, so its numbers are the same to the bit.

use candle_core::{Result, Tensor};
use half::slice::HalfFloatSliceExt;
use rayon::prelude::*;

use crate::cpu::step::{Stored, stored};
use crate::layouts::{Numbers, Quantized};

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

/// Where a parallel product writes: each task its own rows of each input's output.
#[derive(Clone, Copy)]
struct Outputs(*mut f32);

impl Outputs {
    /// `length` numbers from `offset` on.
    ///
    /// # Safety
    /// They must lie inside the buffer, and nothing else may read or write them meanwhile.
    #[allow(unsafe_code)]
    unsafe fn range<'a>(self, offset: usize, length: usize) -> &'a mut [f32] {
        // SAFETY: as the caller promises.
        unsafe { std::slice::from_raw_parts_mut(self.0.add(offset), length) }
    }
}

// SAFETY: tasks write through it to disjoint ranges only (see `Int8Matrix::apply`).
#[allow(unsafe_code)]
unsafe impl Send for Outputs {}
#[allow(unsafe_code)]
unsafe impl Sync for Outputs {}

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

    /// `out[i] = self · x[i] + bias` for each row `i` of `x`; `out` holds the results one
    /// after the other, [`Int8Matrix::rows`] numbers each.
    #[allow(unsafe_code)]
    pub(crate) fn apply(&self, x: &Int8Rows, out: &mut [f32]) {
        let count = x.count();
        assert!(x.width == self.columns && out.len() == count * self.rows);
        let outputs = Outputs(out.as_mut_ptr());
        let task = |first: usize, rows: usize| {
            // SAFETY: input i's rows `first..first + rows` lie inside `out` (the assert above),
            // and no other task writes them: tasks take disjoint ranges of rows.
            let mut outs: Vec<&mut [f32]> =
                (0..count).map(|i| unsafe { outputs.range(i * self.rows + first, rows) }).collect();
            self.apply_rows(first, x, &mut outs);
        };
        if self.rows * self.columns < PARALLEL_FROM {
            task(0, self.rows);
        } else {
            // A layer's matrix (a few hundred to 1536 rows) is shared out among the threads too.
            let per_task = ROWS_PER_TASK.min(self.rows.div_ceil(rayon::current_num_threads()));
            (0..self.rows.div_ceil(per_task))
                .into_par_iter()
                .for_each(|t| task(t * per_task, per_task.min(self.rows - t * per_task)));
        }
    }

    /// Rows `first..` of the product, as many as each of `outs` holds, one out per input row.
    fn apply_rows(&self, first: usize, x: &Int8Rows, outs: &mut [&mut [f32]]) {
        let rows = outs.first().map_or(0, |out| out.len());
        let (columns, blocks) = (self.columns, self.columns / BLOCK);
        let quants = &self.quants[first * columns..(first + rows) * columns];
        let scales = &self.scales[first * blocks..(first + rows) * blocks];
        int8_rows(quants, scales, x, outs);
        if let Some(bias) = &self.bias {
            for out in outs {
                for (o, b) in out.iter_mut().zip(&bias[first..]) {
                    *o += b;
                }
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

/// Rows quantised like the rows of an [`Int8Matrix`], to be multiplied by one.
#[derive(Default)]
pub(crate) struct Int8Rows {
    quants: Vec<i8>,
    scales: Vec<f32>,
    width: usize,
}

impl Int8Rows {
    /// Quantises `values`, rows of `width` numbers one after the other.
    pub(crate) fn set(&mut self, values: &[f32], width: usize) {
        assert!(width.is_multiple_of(BLOCK) && values.len().is_multiple_of(width));
        self.width = width;
        self.quants.resize(values.len(), 0);
        self.scales.resize(values.len() / BLOCK, 0.0);
        quantize_into(values, &mut self.quants, &mut self.scales);
    }

    fn count(&self) -> usize {
        if self.width == 0 { 0 } else { self.quants.len() / self.width }
    }

    /// Row `i`'s numbers and its blocks' scales.
    fn row(&self, i: usize) -> (&[i8], &[f32]) {
        let blocks = self.width / BLOCK;
        (&self.quants[i * self.width..][..self.width], &self.scales[i * blocks..][..blocks])
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

/// `outs[j][r] = row r of (quants, scales) · row j of x`, for consecutive rows.
#[allow(unsafe_code)]
fn int8_rows(quants: &[i8], scales: &[f32], x: &Int8Rows, outs: &mut [&mut [f32]]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // With AVX-512's sixteen more vector registers, eight inputs' sums fit in them.
        let wide = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512bw");
        let together = if wide { 8 } else { 4 };
        for (group, outs) in outs.chunks_mut(together).enumerate() {
            let first = group * together;
            macro_rules! inputs {
                ($n:literal) => {{
                    let inputs: [(&[i8], &[f32]); $n] = std::array::from_fn(|j| x.row(first + j));
                    let outs: &mut [&mut [f32]; $n] = outs.try_into().expect("as many outputs as inputs");
                    // SAFETY: the CPU has the features each function is compiled for.
                    unsafe {
                        if wide {
                            avx2::int8_rows_with_more_registers(quants, scales, inputs, outs)
                        } else {
                            avx2::int8_rows(quants, scales, inputs, outs)
                        }
                    }
                }};
            }
            match outs.len() {
                1 => inputs!(1),
                2 => inputs!(2),
                3 => inputs!(3),
                4 => inputs!(4),
                5 => inputs!(5),
                6 => inputs!(6),
                7 => inputs!(7),
                8 => inputs!(8),
                _ => unreachable!("groups hold at most eight inputs"),
            }
        }
        return;
    }
    let blocks = x.width / BLOCK;
    for (input, out) in outs.iter_mut().enumerate() {
        let (values, value_scales) = x.row(input);
        for ((row, row_scales), out) in
            quants.chunks_exact(x.width).zip(scales.chunks_exact(blocks)).zip(out.iter_mut())
        {
            let mut total = 0f32;
            for (((w, v), sw), sv) in
                row.chunks_exact(BLOCK).zip(values.chunks_exact(BLOCK)).zip(row_scales).zip(value_scales)
            {
                let sum: i32 = w.iter().zip(v).map(|(&a, &b)| i32::from(a) * i32::from(b)).sum();
                total += sw * sv * sum as f32;
            }
            *out = total;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2 {
    use std::arch::x86_64::*;

    use super::BLOCK;

    /// [`super::int8_rows`] in AVX2 for `N` input rows: each block of 32 products is summed in
    /// eight 32-bit lanes (`maddubs` takes an unsigned left side, so the signs move to the
    /// right), scaled and added to eight float lanes, which are summed once per row. Each
    /// weight block is loaded once for the `N` inputs, whose sums are kept apart.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn int8_rows<const N: usize>(
        quants: &[i8],
        scales: &[f32],
        inputs: [(&[i8], &[f32]); N],
        outs: &mut [&mut [f32]; N],
    ) {
        int8_rows_here(quants, scales, inputs, outs)
    }

    /// [`int8_rows`], compiled where AVX-512 gives 32 vector registers rather than 16: the
    /// same instructions on the same numbers, with room for eight inputs' sums.
    #[target_feature(enable = "avx2,fma,avx512f,avx512vl,avx512bw")]
    pub(super) fn int8_rows_with_more_registers<const N: usize>(
        quants: &[i8],
        scales: &[f32],
        inputs: [(&[i8], &[f32]); N],
        outs: &mut [&mut [f32]; N],
    ) {
        int8_rows_here(quants, scales, inputs, outs)
    }

    #[inline(always)]
    fn int8_rows_here<const N: usize>(
        quants: &[i8],
        scales: &[f32],
        inputs: [(&[i8], &[f32]); N],
        outs: &mut [&mut [f32]; N],
    ) {
        let rows = outs[0].len();
        let (columns, blocks) = (inputs[0].0.len(), inputs[0].1.len());
        assert!(quants.len() == rows * columns && scales.len() == rows * blocks);
        assert!(inputs.iter().all(|(v, s)| v.len() == columns && s.len() == blocks));
        assert!(outs.iter().all(|out| out.len() == rows));
        // SAFETY (the whole body): the intrinsics need AVX2 and FMA, which every caller is
        // compiled for; row r's block b is 32 bytes inside `quants`, and block b 32 bytes
        // inside each input row (the asserts above); loads are unaligned.
        unsafe {
            let ones = _mm256_set1_epi16(1);
            for r in 0..rows {
                let mut totals = [_mm256_setzero_ps(); N];
                for b in 0..blocks {
                    let w = _mm256_loadu_si256(quants.as_ptr().add(r * columns + b * BLOCK) as *const __m256i);
                    let magnitudes = _mm256_sign_epi8(w, w);
                    let scale = *scales.get_unchecked(r * blocks + b);
                    for (total, (values, value_scales)) in totals.iter_mut().zip(&inputs) {
                        let v = _mm256_loadu_si256(values.as_ptr().add(b * BLOCK) as *const __m256i);
                        let pairs = _mm256_maddubs_epi16(magnitudes, _mm256_sign_epi8(v, w));
                        let quads = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, ones));
                        let both = _mm256_set1_ps(scale * *value_scales.get_unchecked(b));
                        *total = _mm256_fmadd_ps(both, quads, *total);
                    }
                }
                for (total, out) in totals.into_iter().zip(outs.iter_mut()) {
                    let half = _mm_add_ps(_mm256_castps256_ps128(total), _mm256_extractf128_ps(total, 1));
                    let pair = _mm_add_ps(half, _mm_movehl_ps(half, half));
                    out[r] = _mm_cvtss_f32(_mm_add_ss(pair, _mm_movehdup_ps(pair)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{DType, Device, Tensor};

    use super::*;

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

    /// Rows multiplied together come out as each does alone, to the bit, whatever their count.
    #[test]
    fn rows_together_are_multiplied_as_each_alone() {
        let (rows, columns) = (300, 96);
        let weights: Vec<f32> = (0..rows * columns).map(|i| (i as f32 * 0.37).sin() * (1 + i % 5) as f32).collect();
        let weights = Tensor::from_slice(&weights, (rows, columns), &Device::Cpu).unwrap();
        let (quants, scales) = quantized(&weights).unwrap();
        let bias: Vec<f32> = (0..rows).map(|r| r as f32 * 0.01).collect();
        let quantized = Quantized { quants: quants.into(), scales: scales.into(), outputs: rows, inputs: columns };
        let matrix = Int8Matrix::new(quantized, Some(bias.into())).unwrap();
        let inputs: Vec<f32> = (0..7 * columns).map(|i| (i as f32 * 1.3).cos() * (i % 11) as f32).collect();
        let mut alone = Vec::new();
        for row in inputs.chunks_exact(columns) {
            let mut x = Int8Rows::default();
            x.set(row, columns);
            let mut out = vec![0f32; rows];
            matrix.apply(&x, &mut out);
            alone.extend(out);
        }
        for count in 1..=7 {
            let mut x = Int8Rows::default();
            x.set(&inputs[..count * columns], columns);
            let mut together = vec![0f32; count * rows];
            matrix.apply(&x, &mut together);
            let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&together), bits(&alone[..count * rows]), "{count} rows together");
        }
    }
}
