//! `encore worker` and `encore queue`: a club's analysis queue, heard by workers on any
//! machine that reaches the database, and looked at (or its failures retried) from any other.
//! The work itself is the rehearsal layer's (`encore_rehearsal::work`).

use std::time::Duration;

use anyhow::Context;
use encore_rehearsal::{RehearsalError, Settings, WorkerEvent, WorkerOptions};
use encore_store::{Job, JobState};

use super::args::{QueueArgs, QueueCommand, WorkerArgs};
use super::progress;

pub fn run_worker(args: &WorkerArgs, settings: &Settings) -> anyhow::Result<()> {
    if !settings.is_club() {
        return Err(RehearsalError::NoQueue.into());
    }
    let options = WorkerOptions { lease: Duration::from_secs_f64(args.lease), ..WorkerOptions::new(args.once) };
    // Reach the database before loading the model, so that a wrong address fails at once.
    settings.open_store()?;
    let recogniser = settings.model.load(&mut |message| progress::say(message))?;
    progress::say(&format!("worker {} is listening to the queue", options.name));
    let mut idle_said = false;
    let done = encore_rehearsal::work(settings, &options, &recogniser, &mut |event| match event {
        WorkerEvent::Claimed(job) => {
            idle_said = false;
            progress::say(&format!("hearing take {} of \"{}\"", job.take_id, job.piece_title));
        }
        WorkerEvent::Heard { job, accuracy, seconds } => {
            progress::say(&format!("take {}: heard in {seconds:.1} s, accuracy {:.0} %", job.take_id, accuracy * 100.0))
        }
        WorkerEvent::Failed { job, error } => progress::say(&format!("take {} failed: {error}", job.take_id)),
        WorkerEvent::Lost(job) => progress::say(&format!(
            "take {}: another worker took it over (this one was too slow to renew its lease), or it was removed",
            job.take_id
        )),
        WorkerEvent::Idle if !idle_said && !options.once => {
            idle_said = true;
            progress::say("the queue is empty; waiting for takes (Ctrl-C stops)");
        }
        WorkerEvent::Idle => {}
    })
    .context("the worker stopped")?;
    progress::say(&format!(
        "the queue is empty: {} heard, {} failed, {} taken over by another worker",
        done.heard, done.failed, done.lost
    ));
    Ok(())
}

pub fn run_queue(args: &QueueArgs, settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store()?;
    let queue = store.queue().ok_or(RehearsalError::NoQueue)?;
    if let Some(QueueCommand::Retry) = args.command {
        let retried = queue.retry_failed()?;
        println!("{retried} failed {} back in the queue.", if retried == 1 { "take is" } else { "takes are" });
        return Ok(());
    }
    let jobs = queue.jobs()?;
    if args.json {
        let jobs: Vec<_> = jobs.iter().map(job_json).collect();
        println!("{}", serde_json::to_string(&serde_json::json!({ "format": "encore.queue/1", "jobs": jobs }))?);
        return Ok(());
    }
    if jobs.is_empty() {
        println!("The queue is empty: every queued take is heard.");
        return Ok(());
    }
    for job in &jobs {
        let what = format!("take {:>5}  {}", job.take_id, job.piece_title);
        let state = match job.state {
            JobState::Running if job.stalled => format!(
                "running on {}, which has not spoken within its lease: the next worker takes it over",
                job.worker.as_deref().unwrap_or("?")
            ),
            JobState::Running => {
                format!("running on {}, {:.0} % heard", job.worker.as_deref().unwrap_or("?"), job.progress * 100.0)
            }
            JobState::Waiting => place_text(job.place),
            JobState::Failed => format!("failed: {}", job.error.as_deref().unwrap_or("no reason given")),
            JobState::Done => "done".to_owned(),
        };
        println!("{what}  {state}");
    }
    let failed = jobs.iter().filter(|job| job.state == JobState::Failed).count();
    if failed > 0 {
        println!("\n{failed} failed; put them back with: encore queue retry");
    }
    Ok(())
}

/// "next in the queue", "3rd in the queue".
pub fn place_text(place: Option<usize>) -> String {
    match place {
        None => "being heard".to_owned(),
        Some(1) => "next in the queue".to_owned(),
        Some(n) => {
            let suffix = match (n % 10, n % 100) {
                (1, 11) | (2, 12) | (3, 13) => "th",
                (1, _) => "st",
                (2, _) => "nd",
                (3, _) => "rd",
                _ => "th",
            };
            format!("{n}{suffix} in the queue")
        }
    }
}

fn job_json(job: &Job) -> serde_json::Value {
    serde_json::json!({
        "take": job.take_id,
        "piece": job.piece_title,
        "state": job.state.name(),
        "place": job.place,
        "worker": job.worker,
        "progress": job.progress,
        "stalled": job.stalled,
        "claims": job.claim,
        "queued_at": job.queued_at,
        "error": job.error,
    })
}

#[cfg(test)]
mod tests {
    use super::place_text;

    #[test]
    fn places_read_as_english() {
        let said: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(|n| place_text(Some(n))).into();
        assert_eq!(
            said.iter().map(|s| s.split(' ').next().unwrap()).collect::<Vec<_>>(),
            ["next", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
        );
        assert_eq!(place_text(None), "being heard");
    }
}
