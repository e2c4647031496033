//! The network's weights in the layouts its products read, and the prepared file that keeps
//! them beside the model.
//!
//! The installed model holds the weights as Whisper ships them: half precision, each matrix
//! `[outputs, inputs]`. The network reads them otherwise: transposed, widened to f32 for the
//! decoder's passes, in 8 bits for its step, the embeddings in tiles. Making those layouts was
//! most of a load (0.2 s of tiny.en's on two cores), and the shipped copy, read alongside them,
//! most of a take's peak memory. So the first load makes them and writes them to
//! [`PREPARED_FILE`] in the model's directory, and every load after maps that file and reads
//! the layouts where they lie: nothing is made, and nothing is copied.
//!
//! The prepared file is a safetensors file. Its metadata names the layouts' version and the
//! weights it was made from (their file's size and time): a file made by another version of
//! Encore, or from weights since replaced, is made again.

use std::collections::HashMap;
use std::fs::File;
use std::marker::PhantomData;
use std::ops::{Deref, Range};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytemuck::Pod;
use candle_core::{Result, Tensor};
use half::f16;
use safetensors::{Dtype, SafeTensors};

use crate::cpu::embeddings;
use crate::cpu::reading;
use crate::cpu::step;

/// The prepared file's name in a model's directory.
pub const PREPARED_FILE: &str = "prepared.safetensors";

/// Changed whenever a layout changes, so that a file prepared by an older Encore is made again.
const LAYOUTS_VERSION: &str = "1";

/// The weights as the model ships them, by CTranslate2 name: f32, but for the matrices, which
/// may be in half precision as stored (see `ModelFiles::read`).
pub type Weights = HashMap<String, Tensor>;

/// Numbers the network reads: made at this load, or lying in the mapped prepared file.
pub(crate) struct Numbers<T> {
    lie: Lie<T>,
}

enum Lie<T> {
    Made(Arc<Vec<T>>),
    /// `bytes` of `file`, checked when mapped to hold whole, aligned `T`s.
    Mapped {
        file: Arc<memmap2::Mmap>,
        bytes: Range<usize>,
        numbers: PhantomData<T>,
    },
}

impl<T> Clone for Numbers<T> {
    fn clone(&self) -> Self {
        let lie = match &self.lie {
            Lie::Made(numbers) => Lie::Made(numbers.clone()),
            Lie::Mapped { file, bytes, .. } => {
                Lie::Mapped { file: file.clone(), bytes: bytes.clone(), numbers: PhantomData }
            }
        };
        Numbers { lie }
    }
}

impl<T> From<Vec<T>> for Numbers<T> {
    fn from(numbers: Vec<T>) -> Self {
        Numbers { lie: Lie::Made(Arc::new(numbers)) }
    }
}

impl<T: Pod> Deref for Numbers<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match &self.lie {
            Lie::Made(numbers) => numbers,
            Lie::Mapped { file, bytes, .. } => bytemuck::cast_slice(&file[bytes.clone()]),
        }
    }
}

/// The element types of the layouts, as the prepared file names them.
pub(crate) trait Element: Pod + Send + Sync {
    const DTYPE: Dtype;
    fn kept(numbers: Numbers<Self>) -> Kept;
}

/// A layout made at this load, kept to be written to the prepared file.
pub(crate) enum Kept {
    F32(Numbers<f32>),
    F16(Numbers<f16>),
    I8(Numbers<i8>),
}

impl Kept {
    fn bytes(&self) -> &[u8] {
        match self {
            Kept::F32(numbers) => bytemuck::cast_slice(numbers),
            Kept::F16(numbers) => bytemuck::cast_slice(numbers),
            Kept::I8(numbers) => bytemuck::cast_slice(numbers),
        }
    }

    fn dtype(&self) -> Dtype {
        match self {
            Kept::F32(_) => f32::DTYPE,
            Kept::F16(_) => f16::DTYPE,
            Kept::I8(_) => i8::DTYPE,
        }
    }
}

impl Element for f32 {
    const DTYPE: Dtype = Dtype::F32;
    fn kept(numbers: Numbers<f32>) -> Kept {
        Kept::F32(numbers)
    }
}

impl Element for f16 {
    const DTYPE: Dtype = Dtype::F16;
    fn kept(numbers: Numbers<f16>) -> Kept {
        Kept::F16(numbers)
    }
}

impl Element for i8 {
    const DTYPE: Dtype = Dtype::I8;
    fn kept(numbers: Numbers<i8>) -> Kept {
        Kept::I8(numbers)
    }
}

