//! `encore export`: one stored take's report in the format another tool wants.

use anyhow::Context;
use encore_rehearsal::{RehearsalError, Settings};

use super::args::{ExportArgs, ExportFormat};
use crate::report;

pub fn run(args: &ExportArgs, settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store()?;
    let take = store.take(args.take)?;
    let report = take.report.as_ref().ok_or(RehearsalError::NotAnalyzed { id: take.id })?;
    let script = encore_rehearsal::script_of(store.as_ref(), &take)?;
    let text = match args.format {
        ExportFormat::Json => serde_json::to_string_pretty(report)? + "\n",
        ExportFormat::Csv => report::csv::render(report, &script),
        ExportFormat::Srt => report::subtitles::srt(report, &script),
        ExportFormat::Vtt => report::subtitles::vtt(report, &script),
        ExportFormat::Textgrid => report::textgrid::render(report, &script),
        ExportFormat::Html => {
            let audio = encore_rehearsal::stored_audio(store.as_ref(), &take)
                .with_context(|| format!("cannot read the stored audio of take {}", take.id))?;
            let piece = store.piece(take.piece_id)?;
            report::html::render(report, &script, &audio, &format!("{}, take {}", piece.title, take.id))
        }
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
            super::progress::say(&format!("wrote {}", path.display()));
        }
        None => {
            use std::io::Write;
            std::io::stdout().lock().write_all(text.as_bytes())?;
        }
    }
    Ok(())
}
