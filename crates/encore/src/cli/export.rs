//! `encore export`: one stored take's report in the format another tool wants.

use std::path::Path;

use anyhow::Context;

use super::args::{ExportArgs, ExportFormat};
use super::store;
use crate::report;

pub fn run(args: &ExportArgs, data: Option<&Path>) -> anyhow::Result<()> {
    let store = store::open(data)?;
    let take = store::take(&store, args.take)?;
    let report = take.report.as_ref().with_context(|| {
        format!("take {} has no report yet; analyse it with: encore reanalyze --take {}", take.id, take.id)
    })?;
    let script = store::script_of(&store, &take)?;
    let text = match args.format {
        ExportFormat::Json => serde_json::to_string_pretty(report)? + "\n",
        ExportFormat::Csv => report::csv::render(report, &script),
        ExportFormat::Srt => report::subtitles::srt(report, &script),
        ExportFormat::Vtt => report::subtitles::vtt(report, &script),
        ExportFormat::Textgrid => report::textgrid::render(report, &script),
        ExportFormat::Html => {
            let audio = encore_audio::decode_file(&take.audio.path, &mut |_| {})
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