/// A matrix laid out for a product: its numbers and its shape as the model states it
/// (`[outputs, inputs]`), whatever order the numbers are in.
pub(crate) struct Matrix<T> {
    pub(crate) numbers: Numbers<T>,
    pub(crate) outputs: usize,
    pub(crate) inputs: usize,
}

/// A matrix in 8 bits: the numbers, `[outputs, inputs]`, and a scale for each block of them.
pub(crate) struct Quantized {
    pub(crate) quants: Numbers<i8>,
    pub(crate) scales: Numbers<f32>,
    pub(crate) outputs: usize,
    pub(crate) inputs: usize,
}

/// Where loading takes the network's weights from, in the layouts it asks for.
pub struct Layouts {
    source: Source,
}

enum Source {
    /// The model's weights, laid out as each layout is asked for; what is made is kept, to be
    /// written as the prepared file for the loads after this one.
    Making { weights: Weights, kept: Vec<(String, Vec<usize>, Kept)>, made_from: String },
    /// A prepared file, mapped: each layout is found in its index.
    Mapped { file: Arc<memmap2::Mmap>, index: HashMap<String, (Dtype, Vec<usize>, Range<usize>)> },
}

impl Layouts {
    /// Layouts to be made from `weights`, read from `weights_file` (which the prepared file
    /// then records, to be made again when it changes).
    pub fn making(weights: Weights, weights_file: &Path) -> Layouts {
        Layouts { source: Source::Making { weights, kept: Vec::new(), made_from: made_from(weights_file) } }
    }

    /// The layouts prepared in `dir` from the weights in `weights_file`; `None` where there is no
    /// prepared file, or it was made by another version of Encore or from other weights, or it
    /// cannot be read (it is then made again).
    pub fn prepared(dir: &Path, weights_file: &Path) -> Option<Layouts> {
        let file = File::open(dir.join(PREPARED_FILE)).ok()?;
        // SAFETY: a mapped file changed while it is mapped gives wrong numbers or a fault.
        // The prepared file is only ever written whole under another name and renamed into
        // place (see `Layouts::keep_in`), never changed in place; a file renamed over it
        // leaves this mapping on the old one, which lives until the mapping is dropped.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }.ok()?;
        let file = Arc::new(map);
        // Checks the index against the file's length too; the data follow the header's length
        // (eight bytes) and the header.
        let (header, metadata) = SafeTensors::read_metadata(&file).ok()?;
        let stated = metadata.metadata().as_ref()?;
        if stated.get("layouts")?.as_str() != LAYOUTS_VERSION || *stated.get("made_from")? != made_from(weights_file) {
            return None;
        }
        let data = 8 + header;
        let index = metadata
            .tensors()
            .into_iter()
            .map(|(name, info)| {
                let (from, to) = info.data_offsets;
                (name, (info.dtype, info.shape.clone(), data + from..data + to))
            })
            .collect();
        Some(Layouts { source: Source::Mapped { file, index } })
    }

    /// Whether these layouts are being made (rather than mapped from a prepared file).
    pub fn are_made(&self) -> bool {
        matches!(self.source, Source::Making { .. })
    }

