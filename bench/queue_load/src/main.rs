//! `queue-load`: a club's analysis queue on a real PostgreSQL server (a throwaway database on
//! the server named by `ENCORE_TEST_POSTGRES`, else 127.0.0.1:5432). Two parts:
//!
//! - `coordination`: the queue alone. Workers are threads, each with its own connection, that
//!   claim a job, **wait a fixed time instead of analysing**, and keep a small report, as a
//!   real worker does. Jobs per second with 1, 2, 4 and 8 workers, against the rate if the
//!   queue cost nothing (workers / wait). This measures the coordination, not the analysis.
//! - `analysis`: real `encore worker --once --threads 1` processes hearing corpus takes with the
//!   real model: takes per minute with 1 and 2 workers, for short takes and for takes of about
//!   a minute (the worker's model load included).
//!
//! Prints Markdown tables (bench/README.md keeps today's).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use encore_store::testing::ThrowawayDatabase;
use encore_store::{NewTake, PostgresStore, Store};

/// How long a worker of the `coordination` part "analyses" each job.
const FIXED_WAIT: Duration = Duration::from_millis(20);
const JOBS: usize = 400;
/// A lease far longer than any job here: none is taken over.
const LEASE: Duration = Duration::from_secs(60);

fn main() -> anyhow::Result<()> {
    let mut parts: Vec<String> = std::env::args().skip(1).collect();
    if parts.is_empty() {
        parts = vec!["coordination".into(), "analysis".into()];
    }
    for part in parts {
        match part.as_str() {
            "coordination" => coordination()?,
            "analysis" => analysis()?,
            other => bail!("no part called {other}: choose coordination or analysis"),
        }
    }
    Ok(())
}

/// A throwaway database with one piece and `count` queued takes of `audio`, each its own bytes.
fn queued_takes(count: usize, script: &str, audio: &[u8]) -> anyhow::Result<(ThrowawayDatabase, PostgresStore)> {
    let database = ThrowawayDatabase::new();
    let store = PostgresStore::open(&database.url)?;
    let piece = store.add_piece("Bench", script)?;
    let audio = store.save_audio(audio, "wav")?;
    let queue = store.queue().context("a PostgreSQL store has a queue")?;
    for n in 0..count {
        let take = store.add_take(&NewTake {
            piece_id: piece.id,
            script_version_id: piece.script.id,
            audio: &audio,
            source_name: format!("take {n}"),
            duration: None,
            performer_id: None,
        })?;
        queue.queue_take(take.id)?;
    }
    Ok((database, store))
}

fn coordination() -> anyhow::Result<()> {
    println!(
        "\n### The queue alone ({JOBS} jobs, each a fixed wait of {} ms instead of an analysis)\n",
        FIXED_WAIT.as_millis()
    );
    println!("| workers | jobs/s | if the queue cost nothing | share of that | per job, beyond the wait |");
    println!("| ---: | ---: | ---: | ---: | ---: |");
    let report = encore_take::testing::scored(0.9, 120.0);
    for workers in [1, 2, 4, 8] {
        let (database, _store) = queued_takes(JOBS, "To be, or not to be", b"RIFF bench audio")?;
        let started = Instant::now();
        let done: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|n| {
                    let url = database.url.clone();
                    let report = report.clone();
                    scope.spawn(move || -> anyhow::Result<usize> {
                        let store = PostgresStore::open(&url)?;
                        let queue = store.queue().context("a queue")?;
                        let mut done = 0;
                        while let Some(job) = queue.claim_job(&format!("bench {n}"), LEASE)? {
                            std::thread::sleep(FIXED_WAIT);
                            queue.finish_job(&job, &report, "bench")?;
                            done += 1;
                        }
                        Ok(done)
                    })
                })
                .collect();
            handles.into_iter().map(|handle| handle.join().expect("a worker thread").unwrap_or(0)).sum()
        });
        let seconds = started.elapsed().as_secs_f64();
        if done != JOBS {
            bail!("{workers} workers finished {done} of {JOBS} jobs");
        }
        let rate = done as f64 / seconds;
        let ideal = workers as f64 / FIXED_WAIT.as_secs_f64();
        let overhead_ms = (workers as f64 * seconds / done as f64 - FIXED_WAIT.as_secs_f64()) * 1000.0;
        println!("| {workers} | {rate:.0} | {ideal:.0} | {:.0} % | {overhead_ms:.1} ms |", rate / ideal * 100.0);
    }
    Ok(())
}

fn analysis() -> anyhow::Result<()> {
    println!("\n### Real analyses (`encore worker --once --threads 1`, the real model)\n");
    println!("| takes | workers | wall time | takes per minute | audio minutes heard per minute |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    // Short takes, where each take's own costs show, and takes of about a minute.
    analyse_takes("librivox_sense_sensibility_0870", 24)?;
    analyse_takes("librivox_shakespeare_sonnet_002", 8)
}

/// `takes` queued takes of the corpus recording `name`, heard by 1 and then 2 workers.
fn analyse_takes(name: &str, takes: usize) -> anyhow::Result<()> {
    let encore = PathBuf::from(std::env::var("ENCORE_BIN").unwrap_or_else(|_| "target/release/encore".into()));
    let corpus = PathBuf::from("tests/corpus/audio");
    let script = std::fs::read_to_string(corpus.join(format!("{name}.txt")))?;
    let audio = std::fs::read(corpus.join(format!("{name}.wav")))?;
    // 16-bit mono at 16 kHz after a 44-byte header.
    let seconds_of_audio = (audio.len() - 44) as f64 / 32_000.0;
    for workers in [1, 2] {
        let (database, store) = queued_takes(takes, &script, &audio)?;
        let started = Instant::now();
        let children: Vec<_> = (0..workers)
            .map(|_| {
                Command::new(&encore)
                    .args(["--database", &database.url, "--threads", "1", "worker", "--once"])
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .with_context(|| format!("cannot run {}", encore.display()))
            })
            .collect::<anyhow::Result<_>>()?;
        for mut child in children {
            if !child.wait()?.success() {
                bail!("a worker failed");
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let heard = store.all_takes()?.iter().filter(|take| take.report.is_some()).count();
        if heard != takes {
            bail!("{workers} workers heard {heard} of {takes} takes");
        }
        let per_minute = takes as f64 / seconds * 60.0;
        println!(
            "| {takes} of {seconds_of_audio:.1} s ({name}) | {workers} | {seconds:.1} s | {per_minute:.1} | {:.1} |",
            per_minute * seconds_of_audio / 60.0
        );
    }
    Ok(())
}
