//! The encoder's linear layers in 8 bits, on CPUs with AVX-512 VNNI: a choice
//! (`ENCORE_ENCODER_PRECISION=int8`), not the default (docs/decisions.md has the figures).
//!
//! A window's encoder runs products of 1500 rows (its positions) by the layers' weights: 21 of
//! its 37 billion operations. `vpdpbusd` multiplies 64 pairs of 8-bit numbers and adds them,
//! four by four, into sixteen 32-bit sums: four times the products of an f32 multiply-add,
//! at the same rate. Each weight is quantised once, at its first product, a scale for each
//! output (column); each product quantises its rows in blocks of 64 numbers, a scale for each
//! block. The sums of a block are exact integers, scaled back to f32 and added up.
//!
//! `vpdpbusd` takes one side unsigned: a row's numbers are stored plus 128, and 128 times the
//! block's weights of each column (summed once, when they are packed) is taken off its sums.
//!
//! The product is blocked as such kernels are: the weights in panels of 32 columns, each four
//! inputs' weights of a column side by side, so that one load gives sixteen columns; the rows
//! in tiles of 6, each row's four numbers broadcast to every lane; a worker takes 64 rows at a
//! time and runs each panel over its tiles while the panel is in cache.

use half::f16;
use half::slice::HalfFloatSliceExt;
use rayon::prelude::*;

/// Rows of a tile: each holds two vectors of a block's integer sums and two of float sums,
/// 24 in all, in the 32 vector registers.
const TILE_ROWS: usize = 6;

/// Inputs that share a row's scale: a block of 64. A scale for the whole row let one large
/// number (the encoder's rows have a few) coarsen all the others.
const BLOCK: usize = 64;

/// Columns of a weight panel: two vectors of sixteen.
const PANEL_COLUMNS: usize = 32;

/// Inputs whose products `vpdpbusd` adds into one sum.
const QUAD: usize = 4;

/// Rows a worker takes at a time: its quantised rows and a panel stay in cache.
const ROWS_PER_TASK: usize = 64;

/// Whether this CPU has the instructions.
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// A weight matrix `[inputs, outputs]` in 8 bits, packed in panels for [`Int8Weights::multiply`].
pub(crate) struct Int8Weights {
    /// Panel by panel, quad of inputs by quad: 32 columns' four weights side by side.
    packed: Vec<i8>,
    /// Each column's scale.
    scales: Vec<f32>,
    /// For each block of inputs, 128 times each column's weights summed over the block: what
    /// the rows' offset adds to the block's sums; panel by panel, `[panels, blocks, 32]`.
    offsets: Vec<i32>,
    inputs: usize,
    outputs: usize,
}

/// Whether a matrix `[inputs, outputs]` fits the panels: inputs in blocks of 64, outputs in
/// 32s.
fn fits(inputs: usize, outputs: usize) -> bool {
    inputs.is_multiple_of(BLOCK) && outputs.is_multiple_of(PANEL_COLUMNS)
}

