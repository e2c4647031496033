//! The decoder's token embeddings, kept in half precision, and the output projection that
//! reads them.
//!
//! The embeddings are the decoder's largest weight: 52 thousand tokens by 384 numbers for
//! tiny.en, 80 MB in f32. Every pass over many tokens (the timing pass, each rescoring
//! question) multiplies its rows by all of them, and for the few rows of a rescoring question
//! that is reading 80 MB: judging a sonnet spent more time there than in the rest of its 33
//! passes. The model ships them in half precision, so kept so they are the same numbers in half
//! the memory, widened a run of tokens at a time where they are multiplied.
//!
//! They are kept in tiles of [`TILE`] tokens, each tile `[width, TILE]` and contiguous: a
//! token's embedding is a column of its tile, and a tile is written in one place at load
//! (transposing into one `[width, vocabulary]` matrix took longer).

use candle_core::{Layout, Result, Storage};
use half::f16;
use half::slice::HalfFloatSliceExt;
use rayon::prelude::*;

use super::kernels::{self, Right};
use super::step::{Stored, stored};
use crate::layouts::Numbers;

/// Tokens to a tile.
const TILE: usize = 32;

/// Tiles given to one worker at a time: widened, 512 tokens by 384 numbers are 768 KB, which
/// a core's cache holds.
const TILES_PER_TASK: usize = 16;

pub(crate) struct Embeddings {
    /// `[tiles, width, TILE]`; the last tile is padded with zeros.
    tiles: Numbers<f16>,
    vocabulary: usize,
    width: usize,
}

impl Embeddings {
    /// From the embeddings of `vocabulary` tokens, each `width` long, in [`tiled`]'s tiles.
    pub(crate) fn new(tiles: Numbers<f16>, vocabulary: usize, width: usize) -> Result<Embeddings> {
        if tiles.len() != vocabulary.div_ceil(TILE) * width * TILE {
            candle_core::bail!("{} numbers are not the tiles of {vocabulary} embeddings of {width}", tiles.len());
        }
        Ok(Embeddings { tiles, vocabulary, width })
    }

    /// How many tokens there are.
    pub(crate) fn vocabulary(&self) -> usize {
        self.vocabulary
    }

    /// Number `c` of token `token`'s embedding.
    pub(crate) fn at(&self, token: usize, c: usize) -> f32 {
        self.tiles[(token / TILE * self.width + c) * TILE + token % TILE].to_f32()
    }

    /// The logits of `hidden`'s rows (each `width` long, normed): a row of the vocabulary's
    /// size for each. Each worker widens a run of tiles side by side, `[width, its tokens]`,
    /// into a buffer it keeps from one run to the next, and multiplies the rows by them with
    /// the same matrix product as the rest of the decoder, straight into its columns of the
    /// logits. (Products into parts of their own, copied into the logits after, and the
    /// widening a call per 32 numbers, were a tenth of a take's analysis.)
    pub(crate) fn logits(&self, hidden: &[f32]) -> Vec<f32> {
        let (width, vocabulary) = (self.width, self.vocabulary);
        let rows = hidden.len() / width;
        let tiles = vocabulary.div_ceil(TILE);
        let mut logits = vec![0f32; rows * vocabulary];
        let columns = Columns { logits: logits.as_mut_ptr(), rows, vocabulary };
        (0..tiles.div_ceil(TILES_PER_TASK)).into_par_iter().for_each_init(Vec::new, |wide, task| {
            let first = task * TILES_PER_TASK;
            let count = TILES_PER_TASK.min(tiles - first);
            let tokens = count * TILE;
            wide.resize(width * tokens, 0.0);
            widen_tiles(&self.tiles[first * width * TILE..(first + count) * width * TILE], wide, width, tokens);
            columns.multiply_into(first * TILE, tokens, hidden, wide, width);
        });
        logits
    }
}

/// The logits' rows, written by the workers each in its own columns.
struct Columns {
    logits: *mut f32,
    rows: usize,
    vocabulary: usize,
}

// SAFETY: the workers write through the pointer only into the disjoint columns each is given
// (see `Columns::multiply_into`), while `Embeddings::logits`, which owns the buffer, waits.
#[allow(unsafe_code)]
unsafe impl Sync for Columns {}

impl Columns {
    /// Writes the columns `first..first + tokens` (those of them inside the vocabulary) of
    /// `hidden · wide`, `wide` being `[width, tokens]`. The product is computed for all
    /// `tokens` columns, padding included, as it always was (its blocking, and so its sums,
    /// depend on the shape): the last run's padding goes to a part of its own, copied in.
    #[allow(unsafe_code)]
    fn multiply_into(&self, first: usize, tokens: usize, hidden: &[f32], wide: &[f32], width: usize) {
        let (rows, vocabulary) = (self.rows, self.vocabulary);
        assert!(hidden.len() == rows * width && wide.len() == width * tokens && first < vocabulary);
        let kept = tokens.min(vocabulary - first);
        if kept < tokens {
            let mut part = vec![0f32; rows * tokens];
            kernels::multiply(&mut part, hidden, wide, rows, tokens, width, Right::AsIs, 1.0, false);
            for (row, part) in part.chunks_exact(tokens).enumerate() {
                // SAFETY: row `row`'s columns `first..first + kept` lie inside the logits
                // (`first + kept <= vocabulary`), and only this worker writes them.
                let out = unsafe { std::slice::from_raw_parts_mut(self.logits.add(row * vocabulary + first), kept) };
                out.copy_from_slice(&part[..kept]);
            }
            return;
        }
        // SAFETY: the product writes row r's columns first..first + tokens of the logits, inside
        // them as `first + tokens <= vocabulary`, and written by this worker only.
        unsafe {
            let out = self.logits.add(first);
            kernels::multiply_into_rows(out, vocabulary, hidden, wide, rows, tokens, width, Right::AsIs, 1.0, false);
        }
    }
}

