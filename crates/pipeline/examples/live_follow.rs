//! Plays a recording into a live take in real time, as the stage's microphone would, and
//! measures the prompter: how long after a word ended it was highlighted, whether it was the
//! right word, and how long the report took once the take stopped.
//!
//! cargo run --release -p encore-pipeline --example live_follow -- AUDIO SCRIPT [--pause SECONDS]
//!
//! `--pause` plays that much silence after the recording before stopping, as a performer
//! pauses before pressing stop (default 0: stopped on the last word). With
//! `LIVE_FOLLOW_WORDS=1` it also prints, for each script word, its times and when it was lit.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use encore_audio::{samples_in, seconds};
use encore_pipeline::{Follow, LiveTake};

/// The stage's AudioWorklet sends about this much audio per message.
const CHUNK_SECONDS: f64 = 0.1;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [audio_path, script_path, rest @ ..] = args.as_slice() else {
        anyhow::bail!("usage: live_follow AUDIO SCRIPT [--pause SECONDS]");
    };
    let pause: f64 = match rest {
        [] => 0.0,
        [flag, seconds] if flag == "--pause" => seconds.parse().context("--pause takes seconds")?,
        _ => anyhow::bail!("usage: live_follow AUDIO SCRIPT [--pause SECONDS]"),
    };
    let audio = encore_audio::decode_file(audio_path.as_ref(), &mut |_| {})?;
    let script_text = std::fs::read_to_string(script_path).with_context(|| format!("cannot read {script_path}"))?;
    let script = encore_script::Script::parse(&script_text)?;
    let model = encore_listen::default_model_dir();
    let recogniser = Arc::new(encore_listen::Recogniser::load(&model)?);

    let pushed = Arc::new(AtomicUsize::new(0));
    let follows: Arc<Mutex<Vec<(Follow, f64)>>> = Arc::default();
    let on_follow = {
        let (pushed, follows) = (pushed.clone(), follows.clone());
        Box::new(move |follow: Follow| {
            let recorded = seconds(pushed.load(Ordering::SeqCst));
            follows.lock().unwrap().push((follow, recorded));
        })
    };
    let live = LiveTake::start(recogniser, script, on_follow);
    let mut pcm: Vec<i16> = audio.samples.iter().map(|&s| (s * 32767.0).clamp(-32768.0, 32767.0) as i16).collect();
    pcm.extend(std::iter::repeat_n(0, samples_in(pause)));
    let chunk = samples_in(CHUNK_SECONDS);
    let clock = Instant::now();
    for (k, piece) in pcm.chunks(chunk).enumerate() {
        let due = Duration::from_secs_f64((k + 1) as f64 * CHUNK_SECONDS);
        if let Some(wait) = due.checked_sub(clock.elapsed()) {
            std::thread::sleep(wait);
        }
        live.push(piece);
        pushed.fetch_add(piece.len(), Ordering::SeqCst);
    }
    let stopped = Instant::now();
    let finished = live.finish()?;
    let report = finished.report;
    let report_seconds = stopped.elapsed().as_secs_f64();

    let follows = follows.lock().unwrap();
    let moves: Vec<&(Follow, f64)> = follows.iter().filter(|(f, _)| f.moved).collect();
    // The report's own times say when each script word really ended. A word is lit when the
    // prompter reaches it or passes it (a jump lights the words it passes as said).
    let mut latency = Vec::new();
    let mut early = 0;
    for word in &report.words {
        let (Some(index), Some(start), Some(end)) = (word.script_index, word.start, word.end) else { continue };
        if let Some((_, lit)) = moves.iter().find(|(f, _)| f.index >= index) {
            latency.push(lit - end);
            if std::env::var_os("LIVE_FOLLOW_WORDS").is_some() {
                eprintln!("{index} {:?} {start:.2}-{end:.2} lit {lit:.2}", word.text);
            }
            early += usize::from(*lit < start);
        }
    }
    latency.sort_by(f64::total_cmp);
    let reached = moves.last().map_or(0, |(f, _)| f.index + 1);
    let at = |q: f64| latency.get(((latency.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN);
    let within = latency.iter().filter(|&&l| l <= 0.5).count();
    println!(
        "take: {:.1} s and {pause:.1} s of quiet, {} script words, {} follower passes",
        audio.duration(),
        report.script.words,
        follows.len()
    );
    println!("prompter moves: {}, reached word {} of {}", moves.len(), reached, report.script.words);
    println!(
        "word lit after it ended (seconds of audio): median {:.2}, p90 {:.2}, max {:.2}; within 0.5 s: {}/{}",
        at(0.5),
        at(0.9),
        at(1.0),
        within,
        latency.len()
    );
    println!("words lit before they were begun: {early}");
    println!(
        "report ready {:.2} s after stop ({}); accuracy {:.1}%",
        report_seconds,
        if finished.heard_before_stop { "heard to the end before the stop" } else { "the rest heard at the stop" },
        report.summary.accuracy * 100.0
    );
    Ok(())
}
