//! `encore take` and `encore reanalyze`: takes kept in the store and analysed.
//!
//! The order of `take` is what makes it safe to kill at any moment: the audio is checked, then
//! copied into the store (atomically, by content hash), then the take's row is added, and only
//! then is it analysed and the report saved. A take interrupted after its row exists is kept
//! without a report, and `encore reanalyze` finishes it.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use encore_align::TakeReport;
use encore_audio::Audio;
use encore_listen::Recogniser;
use encore_script::Script;
use encore_store::{NewTake, Store, Take};

use super::args::{ReanalyzeArgs, TakeArgs};
use super::{model, progress, store};
use crate::{pipeline, report};

pub fn run_take(args: &TakeArgs, data: Option<&Path>, explicit_model: Option<&Path>) -> anyhow::Result<()> {
    let store = store::open(data)?;
    let piece = store::piece(&store, &args.piece)?;
    let script = Script::parse(&piece.script.text)?;

    let name = args.audio.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let bytes = std::fs::read(&args.audio).map_err(|error| encore_audio::AudioError::reading(&args.audio, error))?;
    // A file that cannot be heard is refused before anything is kept.
    let audio = encore_audio::decode_bytes(bytes.clone(), &name, &mut |_| {})
        .with_context(|| format!("cannot use {} as a take", args.audio.display()))?;
    let extension =
        args.audio.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_else(|| "audio".into());
    let stored = store.save_audio(&bytes, &extension)?;
    let take = store.add_take(&NewTake {
        piece_id: piece.id,
        script_version_id: piece.script.id,
        audio: &stored,
        source_name: name,
        duration: Some(audio.duration()),
    })?;
    progress::say(&format!("kept take {} of \"{}\"; analysing it", take.id, piece.title));

    let report = analyse_and_save(&store, &take, &script, &audio, explicit_model).with_context(|| {
        format!("take {} is kept; analyse it later with: encore reanalyze --take {}", take.id, take.id)
    })?;

    let earlier: Vec<TakeReport> =
        store.takes(piece.id)?.into_iter().filter(|t| t.id < take.id).filter_map(|t| t.report).collect();
    let earlier: Vec<&TakeReport> = earlier.iter().collect();
    let standing = encore_coach::standing(&report, &earlier);
    let score = encore_coach::TakeScore::of(&report);

    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        out.write_all(report::terminal::render(&report, &script, report::terminal::colour_on_stdout()).as_bytes())?;
        writeln!(out)?;
        writeln!(out, "Take {}: {}.", take.id, standing.describe(&score))?;
    }
    out.flush()?;
    Ok(())
}

pub fn run_reanalyze(args: &ReanalyzeArgs, data: Option<&Path>, explicit_model: Option<&Path>) -> anyhow::Result<()> {
    let store = store::open(data)?;
    let takes: Vec<Take> = if let Some(id) = args.take {
        vec![store::take(&store, id)?]
    } else if let Some(piece) = &args.piece {
        store.takes(store::piece(&store, piece)?.id)?
    } else if args.all {
        store.all_takes()?
    } else {
        store.all_takes()?.into_iter().filter(|t| t.report.is_none()).collect()
    };
    if takes.is_empty() {
        progress::say(if args.piece.is_some() || args.all {
            "no takes to analyse"
        } else {
            "every take has its report; name a piece, a --take or --all to analyse again"
        });
        return Ok(());
    }
    let recogniser = model::recogniser(explicit_model)?;
    let mut failed = 0;
    for (number, take) in takes.iter().enumerate() {
        progress::say(&format!("analysing take {} ({} of {})", take.id, number + 1, takes.len()));
        let result = (|| {
            let script = store::script_of(&store, take)?;
            let audio = encore_audio::decode_file(&take.audio.path, &mut |_| {})?;
            analyse_with(&store, take, &script, &audio, &recogniser)
        })();
        if let Err(error) = result {
            failed += 1;
            progress::say(&format!("take {}: {error:#}", take.id));
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} takes could not be analysed (see above)", takes.len());
    }
    println!("Analysed {} takes.", takes.len());
    Ok(())
}

fn analyse_and_save(
    store: &Store,
    take: &Take,
    script: &Script,
    audio: &Audio,
    explicit_model: Option<&Path>,
) -> anyhow::Result<TakeReport> {
    let recogniser = model::recogniser(explicit_model)?;
    analyse_with(store, take, script, audio, &recogniser)
}

/// Analyses a stored take and saves its report.
fn analyse_with(
    store: &Store,
    take: &Take,
    script: &Script,
    audio: &Audio,
    recogniser: &Recogniser,
) -> anyhow::Result<TakeReport> {
    let bar = progress::seconds_bar("listening", audio.duration());
    let report = pipeline::analyse(recogniser, script, audio, &mut |done| {
        bar.set_position((done * audio.duration() * 10.0) as u64)
    })?;
    bar.finish_and_clear();
    store.save_report(take.id, &report, &pipeline::analyser(recogniser))?;
    Ok(report)
}