impl Int8Weights {
    /// Quantises `weight` (`[inputs, outputs]`, row-major), a scale a column, and packs it in
    /// panels; `None` where the CPU lacks the instructions (see [`available`]) or the shape
    /// does not fit the panels (inputs in blocks of 64, outputs in 32s).
    pub(crate) fn new(weight: &[f16], inputs: usize, outputs: usize) -> Option<Int8Weights> {
        if !available() || !fits(inputs, outputs) {
            return None;
        }
        assert_eq!(weight.len(), inputs * outputs);
        // Each input's row of weights widened in one call (a call a number goes through
        // `half`'s check of the CPU each time); the panels packed on the pool's threads.
        let widened = |input: usize, columns: std::ops::Range<usize>, wide: &mut [f32]| {
            weight[input * outputs..][columns].convert_to_f32_slice(wide);
        };
        let mut peaks = vec![0f32; outputs];
        let mut wide = vec![0f32; outputs];
        for input in 0..inputs {
            widened(input, 0..outputs, &mut wide);
            for (peak, w) in peaks.iter_mut().zip(&wide) {
                *peak = peak.max(w.abs());
            }
        }
        let scales: Vec<f32> = peaks.iter().map(|&peak| if peak > 0.0 { peak / 127.0 } else { 1.0 }).collect();
        let blocks = inputs / BLOCK;
        let mut packed = vec![0i8; inputs * outputs];
        let mut offsets = vec![0i32; blocks * outputs];
        packed
            .par_chunks_mut(inputs * PANEL_COLUMNS)
            .zip(offsets.par_chunks_mut(blocks * PANEL_COLUMNS))
            .enumerate()
            .for_each(|(panel, (packed, offsets))| {
                let columns = panel * PANEL_COLUMNS..(panel + 1) * PANEL_COLUMNS;
                let mut wide = [0f32; PANEL_COLUMNS];
                for input in 0..inputs {
                    widened(input, columns.clone(), &mut wide);
                    let (quad, q) = (input / QUAD, input % QUAD);
                    for (j, (&w, scale)) in wide.iter().zip(&scales[columns.clone()]).enumerate() {
                        let narrow = nearest(w / scale).clamp(-127.0, 127.0) as i8;
                        packed[(quad * PANEL_COLUMNS + j) * QUAD + q] = narrow;
                        offsets[input / BLOCK * PANEL_COLUMNS + j] += 128 * i32::from(narrow);
                    }
                }
            });
        Some(Int8Weights { packed, scales, offsets, inputs, outputs })
    }

    /// `left · weight`, with `left` `[rows, inputs]` (row-major f32); `[rows, outputs]`.
    #[allow(unsafe_code)]
    pub(crate) fn multiply(&self, left: &[f32], rows: usize) -> Vec<f32> {
        let (inputs, outputs) = (self.inputs, self.outputs);
        assert_eq!(left.len(), rows * inputs);
        let mut out = vec![0f32; rows * outputs];
        out.par_chunks_mut(ROWS_PER_TASK * outputs).enumerate().for_each_init(Tiles::default, |tiles, (task, out)| {
            let first = task * ROWS_PER_TASK;
            let count = out.len() / outputs;
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the weights exist only where `available` found the CPU's features.
            unsafe {
                avx512::rows(self, &left[first * inputs..(first + count) * inputs], tiles, out)
            }
        });
        out
    }
}

/// A worker's rows quantised: each row plus 128 (unsigned), padded with zero rows to whole
/// tiles, and each row's blocks' scales.
#[derive(Default)]
struct Tiles {
    numbers: Vec<u8>,
    /// `[rows, blocks]`.
    scales: Vec<f32>,
    rows: usize,
}

impl Tiles {
    /// Quantises `left`'s rows of `inputs` numbers a block at a time; `quantise_block` writes a
    /// block's numbers and returns its scale.
    #[inline(always)]
    fn quantise(&mut self, left: &[f32], inputs: usize, quantise_block: impl Fn(&[f32], &mut [u8]) -> f32) {
        self.rows = left.len() / inputs;
        let padded = self.rows.div_ceil(TILE_ROWS) * TILE_ROWS;
        self.numbers.clear();
        self.numbers.resize(padded * inputs, 128);
        self.scales.clear();
        for (block, numbers) in left.chunks_exact(BLOCK).zip(self.numbers.chunks_exact_mut(BLOCK)) {
            self.scales.push(quantise_block(block, numbers));
        }
        self.scales.resize(padded * inputs / BLOCK, 0.0);
    }
}