    /// Writes the layouts made at this load to the prepared file in `dir`, for the loads after
    /// this one to map. Written under another name and renamed into place, so that a load
    /// meanwhile, or a crash, never meets half a file. Nothing is written where the layouts were
    /// mapped.
    pub fn keep_in(&self, dir: &Path) -> std::result::Result<(), String> {
        let Source::Making { kept, made_from, .. } = &self.source else {
            return Ok(());
        };
        let views = kept
            .iter()
            .map(|(name, shape, kept)| {
                let view = safetensors::tensor::TensorView::new(kept.dtype(), shape.clone(), kept.bytes());
                view.map(|view| (name.clone(), view)).map_err(|e| format!("{name}: {e}"))
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let metadata = HashMap::from([
            ("layouts".to_string(), LAYOUTS_VERSION.to_string()),
            ("made_from".into(), made_from.clone()),
        ]);
        let unique = format!(".{PREPARED_FILE}.{}-{:?}", std::process::id(), std::thread::current().id());
        let partial: PathBuf = dir.join(unique.replace(|c: char| !c.is_ascii_alphanumeric() && c != '.', "-"));
        let written = safetensors::serialize_to_file(views, Some(metadata), &partial)
            .map_err(|e| e.to_string())
            .and_then(|()| std::fs::rename(&partial, dir.join(PREPARED_FILE)).map_err(|e| e.to_string()));
        if written.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        written
    }

    /// A weight as stored, in f32, with its shape: norms, biases, convolutions, positions.
    pub(crate) fn plain(&mut self, name: &str) -> Result<(Numbers<f32>, Vec<usize>)> {
        self.plain_if_any(name)?.ok_or_else(|| missing(name))
    }

    /// [`Layouts::plain`], or `None` where the model has no such weight (a layer without bias).
    pub(crate) fn plain_if_any(&mut self, name: &str) -> Result<Option<(Numbers<f32>, Vec<usize>)>> {
        self.layout(name, name, |weight| {
            let shape = weight.dims().to_vec();
            Ok((weight.to_dtype(candle_core::DType::F32)?.flatten_all()?.to_vec1::<f32>()?, shape))
        })
    }

    /// A matrix transposed, `[inputs, outputs]`, in f32.
    pub(crate) fn transposed(&mut self, name: &str) -> Result<Matrix<f32>> {
        self.transposed_as(name, "transposed", reading::transposed)
    }

    /// A matrix transposed, `[inputs, outputs]`, in half precision.
    pub(crate) fn transposed_half(&mut self, name: &str) -> Result<Matrix<f16>> {
        self.transposed_as(name, "transposed-half", reading::transposed_half)
    }

    fn transposed_as<T: Element>(
        &mut self,
        name: &str,
        layout: &str,
        transpose: impl FnOnce(&candle_core::Storage, &candle_core::Layout, usize, usize) -> Result<Vec<T>>,
    ) -> Result<Matrix<T>> {
        let (numbers, shape) = self
            .layout(name, &format!("{name}@{layout}"), |weight| {
                let (outputs, inputs) = weight.dims2()?;
                let (storage, layout) = weight.storage_and_layout();
                Ok((transpose(&storage, layout, outputs, inputs)?, vec![inputs, outputs]))
            })?
            .ok_or_else(|| missing(name))?;
        let [inputs, outputs] = shape[..] else { candle_core::bail!("{name} is not a matrix") };
        Ok(Matrix { numbers, outputs, inputs })
    }

    /// A matrix in 8 bits, as the decoder's step reads it.
    pub(crate) fn quantized(&mut self, name: &str) -> Result<Quantized> {
        let mut scales = None;
        let (quants, shape) = self
            .layout(name, &format!("{name}@int8"), |weight| {
                let (quants, made_scales) = step::quantized(weight)?;
                scales = Some(made_scales);
                Ok((quants, weight.dims().to_vec()))
            })?
            .ok_or_else(|| missing(name))?;
        let (scales, _) = self
            .layout(name, &format!("{name}@int8-scales"), |weight| {
                let (outputs, inputs) = weight.dims2()?;
                Ok((scales.take().expect("made with the numbers"), vec![outputs, inputs / step::BLOCK]))
            })?
            .ok_or_else(|| missing(name))?;
        let [outputs, inputs] = shape[..] else { candle_core::bail!("{name} is not a matrix") };
        Ok(Quantized { quants, scales, outputs, inputs })
    }

    /// The token embeddings in tiles (see [`crate::cpu::embeddings`]): `outputs` counts the
    /// tiles' rows, padded to whole tiles, and `inputs` is the width.
    pub(crate) fn tiled(&mut self, name: &str) -> Result<Matrix<f16>> {
        let (numbers, shape) = self
            .layout(name, &format!("{name}@tiles"), |weight| {
                let (vocabulary, width) = weight.dims2()?;
                let (storage, layout) = weight.storage_and_layout();
                let tiles = embeddings::tiled(&storage, layout, vocabulary, width)?;
                let rows = tiles.len() / width;
                Ok((tiles, vec![rows, width]))
            })?
            .ok_or_else(|| missing(name))?;
        let [outputs, inputs] = shape[..] else { candle_core::bail!("{name} is not a matrix") };
        Ok(Matrix { numbers, outputs, inputs })
    }

    /// The layout `key` of the weight `name`: found in the prepared file, or made from the
    /// weight by `make` (`None` where the model has no such weight).
    fn layout<T: Element>(
        &mut self,
        name: &str,
        key: &str,
        make: impl FnOnce(&Tensor) -> Result<(Vec<T>, Vec<usize>)>,
    ) -> Result<Option<(Numbers<T>, Vec<usize>)>> {
        match &mut self.source {
            Source::Making { weights, kept, .. } => {
                let Some(weight) = weights.get(name) else { return Ok(None) };
                let (numbers, shape) = make(weight)?;
                let numbers = Numbers::from(numbers);
                kept.push((key.to_string(), shape.clone(), T::kept(numbers.clone())));
                Ok(Some((numbers, shape)))
            }
            Source::Mapped { file, index } => {
                let Some((dtype, shape, bytes)) = index.get(key) else { return Ok(None) };
                if *dtype != T::DTYPE {
                    candle_core::bail!("the prepared {key} is {dtype:?}, not {:?}", T::DTYPE);
                }
                // Checked once here, so that reading the numbers never fails.
                if bytemuck::try_cast_slice::<u8, T>(&file[bytes.clone()]).is_err() {
                    candle_core::bail!("the prepared {key} does not lie aligned in its file");
                }
                let lie = Lie::Mapped { file: file.clone(), bytes: bytes.clone(), numbers: PhantomData };
                Ok(Some((Numbers { lie }, shape.clone())))
            }
        }
    }
}

fn missing(name: &str) -> candle_core::Error {
    candle_core::Error::Msg(format!("the model has no weight {name}"))
}

/// What a prepared file records of the weights it was made from: their file's name, size and
/// time of change.
fn made_from(weights_file: &Path) -> String {
    let name = weights_file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (size, changed) = std::fs::metadata(weights_file)
        .map(|m| {
            let changed = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
            (m.len(), changed.map(|d| d.as_nanos()).unwrap_or(0))
        })
        .unwrap_or((0, 0));
    format!("{name} {size} {changed}")
}

#[cfg(test)]
mod tests {
    use candle_core::{DType, Device};

    use super::*;

    /// Two small matrices in half precision, a bias and some token embeddings, as a model
    /// ships them, in `dir`'s weights file.
    fn shipped(dir: &Path) -> (Weights, PathBuf) {
        let numbers = |count: usize, seed: f32| (0..count).map(|i| (i as f32 * seed).sin()).collect::<Vec<f32>>();
        let matrix = |rows, columns, seed| {
            Tensor::from_vec(numbers(rows * columns, seed), (rows, columns), &Device::Cpu).unwrap()
        };
        let weights = Weights::from([
            ("layer/weight".to_string(), matrix(48, 64, 0.37).to_dtype(DType::F16).unwrap()),
            ("layer/bias".to_string(), Tensor::from_vec(numbers(48, 0.11), 48, &Device::Cpu).unwrap()),
            ("embeddings/weight".to_string(), matrix(70, 32, 0.53).to_dtype(DType::F16).unwrap()),
        ]);
        let file = dir.join("model.safetensors");
        candle_core::safetensors::save(&weights, &file).unwrap();
        (weights, file)
    }

    /// Every layout loading asks for, as bytes, in one order.
    fn every_layout(layouts: &mut Layouts) -> Vec<Vec<u8>> {
        let bytes = |numbers: &[u8]| numbers.to_vec();
        let transposed = layouts.transposed("layer/weight").unwrap();
        let half = layouts.transposed_half("layer/weight").unwrap();
        let quantized = layouts.quantized("layer/weight").unwrap();
        let tiles = layouts.tiled("embeddings/weight").unwrap();
        let (bias, _) = layouts.plain("layer/bias").unwrap();
        assert_eq!((transposed.inputs, transposed.outputs), (64, 48));
        assert_eq!((quantized.inputs, quantized.outputs), (64, 48));
        assert!(layouts.plain_if_any("layer/no such bias").unwrap().is_none());
        vec![
            bytes(bytemuck::cast_slice(&transposed.numbers)),
            bytes(bytemuck::cast_slice(&half.numbers)),
            bytes(bytemuck::cast_slice(&quantized.quants)),
            bytes(bytemuck::cast_slice(&quantized.scales)),
            bytes(bytemuck::cast_slice(&tiles.numbers)),
            bytes(bytemuck::cast_slice(&bias)),
        ]
    }

    #[test]
    fn the_prepared_file_gives_back_what_was_made() {
        let dir = tempfile::tempdir().unwrap();
        let (weights, file) = shipped(dir.path());
        assert!(Layouts::prepared(dir.path(), &file).is_none(), "nothing is prepared yet");
        let mut making = Layouts::making(weights, &file);
        let made = every_layout(&mut making);
        making.keep_in(dir.path()).unwrap();
        let mut mapped = Layouts::prepared(dir.path(), &file).expect("the kept layouts are mapped");
        assert!(!mapped.are_made());
        assert_eq!(every_layout(&mut mapped), made);
    }

    #[test]
    fn layouts_prepared_from_other_weights_are_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let (weights, file) = shipped(dir.path());
        let making = {
            let mut making = Layouts::making(weights, &file);
            every_layout(&mut making);
            making
        };
        making.keep_in(dir.path()).unwrap();
        let mut replaced = std::fs::read(&file).unwrap();
        replaced.extend([b' '; 8]);
        std::fs::write(&file, replaced).unwrap();
        assert!(Layouts::prepared(dir.path(), &file).is_none());
    }
}
