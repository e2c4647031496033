//! `encore transcribe`: the words heard in a recording, with their times.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use encore_listen::ListenOptions;

use super::args::TranscribeArgs;
use super::{model, progress};

pub fn run(args: &TranscribeArgs, explicit_model: Option<&Path>) -> anyhow::Result<()> {
    let started = Instant::now();
    let recogniser = model::recogniser(explicit_model)?;
    let loaded = started.elapsed().as_secs_f64();

    let clock = Instant::now();
    let bar = progress::seconds_bar("reading", 1.0);
    let audio = encore_audio::decode_file(&args.audio, &mut |fraction| bar.set_position((fraction * 10.0) as u64))?;
    bar.finish_and_clear();
    let decoded = clock.elapsed().as_secs_f64();

    let bar = progress::seconds_bar("listening", audio.duration());
    let options = ListenOptions { verbatim: !args.tidy, ..ListenOptions::default() };
    let (transcript, times) = recogniser
        .transcribe(&audio, &options, &mut |p| bar.set_position((p.done * 10.0) as u64))
        .with_context(|| format!("cannot transcribe {}", args.audio.display()))?;
    bar.finish_and_clear();

    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &transcript)?;
        writeln!(out)?;
    } else {
        for word in &transcript.words {
            writeln!(out, "{:>8.2} {:>8.2}  {:<20} {:.2}", word.start, word.end, word.text, word.confidence)?;
        }
        for span in &transcript.unrecognised {
            writeln!(out, "{:>8.2} {:>8.2}  (speech with no word heard: a possible stumble)", span.start, span.end)?;
        }
    }
    if args.profile {
        let mut profile = serde_json::to_value(&times)?;
        profile["load_model"] = loaded.into();
        profile["decode_audio"] = decoded.into();
        profile["total"] = started.elapsed().as_secs_f64().into();
        eprintln!("profile: {profile}");
    }
    Ok(())
}