/// `value` rounded to the nearest whole number, halves to even, for values under 2^22 in
/// size: adding and taking off 1.5 * 2^23 leaves no fraction (baseline x86-64 has no
/// rounding instruction, and `round_ties_even` is a call into the C library).
fn nearest(value: f32) -> f32 {
    const SHIFT: f32 = 12_582_912.0;
    (value + SHIFT) - SHIFT
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{BLOCK, Int8Weights, PANEL_COLUMNS, QUAD, TILE_ROWS, Tiles};

    /// A worker's rows (`left`, quantised into `tiles`) by `weights`, into `out`
    /// (`[rows, outputs]`).
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) fn rows(weights: &Int8Weights, left: &[f32], tiles: &mut Tiles, out: &mut [f32]) {
        let (inputs, outputs) = (weights.inputs, weights.outputs);
        tiles.quantise(left, inputs, quantise_block);
        let (quads, blocks) = (inputs / QUAD, inputs / BLOCK);
        assert!(out.len() == tiles.rows * outputs && tiles.numbers.len() >= tiles.rows * inputs);
        for panel in 0..outputs / PANEL_COLUMNS {
            let numbers = &weights.packed[panel * quads * PANEL_COLUMNS * QUAD..][..quads * PANEL_COLUMNS * QUAD];
            let column = panel * PANEL_COLUMNS;
            for tile in 0..tiles.rows.div_ceil(TILE_ROWS) {
                let first = tile * TILE_ROWS;
                let valid = (tiles.rows - first).min(TILE_ROWS);
                let rows = &tiles.numbers[first * inputs..][..TILE_ROWS * inputs];
                let scales = &tiles.scales[first * inputs / BLOCK..][..TILE_ROWS * inputs / BLOCK];
                let offsets = &weights.offsets[panel * blocks * PANEL_COLUMNS..][..blocks * PANEL_COLUMNS];
                let sums = multiply_tile(rows, scales, numbers, offsets, inputs);
                // Each sum scaled by its column's scale.
                // SAFETY: the loads read 16 columns from `column` and `column + 16`, inside the
                // column scales (`column + 32 <= outputs`); the stores write 32 numbers of each
                // valid row, inside `out`.
                unsafe {
                    let scales = [0, 16].map(|h| _mm512_loadu_ps(weights.scales.as_ptr().add(column + h)));
                    for (row, sums) in sums.iter().enumerate().take(valid) {
                        for h in 0..2 {
                            let scaled = _mm512_mul_ps(sums[h], scales[h]);
                            _mm512_storeu_ps(out.as_mut_ptr().add((first + row) * outputs + column + h * 16), scaled);
                        }
                    }
                }
            }
        }
    }

    /// Quantises a block of a row into `numbers`, each plus 128, and returns its scale: the
    /// largest number in size becomes 127 (255 or 1 with the offset), halves rounded to even.
    #[inline(always)]
    fn quantise_block(block: &[f32], numbers: &mut [u8]) -> f32 {
        assert!(block.len() == super::BLOCK && numbers.len() == super::BLOCK);
        // SAFETY (the whole body): four loads of 16 numbers and four stores of 16 bytes lie
        // inside the block and its numbers, 64 each (the assert above).
        unsafe {
            let mut peaks = _mm512_setzero_ps();
            for i in 0..4 {
                peaks = _mm512_max_ps(peaks, _mm512_abs_ps(_mm512_loadu_ps(block.as_ptr().add(16 * i))));
            }
            let peak = _mm512_reduce_max_ps(peaks);
            let scale = if peak > 0.0 { peak / 127.0 } else { 1.0 };
            let inverse = _mm512_set1_ps(1.0 / scale);
            let offset = _mm512_set1_epi32(128);
            for i in 0..4 {
                let scaled = _mm512_mul_ps(_mm512_loadu_ps(block.as_ptr().add(16 * i)), inverse);
                let whole = _mm512_add_epi32(_mm512_cvtps_epi32(scaled), offset);
                _mm_storeu_si128(numbers.as_mut_ptr().add(16 * i) as *mut __m128i, _mm512_cvtusepi32_epi8(whole));
            }
            scale
        }
    }

    /// One tile of rows by one panel: for each block of inputs, the block's integer sums (the
    /// panel's two vectors of columns for each quad, and each row's four numbers broadcast),
    /// less the offset, scaled by the row's block scale into the row's float sums.
    #[inline(always)]
    fn multiply_tile(
        tile: &[u8],
        row_scales: &[f32],
        panel: &[i8],
        offsets: &[i32],
        inputs: usize,
    ) -> [[__m512; 2]; TILE_ROWS] {
        let (quads, blocks) = (inputs / QUAD, inputs / BLOCK);
        assert!(tile.len() == TILE_ROWS * inputs && panel.len() == quads * PANEL_COLUMNS * QUAD);
        assert!(row_scales.len() == TILE_ROWS * blocks && offsets.len() == blocks * PANEL_COLUMNS);
        // SAFETY (the whole body): the loads read quad q of each tile row (inside `tile`), the
        // 64 bytes of columns 0-15, then 16-31, of quad q of `panel` (inside it), and 16
        // offsets at 0 and 16 of block g's 32 in `offsets` (inside it):
        // the asserts above.
        unsafe {
            let mut totals = [[_mm512_setzero_ps(); 2]; TILE_ROWS];
            let rows = tile.as_ptr() as *const u32;
            for block in 0..blocks {
                let mut sums = [[_mm512_setzero_si512(); 2]; TILE_ROWS];
                for quad in block * BLOCK / QUAD..(block + 1) * BLOCK / QUAD {
                    let left = _mm512_loadu_si512(panel.as_ptr().add(quad * PANEL_COLUMNS * QUAD) as *const __m512i);
                    let right =
                        _mm512_loadu_si512(panel.as_ptr().add((quad * PANEL_COLUMNS + 16) * QUAD) as *const __m512i);
                    for (row, sums) in sums.iter_mut().enumerate() {
                        let four = _mm512_set1_epi32(rows.add(row * quads + quad).read_unaligned() as i32);
                        sums[0] = _mm512_dpbusd_epi32(sums[0], four, left);
                        sums[1] = _mm512_dpbusd_epi32(sums[1], four, right);
                    }
                }
                let offsets = [0, 16]
                    .map(|h| _mm512_loadu_si512(offsets.as_ptr().add(block * PANEL_COLUMNS + h) as *const __m512i));
                for (row, (totals, sums)) in totals.iter_mut().zip(&sums).enumerate() {
                    let scale = _mm512_set1_ps(row_scales[row * blocks + block]);
                    for h in 0..2 {
                        let exact = _mm512_cvtepi32_ps(_mm512_sub_epi32(sums[h], offsets[h]));
                        totals[h] = _mm512_fmadd_ps(exact, scale, totals[h]);
                    }
                }
            }
            totals
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rounds_halves_to_even_as_the_library_does() {
        let mut bits = 0u32;
        while f32::from_bits(bits) < 200.0 {
            for value in [f32::from_bits(bits), -f32::from_bits(bits)] {
                assert_eq!(nearest(value), value.round_ties_even(), "{value:e}");
            }
            bits += 4099;
        }
        for half in [0.5f32, 1.5, 2.5, 126.5, -0.5, -1.5, -126.5] {
            assert_eq!(nearest(half), half.round_ties_even());
        }
    }

    /// The 8-bit product is the f32 one to within what quantising both sides to 8 bits
    /// rounds, on shapes with a partial tile and a worker's partial share.
    #[test]
    fn the_8_bit_product_is_the_f32_one_to_what_8_bits_round() {
        let (rows, inputs, outputs) = (75, 128, 64);
        let left: Vec<f32> = (0..rows * inputs).map(|i| (i as f32 * 0.37).sin()).collect();
        let weight: Vec<f16> = (0..inputs * outputs).map(|i| f16::from_f32((i as f32 * 0.91).cos())).collect();
        let Some(weights) = Int8Weights::new(&weight, inputs, outputs) else {
            eprintln!("this CPU has no AVX-512 VNNI: nothing to compare");
            return;
        };
        let product = weights.multiply(&left, rows);
        for r in 0..rows {
            for c in 0..outputs {
                let terms = (0..inputs).map(|k| left[r * inputs + k] * weight[k * outputs + c].to_f32());
                let (exact, magnitude) = terms.fold((0f32, 0f32), |(sum, size), t| (sum + t, size + t.abs()));
                let error = (product[r * outputs + c] - exact).abs();
                assert!(error <= magnitude / 64.0, "row {r} column {c}: {} against {exact}", product[r * outputs + c]);
            }
        }
        assert!(Int8Weights::new(&weight[..inputs * 48], inputs, 48).is_none(), "48 columns are not whole panels");
    }
}
