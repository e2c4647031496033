//! `encore piece`: the pieces a performer rehearses, each a title and a script.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use encore_script::Script;
use serde::Serialize;

use encore_rehearsal::Settings;

use super::args::PieceCommand;
use super::format::{minutes, when};

pub fn run(command: &PieceCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store()?;
    let mut out = std::io::stdout().lock();
    match command {
        PieceCommand::Add { title, script } => {
            let text = read_script(script)?;
            let piece = store.add_piece(title, &text)?;
            let words = Script::parse(&text)?.len();
            writeln!(out, "Added \"{}\" (piece {}, {words} words).", piece.title, piece.id)?;
            writeln!(out, "Record yourself reading it, then: encore take \"{}\" RECORDING", piece.title)?;
        }
        PieceCommand::List { json } => {
            let pieces = store.pieces()?;
            if *json {
                let listed: Vec<ListedPiece> = pieces
                    .iter()
                    .map(|p| ListedPiece {
                        id: p.piece.id,
                        title: &p.piece.title,
                        script_version: p.piece.script.version,
                        takes: p.takes,
                        last_take_at: p.last_take_at,
                        best_accuracy: p.best_accuracy,
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut out, &listed)?;
                writeln!(out)?;
            } else if pieces.is_empty() {
                writeln!(out, "No pieces yet. Add one: encore piece add TITLE --script FILE")?;
            } else {
                writeln!(out, "{:>4}  {:<32} {:>6}  {:<16}  {:>5}", "#", "title", "takes", "last take", "best")?;
                for p in &pieces {
                    let last = p.last_take_at.map(when).unwrap_or_else(|| "-".into());
                    let best = p.best_accuracy.map(|a| format!("{:.0}%", a * 100.0)).unwrap_or_else(|| "-".into());
                    writeln!(
                        out,
                        "{:>4}  {:<32} {:>6}  {:<16}  {:>5}",
                        p.piece.id, p.piece.title, p.takes, last, best
                    )?;
                }
            }
        }
        PieceCommand::Show { piece } => {
            let piece = store.find_piece(piece)?;
            let takes = store.takes(piece.id)?;
            writeln!(out, "{} (piece {}, script version {})", piece.title, piece.id, piece.script.version)?;
            writeln!(out)?;
            for (number, line) in piece.script.text.lines().enumerate() {
                writeln!(out, "{:>4}  {line}", number + 1)?;
            }
            writeln!(out)?;
            match takes.last() {
                None => writeln!(out, "No takes yet: encore take \"{}\" RECORDING", piece.title)?,
                Some(last) => writeln!(
                    out,
                    "{} takes, the last on {} ({}). See them with: encore history \"{}\"",
                    takes.len(),
                    when(last.recorded_at),
                    last.duration.map(minutes).unwrap_or_default(),
                    piece.title
                )?,
            }
        }
        PieceCommand::Edit { piece, script, title } => {
            let mut piece = store.find_piece(piece)?;
            if script.is_none() && title.is_none() {
                anyhow::bail!("nothing to change: give --script FILE, --title TITLE or both");
            }
            if let Some(title) = title {
                piece = store.rename_piece(piece.id, title)?;
                writeln!(out, "Renamed piece {} to \"{}\".", piece.id, piece.title)?;
            }
            if let Some(script) = script {
                let text = read_script(script)?;
                let version = encore_rehearsal::edit_script(store.as_ref(), &piece, &text)?;
                if version.id == piece.script.id {
                    writeln!(out, "The script of \"{}\" is unchanged.", piece.title)?;
                } else {
                    writeln!(
                        out,
                        "\"{}\" now has script version {}; earlier takes keep the version they were read from.",
                        piece.title, version.version
                    )?;
                }
            }
        }
        PieceCommand::Remove { piece, yes } => {
            let piece = store.find_piece(piece)?;
            let takes = store.takes(piece.id)?.len();
            if !yes
                && !confirm(&format!(
                    "Remove \"{}\" and its {takes} takes? This cannot be undone. [y/N] ",
                    piece.title
                ))?
            {
                writeln!(out, "Kept \"{}\".", piece.title)?;
                return Ok(());
            }
            store.remove_piece(piece.id)?;
            writeln!(out, "Removed \"{}\" and its {takes} takes.", piece.title)?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct ListedPiece<'a> {
    id: i64,
    title: &'a str,
    script_version: u32,
    takes: usize,
    last_take_at: Option<i64>,
    best_accuracy: Option<f64>,
}

/// Reads a script file and checks that it is one, before anything is stored.
fn read_script(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read the script {}", path.display()))?;
    Script::from_bytes(&bytes).with_context(|| format!("cannot use {} as the script", path.display()))?;
    Ok(String::from_utf8(bytes).expect("a parsed script is UTF-8"))
}

/// Asks on the terminal; without one, refuses and says how to go on.
fn confirm(question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("not removing without a terminal to ask on; add --yes to remove without asking");
    }
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}
