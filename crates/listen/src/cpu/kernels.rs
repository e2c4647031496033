//! The encoder's hottest loops, written for the CPU.
//!
//! Over a 30 s window the encoder attends 1500 positions to 1500, in six heads: a score
//! matrix of 13.5 million numbers per layer. Written out whole, then softmaxed into a second
//! matrix as large, it is 108 MB of memory traffic per layer, and the library exponential is
//! a call per number: that was half of the encoder's time. Here each worker takes a block of
//! queries of one head, scores them against every key into a buffer that stays in cache,
//! turns the scores into weights in place with an exponential the compiler can vectorise, and
//! multiplies by the values: the same arithmetic, without the round trips to memory.
//!
//! The GELU after each feed-forward layer's first matrix (2.3 million numbers a layer) is
//! likewise computed in parallel and in vector instructions, where candle's runs on one core
//! and calls `erf` for each number. Decoding borrows the exponential and the lane-wise
//! reductions for its log-probabilities over the 52 thousand-token vocabulary, at every step.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape};
use rayon::prelude::*;

/// `widest!(f(args))` calls `f(args)`, compiled for the widest vector instructions the CPU has.
///
/// The release build targets every x86-64, whose vectors are four numbers wide: loops the
/// compiler vectorises (the exponentials of a softmax, GELU) ran four numbers at a time on
/// CPUs with sixteen-wide AVX-512. Each such function's body is written once, inlined into
/// a copy compiled for AVX-512, one for AVX2 and the plain one, and the first the CPU has is
/// called. The copies compute the same numbers: they do the same operations on each number in
/// the same order (reductions keep their own lanes, and Rust never fuses a multiply and an add
/// the code does not ask to fuse), only more numbers at a time.
macro_rules! widest {
    ($here:ident($($arg:expr),*)) => {{
        #[cfg(target_arch = "x86_64")]
        #[allow(unsafe_code)]
        {
            #[target_feature(enable = "avx512f")]
            fn avx512<R>(run: impl FnOnce() -> R) -> R {
                run()
            }
            #[target_feature(enable = "avx2")]
            fn avx2<R>(run: impl FnOnce() -> R) -> R {
                run()
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has the features the function is compiled for.
                return unsafe { avx512(#[inline(always)] || $here($($arg),*)) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: as above.
                return unsafe { avx2(#[inline(always)] || $here($($arg),*)) };
            }
        }
        $here($($arg),*)
    }};
}

/// Queries scored together: 128 rows of 1500 scores are 768 KB, which a core's cache holds.
const QUERIES_PER_BLOCK: usize = 128;

/// Attention without a mask: `query`, `key` and `value` are `[heads, positions, width]`,
/// contiguous; the result has the same shape. The query is scaled by `1/sqrt(width)`.
pub fn attend_all(query: &[f32], key: &[f32], value: &[f32], heads: usize, positions: usize, width: usize) -> Vec<f32> {
    let per_head = positions * width;
    assert!(query.len() == heads * per_head && key.len() == query.len() && value.len() == query.len());
    let scale = 1.0 / (width as f32).sqrt();
    let mut out = vec![0f32; heads * per_head];
    out.par_chunks_mut(per_head).enumerate().for_each(|(head, out)| {
        let query = &query[head * per_head..][..per_head];
        let key = &key[head * per_head..][..per_head];
        let value = &value[head * per_head..][..per_head];
        out.par_chunks_mut(QUERIES_PER_BLOCK * width).enumerate().for_each_init(Vec::new, |scores, (block, out)| {
            let rows = out.len() / width;
            let query = &query[block * QUERIES_PER_BLOCK * width..][..rows * width];
            scores.resize(rows * positions, 0.0);
            multiply(scores, query, key, rows, positions, width, Right::Transposed, scale, false);
            for row in scores.chunks_exact_mut(positions) {
                softmax_in_place(row);
            }
            multiply(out, scores, value, rows, width, positions, Right::AsIs, 1.0, false);
        });
    });
    out
}

/// [`attend_all`] on the rows of a fused projection, `[positions, 3 * heads * width]` (each
/// row its query, key and value, each head by head), giving `[positions, heads * width]`, each
/// row the heads' results side by side: what the layer's output projection reads. Splitting
/// the heads out and merging them back through candle were four strided copies a layer.
pub fn attend_fused(fused: &[f32], heads: usize, positions: usize, width: usize) -> Vec<f32> {
    let (inner, per_head) = (heads * width, positions * width);
    assert_eq!(fused.len(), positions * 3 * inner);
    let gather = |part: usize| {
        let mut out = vec![0f32; heads * per_head];
        out.par_chunks_mut(per_head).enumerate().for_each(|(head, out)| {
            for (row, out) in fused.chunks_exact(3 * inner).zip(out.chunks_exact_mut(width)) {
                out.copy_from_slice(&row[part * inner + head * width..][..width]);
            }
        });
        out
    };
    let by_head = attend_all(&gather(0), &gather(1), &gather(2), heads, positions, width);
    let mut out = vec![0f32; positions * inner];
    out.par_chunks_mut(inner).enumerate().for_each(|(position, row)| {
        for (head, row) in row.chunks_exact_mut(width).enumerate() {
            row.copy_from_slice(&by_head[head * per_head + position * width..][..width]);
        }
    });
    out
}

/// How the right-hand matrix of a product is stored.
#[derive(Clone, Copy)]
pub(crate) enum Right {
    /// `[inner, columns]`, row-major.
    AsIs,
    /// `[columns, inner]`, row-major: it is used transposed.
    Transposed,
}

/// `out = scale * left · right`, with `left` `[rows, inner]` row-major and `out`
/// `[rows, columns]` row-major; on the pool's threads when `shared`, on the calling one
/// otherwise (where the work is already shared out, or too small to share).
#[allow(clippy::too_many_arguments)]
#[allow(unsafe_code)]
pub(crate) fn multiply(
    out: &mut [f32],
    left: &[f32],
    right: &[f32],
    rows: usize,
    columns: usize,
    inner: usize,
    right_is: Right,
    scale: f32,
    shared: bool,
) {
    assert_eq!(out.len(), rows * columns);
    // SAFETY: `out` is rows x columns with rows of `columns` (the assert above), and borrowed
    // mutably, so nothing else reads or writes it meanwhile.
    unsafe { multiply_into_rows(out.as_mut_ptr(), columns, left, right, rows, columns, inner, right_is, scale, shared) }
}

/// [`multiply`] into `rows` rows of `columns` numbers at `out`, a row every `row_stride`
/// numbers: a block of columns of a wider matrix.
///
/// # Safety
/// Row r's numbers `out + r * row_stride .. + columns` must be valid to write, and nothing
/// else may read or write them meanwhile.
#[allow(clippy::too_many_arguments)]
#[allow(unsafe_code)]
pub(crate) unsafe fn multiply_into_rows(
    out: *mut f32,
    row_stride: usize,
    left: &[f32],
    right: &[f32],
    rows: usize,
    columns: usize,
    inner: usize,
    right_is: Right,
    scale: f32,
    shared: bool,
) {
    assert!(left.len() == rows * inner && right.len() == inner * columns && row_stride >= columns);
    let (right_column_stride, right_row_stride) = match right_is {
        Right::AsIs => (1, columns as isize),
        Right::Transposed => (inner as isize, 1),
    };
    // SAFETY: the assert above holds every index the strides reach in `left` (rows x inner,
    // rows of `inner`) and `right` (inner x columns in either layout); the caller answers for
    // the rows written at `out`.
    unsafe {
        gemm::gemm(
            rows,
            columns,
            inner,
            out,
            1,
            row_stride as isize,
            false,
            left.as_ptr(),
            1,
            inner as isize,
            right.as_ptr(),
            right_column_stride,
            right_row_stride,
            0.0,
            scale,
            false,
            false,
            false,
            if shared { gemm::Parallelism::Rayon(rayon::current_num_threads()) } else { gemm::Parallelism::None },
        );
    }
}

/// `sum(e^(v - peak))` for `peak >= max(v)`.
pub(crate) fn sum_of_exp_below(values: &[f32], peak: f32) -> f32 {
    widest!(sum_of_exp_below_here(values, peak))
}

#[inline(always)]
fn sum_of_exp_below_here(values: &[f32], peak: f32) -> f32 {
    let mut totals = [0f32; LANES];
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (total, &v) in totals.iter_mut().zip(chunk) {
            *total += exp_of_non_positive(v - peak);
        }
    }
    chunks.remainder().iter().map(|&v| exp_of_non_positive(v - peak)).chain(totals).sum()
}

/// Reductions run in this many lanes: one running value would chain every step to the last
/// and keep the compiler from using vector instructions.
const LANES: usize = 8;

/// `row = softmax(row)`.
pub(crate) fn softmax_in_place(row: &mut [f32]) {
    widest!(softmax_in_place_here(row))
}

#[inline(always)]
fn softmax_in_place_here(row: &mut [f32]) {
    let peak = peak_of_here(row);
    for x in row.iter_mut() {
        *x = exp_of_non_positive(*x - peak);
    }
    let total = sum_in_lanes(row);
    let inverse = 1.0 / total;
    for x in row.iter_mut() {
        *x *= inverse;
    }
}

/// The largest of `values` (minus infinity for none).
pub(crate) fn peak_of(values: &[f32]) -> f32 {
    widest!(peak_of_here(values))
}

#[inline(always)]
fn peak_of_here(values: &[f32]) -> f32 {
    let mut peaks = [f32::NEG_INFINITY; LANES];
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (peak, &x) in peaks.iter_mut().zip(chunk) {
            *peak = if x > *peak { x } else { *peak };
        }
    }
    chunks.remainder().iter().chain(&peaks).copied().fold(f32::NEG_INFINITY, f32::max)
}

#[inline(always)]
fn sum_in_lanes(values: &[f32]) -> f32 {
    let mut totals = [0f32; LANES];
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (total, &x) in totals.iter_mut().zip(chunk) {
            *total += x;
        }
    }
    chunks.remainder().iter().chain(&totals).sum()
}

/// `e^x` for `x <= 0`, to a few parts in ten million, written so that the compiler turns the
/// loop above into vector instructions (the library `exp` is a call per number).
#[inline(always)]
fn exp_of_non_positive(x: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in two so that k * LN2_HIGH is exact.
    const LN2_HIGH: f32 = 0.693_359_4;
    const LN2_LOW: f32 = -2.121_944_4e-4;
    // Adding 1.5 * 2^23 rounds to the nearest integer k and leaves k in the low bits of the
    // sum, from where it goes into the exponent of 2^k with integer arithmetic: a float to
    // integer conversion (`as i32`) would be done one number at a time.
    const ROUNDER: f32 = 12_582_912.0;
    let x = if x > -87.0 { x } else { -87.0 };
    let shifted = x * LOG2_E + ROUNDER;
    let k = shifted - ROUNDER;
    let r = x - k * LN2_HIGH - k * LN2_LOW;
    // e^r on |r| <= ln2 / 2, Taylor to the sixth power.
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    let two_to_k = f32::from_bits(shifted.to_bits().wrapping_sub(ROUNDER.to_bits()).wrapping_add(127) << 23);
    p * two_to_k
}

/// GELU, `x * (1 + erf(x / sqrt 2)) / 2`, as candle's `gelu_erf` computes it, to within a
/// few parts in ten million.
pub struct Gelu;

/// Numbers given to one worker at a time.
const GELU_CHUNK: usize = 16 * 1024;

impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "encore-gelu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(all) = storage else {
            candle_core::bail!("GELU is written for f32 only");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("GELU needs a contiguous tensor");
        };
        let mut out = all[start..end].to_vec();
        out.par_chunks_mut(GELU_CHUNK).for_each(gelu_in_place);
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

