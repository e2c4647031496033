//! `encore transcribe`: the words heard in a recording, with their times.

use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use encore_listen::ListenOptions;
use encore_rehearsal::SpeechModel;

use super::args::TranscribeArgs;
use super::progress;

pub fn run(args: &TranscribeArgs, model: &SpeechModel) -> anyhow::Result<()> {
    let started = Instant::now();
    let recogniser = model.load(&mut |message| progress::say(message))?;
    let loaded = started.elapsed().as_secs_f64();

    let clock = Instant::now();
    let bar = progress::seconds_bar("reading", 1.0);
    let audio = encore_audio::decode_file(&args.audio, &mut |fraction| bar.set_position((fraction * 10.0) as u64))?;
    bar.finish_and_clear();
    let decoded = clock.elapsed().as_secs_f64();

    let bar = progress::seconds_bar("listening", audio.duration());
    let options = ListenOptions { verbatim: !args.tidy, ..ListenOptions::default() };
    let (hearing, times) = recogniser
        .transcribe(&audio, &options, &mut |p| bar.set_position((p.done * 10.0) as u64))
        .with_context(|| format!("cannot transcribe {}", args.audio.display()))?;
    bar.finish_and_clear();

    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &hearing)?;
        writeln!(out)?;
    } else {
        for word in &hearing.words {
            writeln!(out, "{:>8.2} {:>8.2}  {:<20} {:.2}", word.start, word.end, word.text, word.confidence)?;
        }
        for span in &hearing.unrecognised {
            writeln!(out, "{:>8.2} {:>8.2}  (speech with no word heard: a possible stumble)", span.start, span.end)?;
        }
    }
    if args.profile {
        super::print_profile(&times, loaded, decoded, started)?;
    }
    Ok(())
}
