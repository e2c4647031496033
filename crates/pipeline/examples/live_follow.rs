//! Plays a recording into a live take in real time, as the stage's microphone would, and
//! measures the prompter: how long after a word ended it was highlighted, whether it was the
//! right word, and how long the report took once the take stopped.
//!
//! cargo run --release -p encore-pipeline --example live_follow -- AUDIO SCRIPT [--threads N]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use encore_audio::SAMPLE_RATE;
use encore_pipeline::{Follow, LiveTake};

/// The stage's AudioWorklet sends about this much audio per message.
const CHUNK_SECONDS: f64 = 0.1;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [audio_path, script_path, ..] = args.as_slice() else {
        anyhow::bail!("usage: live_follow AUDIO SCRIPT");
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
            let recorded = pushed.load(Ordering::SeqCst) as f64 / SAMPLE_RATE as f64;
            follows.lock().unwrap().push((follow, recorded));
        })
    };
    let live = LiveTake::start(recogniser, script, on_follow);
    let pcm: Vec<i16> = audio.samples.iter().map(|&s| (s * 32767.0).clamp(-32768.0, 32767.0) as i16).collect();
    let chunk = (CHUNK_SECONDS * SAMPLE_RATE as f64) as usize;
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
    let (_, report) = live.finish()?;
    let report_seconds = stopped.elapsed().as_secs_f64();

    let follows = follows.lock().unwrap();
    let moves: Vec<&(Follow, f64)> = follows.iter().filter(|(f, _)| f.moved).collect();
    let mut latency: Vec<f64> = moves.iter().map(|(f, recorded)| recorded - f.heard_at).collect();
    latency.sort_by(f64::total_cmp);
    // The report's own times say when each script word really ended.
    let ends: Vec<Option<f64>> = {
        let mut ends = vec![None; report.script.words];
        for word in &report.words {
            if let (Some(i), Some(end)) = (word.script_index, word.end) {
                ends[i] = Some(end);
            }
        }
        ends
    };
    let mut placed = 0;
    let mut checked = 0;
    for (follow, recorded) in &moves {
        // Right when the highlighted word had been said (by the report's account) by then.
        if let Some(end) = ends[follow.index] {
            checked += 1;
            placed += usize::from((end - 0.3..=recorded + 0.3).contains(&follow.heard_at.max(end)) && end <= *recorded + 0.3);
        }
    }
    let reached = moves.last().map_or(0, |(f, _)| f.index + 1);
    let at = |q: f64| latency.get(((latency.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN);
    println!("take: {:.1} s, {} script words, {} follower passes", audio.duration(), report.script.words, follows.len());
    println!("prompter moves: {}, reached word {} of {}", moves.len(), reached, report.script.words);
    println!("highlight latency after the word ended: median {:.2} s, p90 {:.2} s, max {:.2} s", at(0.5), at(0.9), at(1.0));
    println!("moves onto a word already said (by the report's times): {placed}/{checked}");
    println!("report ready {:.2} s after stop; accuracy {:.1}%", report_seconds, report.summary.accuracy * 100.0);
    Ok(())
}
