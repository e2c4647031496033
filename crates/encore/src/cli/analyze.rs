//! `encore analyze`: a take against its script. Reads the script first and the audio next, so
//! that a wrong file is reported in a second rather than after the model has loaded; then
//! analyses (see `pipeline`) and prints the report as the script with every verdict, as JSON,
//! and optionally as an HTML page.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use encore_rehearsal::SpeechModel;
use encore_script::Script;

use super::args::AnalyzeArgs;
use super::progress;
use crate::report;

pub fn run(args: &AnalyzeArgs, model: &SpeechModel) -> anyhow::Result<()> {
    super::refuse_video(args.video.as_deref(), None)?;
    let started = Instant::now();
    let script = read_script(&args.script)?;

    let clock = Instant::now();
    let bar = progress::seconds_bar("reading", 1.0);
    let audio = encore_audio::decode_file(&args.audio, &mut |fraction| bar.set_position((fraction * 10.0) as u64))?;
    bar.finish_and_clear();
    let decoded = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    let recogniser = model.load(&mut |message| progress::say(message))?;
    let loaded = clock.elapsed().as_secs_f64();
    let bar = progress::seconds_bar("listening", audio.duration());
    let judgement = encore_rehearsal::judge(&recogniser, &script, &audio, &mut |done| {
        bar.set_position((done * audio.duration() * 10.0) as u64)
    })
    .with_context(|| format!("cannot listen to {}", args.audio.display()))?;
    let take = judgement.report;
    bar.finish_and_clear();

    if let Some(path) = &args.html {
        let title = args.audio.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let page = report::html::render(&take, &script, &audio, &title);
        std::fs::write(path, page).with_context(|| format!("cannot write the HTML report to {}", path.display()))?;
        progress::say(&format!("wrote {}", path.display()));
    }

    super::print_report(&take, &script, args.json, None)?;
    if args.profile {
        super::print_profile(&judgement.times, loaded, decoded, started)?;
    }
    Ok(())
}

/// Reads and parses the script, naming the file in every error.
fn read_script(path: &Path) -> anyhow::Result<Script> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read the script {}", path.display()))?;
    Script::from_bytes(&bytes).with_context(|| format!("cannot use {} as the script", path.display()))
}