/// `tiles` (`[count, width, TILE]`) side by side in `wide` (`[width, count * TILE]`).
#[allow(unsafe_code)]
fn widen_tiles(tiles: &[f16], wide: &mut [f32], width: usize, tokens: usize) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has the features the function is compiled for.
        return unsafe { avx512::widen_tiles(tiles, wide, width, tokens) };
    }
    for (tile, tile_numbers) in tiles.chunks_exact(width * TILE).enumerate() {
        for (c, numbers) in tile_numbers.chunks_exact(TILE).enumerate() {
            numbers.convert_to_f32_slice(&mut wide[c * tokens + tile * TILE..][..TILE]);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use half::f16;

    use super::TILE;

    /// [`super::widen_tiles`] sixteen numbers to an instruction.
    #[target_feature(enable = "avx512f")]
    #[allow(unsafe_code)]
    pub(super) fn widen_tiles(tiles: &[f16], wide: &mut [f32], width: usize, tokens: usize) {
        assert!(TILE == 32 && tiles.len() == width * tokens && wide.len() == width * tokens);
        for (tile, tile_numbers) in tiles.chunks_exact(width * TILE).enumerate() {
            for (c, numbers) in tile_numbers.chunks_exact(TILE).enumerate() {
                let out = &mut wide[c * tokens + tile * TILE..][..TILE];
                // SAFETY: `numbers` holds 32 half-precision numbers (64 bytes) and `out` 32
                // floats; loads and stores are unaligned.
                unsafe {
                    let low = _mm512_cvtph_ps(_mm256_loadu_si256(numbers.as_ptr() as *const __m256i));
                    let high = _mm512_cvtph_ps(_mm256_loadu_si256(numbers.as_ptr().add(16) as *const __m256i));
                    _mm512_storeu_ps(out.as_mut_ptr(), low);
                    _mm512_storeu_ps(out.as_mut_ptr().add(16), high);
                }
            }
        }
    }
}

/// The embeddings as the model stores them, `[vocabulary, width]`, f16 or f32 (rounded to f16:
/// every model Encore installs ships them in f16), in tiles.
pub(crate) fn tiled(storage: &Storage, layout: &Layout, vocabulary: usize, width: usize) -> Result<Vec<f16>> {
    let mut tiles = vec![f16::ZERO; vocabulary.div_ceil(TILE) * width * TILE];
    match stored(storage, layout)? {
        Stored::F16(values) => tile_into(&mut tiles, values, width, |v| v),
        Stored::F32(values) => tile_into(&mut tiles, values, width, f16::from_f32),
    }
    Ok(tiles)
}

/// `tiles` from `values` (`[vocabulary, width]`), a tile to a worker at a time.
fn tile_into<T: Copy + Sync>(tiles: &mut [f16], values: &[T], width: usize, narrow: impl Fn(T) -> f16 + Sync) {
    tiles.par_chunks_mut(width * TILE).zip(values.par_chunks(width * TILE)).for_each(|(tile, values)| {
        for (token, values) in values.chunks_exact(width).enumerate() {
            for (c, &value) in values.iter().enumerate() {
                tile[c * TILE + token] = narrow(value);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use candle_core::{DType, Device, Tensor};

    use super::*;

    #[test]
    fn logits_are_the_hidden_rows_times_each_token_s_embedding() {
        // 1100 tokens: two whole tasks and part of a third, whose last tile is part filled.
        let (vocabulary, width, rows) = (1100, 24, 11);
        let values: Vec<f32> = (0..vocabulary * width).map(|i| ((i as f32) * 0.173).sin()).collect();
        let tensor =
            Tensor::from_slice(&values, (vocabulary, width), &Device::Cpu).unwrap().to_dtype(DType::F16).unwrap();
        let (storage, layout) = tensor.storage_and_layout();
        let tiles = tiled(&storage, layout, vocabulary, width).unwrap();
        let embeddings = Embeddings::new(tiles.into(), vocabulary, width).unwrap();
        let hidden: Vec<f32> = (0..rows * width).map(|i| ((i as f32) * 0.291).cos()).collect();
        let logits = embeddings.logits(&hidden);
        assert_eq!(logits.len(), rows * vocabulary);
        for r in 0..rows {
            for t in 0..vocabulary {
                let expected: f64 = (0..width)
                    .map(|c| hidden[r * width + c] as f64 * f16::from_f32(values[t * width + c]).to_f64())
                    .sum();
                let got = logits[r * vocabulary + t] as f64;
                assert!((got - expected).abs() < 1e-4, "row {r}, token {t}: {got} against {expected}");
            }
        }
        for t in [0, 511, 512, 1099] {
            for c in [0, 5, 23] {
                assert_eq!(embeddings.at(t, c), f16::from_f32(values[t * width + c]).to_f32());
            }
        }
    }
}
