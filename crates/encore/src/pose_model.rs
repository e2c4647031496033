//! The camera's pose model: MoveNet Lightning, run in the stage's page by the `human` library on
//! TensorFlow.js's WebAssembly backend (on two cores it reads a frame in about 25 ms, where
//! WebGL, drawn in software without a GPU, takes over 400). Installed on first use with npm, as
//! the speech model is with pip, into Encore's model cache, and served by the stage itself: the
//! page loads nothing from elsewhere.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The packages, at the versions the page was measured with.
const PACKAGES: [(&str, &str); 2] =
    [("human", "@vladmandic/human@3.3.6"), ("tfjs-backend-wasm", "@tensorflow/tfjs-backend-wasm@4.22.0")];

/// Each file the page may ask for: its name under `/pose/`, the package it comes from and its
/// path in that package's tarball, and its content type.
pub const FILES: &[(&str, &str, &str, &str)] = &[
    ("human.esm.js", "human", "package/dist/human.esm.js", "text/javascript; charset=utf-8"),
    ("movenet-lightning.json", "human", "package/models/movenet-lightning.json", "application/json"),
    ("movenet-lightning.bin", "human", "package/models/movenet-lightning.bin", "application/octet-stream"),
    ("LICENSE", "human", "package/LICENSE", "text/plain; charset=utf-8"),
    ("tfjs-backend-wasm.wasm", "tfjs-backend-wasm", "package/dist/tfjs-backend-wasm.wasm", WASM),
    ("tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm", "package/dist/tfjs-backend-wasm-simd.wasm", WASM),
    (
        "tfjs-backend-wasm-threaded-simd.wasm",
        "tfjs-backend-wasm",
        "package/dist/tfjs-backend-wasm-threaded-simd.wasm",
        WASM,
    ),
];

const WASM: &str = "application/wasm";

/// Where the pose model is kept: beside the speech models.
pub fn dir() -> PathBuf {
    encore_listen::models_dir().join("pose-movenet-lightning")
}

/// Whether every file the page needs is there.
pub fn is_installed(dir: &Path) -> bool {
    FILES.iter().all(|(name, ..)| dir.join(name).is_file())
}

/// The pose model's folder, installed first if it is not there (or `force`). Like the speech
/// model's, the folder is complete or absent: the files are gathered beside it and renamed into
/// place. Returns whether it installed.
pub fn install(force: bool, say: &mut dyn FnMut(&str)) -> anyhow::Result<bool> {
    let dir = dir();
    if is_installed(&dir) && !force {
        return Ok(false);
    }
    say("installing the camera's pose model (MoveNet, about 7 MB kept) with npm");
    let parent = dir.parent().context("the model cache has no parent folder")?;
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let work = parent.join(format!(".pose-install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let gathered = gather(&work);
    let placed = gathered.and_then(|files| {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&files, &dir).with_context(|| format!("cannot move the pose model into {}", dir.display()))
    });
    let _ = std::fs::remove_dir_all(&work);
    placed?;
    say(&format!("the pose model is in {}", dir.display()));
    Ok(true)
}

/// Fetches the packages into `work` and copies the page's files into `work/files`.
fn gather(work: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(work).with_context(|| format!("cannot create {}", work.display()))?;
    let specs: Vec<&str> = PACKAGES.iter().map(|(_, spec)| *spec).collect();
    let packed =
        Command::new("npm").args(["pack", "--json", "--silent", "--pack-destination"]).arg(work).args(&specs).output();
    let packed = match packed {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            bail!("npm was not found; install Node.js with npm (on Debian: apt-get install npm) and try again")
        }
        Err(error) => return Err(error).context("cannot run npm"),
    };
    if !packed.status.success() {
        bail!(
            "npm could not fetch the pose model ({}); check the network and try again",
            String::from_utf8_lossy(&packed.stderr).trim()
        );
    }
    let listing: serde_json::Value =
        serde_json::from_slice(&packed.stdout).context("npm pack said something unexpected")?;
    let files = work.join("files");
    std::fs::create_dir_all(&files)?;
    for (package, spec) in PACKAGES {
        let tarball = listing
            .as_array()
            .into_iter()
            .flatten()
            .find(|entry| spec.starts_with(entry["name"].as_str().unwrap_or("\u{0}")))
            .and_then(|entry| entry["filename"].as_str())
            .with_context(|| format!("npm did not fetch {spec}"))?;
        let unpacked = work.join(package);
        std::fs::create_dir_all(&unpacked)?;
        let members: Vec<&str> = FILES.iter().filter(|f| f.1 == package).map(|f| f.2).collect();
        let status = Command::new("tar")
            .arg("-xzf")
            .arg(work.join(tarball))
            .arg("-C")
            .arg(&unpacked)
            .args(&members)
            .status()
            .context("cannot run tar to unpack the pose model")?;
        if !status.success() {
            bail!("{spec} did not hold the files the camera needs");
        }
        for (name, _, path, _) in FILES.iter().filter(|f| f.1 == package) {
            std::fs::copy(unpacked.join(path), files.join(name)).with_context(|| format!("{spec} has no {path}"))?;
        }
    }
    Ok(files)
}