/// `x = gelu(x)` for each number of `values`.
pub(crate) fn gelu_in_place(values: &mut [f32]) {
    widest!(gelu_in_place_here(values))
}

#[inline(always)]
fn gelu_in_place_here(values: &mut [f32]) {
    for x in values.iter_mut() {
        *x = gelu(*x);
    }
}

#[inline(always)]
pub(crate) fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// The error function to within 1.5e-7 (Abramowitz and Stegun, formula 7.1.26).
#[inline(always)]
fn erf(x: f32) -> f32 {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [0.254_829_6, -0.284_496_74, 1.421_413_7, -1.453_152_1, 1.061_405_4];
    let z = x.abs();
    let t = 1.0 / (1.0 + P * z);
    let polynomial = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    let magnitude = 1.0 - polynomial * exp_of_non_positive(-z * z);
    magnitude.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_exponential_matches_the_library_one() {
        for i in 0..=10_000 {
            let x = -(i as f32) * 0.008;
            let (fast, exact) = (exp_of_non_positive(x), x.exp());
            assert!((fast - exact).abs() <= 5e-7 * exact.max(f32::MIN_POSITIVE), "{x}: {fast} vs {exact}");
        }
        // Far below, it gives the smallest it reaches rather than nonsense.
        let floor = exp_of_non_positive(-1000.0);
        assert!(floor > 0.0 && floor < 1e-37);
    }

    /// Attention written out the plain way, one query at a time.
    fn attend_slowly(
        query: &[f32],
        key: &[f32],
        value: &[f32],
        heads: usize,
        positions: usize,
        width: usize,
    ) -> Vec<f32> {
        let scale = 1.0 / (width as f32).sqrt();
        let mut out = vec![0f32; heads * positions * width];
        for h in 0..heads {
            let at = |m: &[f32], p: usize, w: usize| m[(h * positions + p) * width + w];
            for q in 0..positions {
                let scores: Vec<f32> = (0..positions)
                    .map(|k| (0..width).map(|w| at(query, q, w) * at(key, k, w)).sum::<f32>() * scale)
                    .collect();
                let peak = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let weights: Vec<f32> = scores.iter().map(|s| (s - peak).exp()).collect();
                let total: f32 = weights.iter().sum();
                for w in 0..width {
                    out[(h * positions + q) * width + w] =
                        (0..positions).map(|k| weights[k] * at(value, k, w)).sum::<f32>() / total;
                }
            }
        }
        out
    }

    #[test]
    fn blocks_give_what_attention_written_out_gives() {
        // 150 positions: two whole blocks and a short one.
        let (heads, positions, width) = (3, 150, 16);
        let numbers = |seed: u32| -> Vec<f32> {
            (0..heads * positions * width)
                .map(|i| (((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) % 2000) as f32 / 500.0 - 2.0)
                .collect()
        };
        let (query, key, value) = (numbers(1), numbers(7), numbers(13));
        let fast = attend_all(&query, &key, &value, heads, positions, width);
        let slow = attend_slowly(&query, &key, &value, heads, positions, width);
        let worst = fast.iter().zip(&slow).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-4, "largest difference {worst}");
    }

    #[test]
    fn the_fused_projection_s_heads_are_attended_and_set_side_by_side() {
        let (heads, positions, width) = (2, 130, 8);
        let inner = heads * width;
        let fused: Vec<f32> = (0..positions * 3 * inner).map(|i| ((i as f32) * 0.377).sin()).collect();
        // The same numbers as three `[heads, positions, width]` arrays.
        let part = |part: usize| -> Vec<f32> {
            let mut out = Vec::new();
            for head in 0..heads {
                for position in 0..positions {
                    out.extend_from_slice(&fused[position * 3 * inner + part * inner + head * width..][..width]);
                }
            }
            out
        };
        let slow = attend_slowly(&part(0), &part(1), &part(2), heads, positions, width);
        let fast = attend_fused(&fused, heads, positions, width);
        for position in 0..positions {
            for head in 0..heads {
                for w in 0..width {
                    let (a, b) =
                        (fast[position * inner + head * width + w], slow[(head * positions + position) * width + w]);
                    assert!((a - b).abs() < 1e-4, "position {position}, head {head}: {a} against {b}");
                }
            }
        }
    }

    /// The copies compiled for wider vectors must give what the plain code gives, to the bit.
    #[test]
    fn the_widest_copies_compute_what_the_plain_code_computes() {
        let values: Vec<f32> = (0..1501).map(|i| ((i as f32) * 0.731).sin() * 12.0 - (i % 13) as f32).collect();
        let (mut wide, mut plain) = (values.clone(), values.clone());
        softmax_in_place(&mut wide);
        softmax_in_place_here(&mut plain);
        assert!(wide.iter().zip(&plain).all(|(a, b)| a.to_bits() == b.to_bits()), "softmax");
        let (mut wide, mut plain) = (values.clone(), values.clone());
        gelu_in_place(&mut wide);
        gelu_in_place_here(&mut plain);
        assert!(wide.iter().zip(&plain).all(|(a, b)| a.to_bits() == b.to_bits()), "GELU");
        let peak = peak_of(&values);
        assert_eq!(peak.to_bits(), peak_of_here(&values).to_bits());
        assert_eq!(sum_of_exp_below(&values, peak).to_bits(), sum_of_exp_below_here(&values, peak).to_bits());
    }

    #[test]
    fn gelu_matches_the_definition() {
        for i in -4000..=4000 {
            let x = i as f32 * 0.002;
            let exact = 0.5 * x as f64 * (1.0 + libm_erf(x as f64 / std::f64::consts::SQRT_2));
            assert!((gelu(x) as f64 - exact).abs() < 1e-6 * (1.0 + exact.abs()), "{x}: {} vs {exact}", gelu(x));
        }
    }

    /// erf by its series, to double precision; beyond 4 it is 1 to within 2e-8.
    fn libm_erf(x: f64) -> f64 {
        if x.abs() > 4.0 {
            return x.signum();
        }
        let (mut term, mut total, mut n) = (x, x, 0.0);
        while term.abs() > 1e-17 * total.abs().max(1e-300) {
            n += 1.0;
            term *= -x * x / n;
            total += term / (2.0 * n + 1.0);
        }
        total * 2.0 / std::f64::consts::PI.sqrt()
    }
}
