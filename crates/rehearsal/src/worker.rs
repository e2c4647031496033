//! An analysis worker of a club: takes jobs from the queue in the club's database and hears
//! them, on whatever machine it runs, so that the machine serving the page never does. The
//! queue's rules (`encore_store::Queue`) make every take heard exactly once in effect: this
//! side claims a job, renews its lease from a second connection while the take is heard, and
//! keeps the report together with the job's end. A worker killed at any moment leaves a job
//! whose lease runs out and that another worker takes over.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use encore_listen::Recogniser;
use encore_store::{Job, Store, StoreError};

use crate::{RehearsalError, Settings};

/// How a worker works.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Its name in the queue, for `encore queue`: this machine's name and the process's id.
    pub name: String,
    /// How long a job stays this worker's without a word from it. The lease is renewed three
    /// times within it, so only a worker that died or stalled loses a job.
    pub lease: Duration,
    /// Stop when the queue is empty, instead of waiting for more.
    pub once: bool,
    /// How long to wait before asking an empty queue again.
    pub idle: Duration,
}

impl WorkerOptions {
    /// The usual options, named after this machine and process.
    pub fn new(once: bool) -> WorkerOptions {
        WorkerOptions { name: worker_name(), lease: Duration::from_secs(30), once, idle: Duration::from_secs(2) }
    }
}

/// What a worker tells its terminal.
#[derive(Debug)]
pub enum WorkerEvent<'a> {
    /// A job was claimed and is being heard.
    Claimed(&'a Job),
    /// Its report is kept.
    Heard { job: &'a Job, accuracy: f64, seconds: f64 },
    /// It could not be heard (bad audio, a script that cannot be read); the job is marked failed.
    Failed { job: &'a Job, error: String },
    /// Another worker took the job over, or the take was removed; nothing was kept.
    Lost(&'a Job),
    /// The queue is empty; the worker waits (or, with `once`, stops).
    Idle,
}

/// What a worker did, when it stops.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WorkDone {
    pub heard: usize,
    pub failed: usize,
    pub lost: usize,
}

/// Takes jobs from the queue of `settings`' club database and hears them with `recogniser`,
/// until the queue is empty (with `once`) or for ever. Fails when the store has no queue or
/// the database fails; a take that cannot be heard only fails its job.
pub fn work(
    settings: &Settings,
    options: &WorkerOptions,
    recogniser: &Recogniser,
    on_event: &mut dyn FnMut(WorkerEvent),
) -> Result<WorkDone, RehearsalError> {
    let store = settings.open_store()?;
    let queue = store.queue().ok_or(RehearsalError::NoQueue)?;
    // The lease is renewed from its own connection, while this one waits for the recogniser.
    let mut lease_keeper = settings.open_store()?;
    let mut done = WorkDone::default();
    loop {
        let Some(job) = queue.claim_job(&options.name, options.lease)? else {
            on_event(WorkerEvent::Idle);
            if options.once {
                return Ok(done);
            }
            std::thread::sleep(options.idle);
            continue;
        };
        on_event(WorkerEvent::Claimed(&job));
        let started = std::time::Instant::now();
        let (outcome, keeper) = hear(store.as_ref(), lease_keeper, &job, options, recogniser);
        lease_keeper = keeper;
        match outcome? {
            Outcome::Heard(accuracy) => {
                done.heard += 1;
                on_event(WorkerEvent::Heard { job: &job, accuracy, seconds: started.elapsed().as_secs_f64() });
            }
            Outcome::Failed(error) => {
                done.failed += 1;
                queue.fail_job(&job, &error)?;
                on_event(WorkerEvent::Failed { job: &job, error });
            }
            Outcome::Lost => {
                done.lost += 1;
                on_event(WorkerEvent::Lost(&job));
            }
        }
    }
}

enum Outcome {
    Heard(f64),
    Failed(String),
    Lost,
}

/// Hears one claimed job and keeps its report, renewing the lease meanwhile on
/// `lease_keeper`'s connection, which comes back for the next job. Errors of the database come
/// back as errors; errors of the take as `Failed`.
fn hear(
    store: &dyn Store,
    lease_keeper: Box<dyn Store>,
    job: &Job,
    options: &WorkerOptions,
    recogniser: &Recogniser,
) -> (Result<Outcome, RehearsalError>, Box<dyn Store>) {
    let progress = AtomicU64::new(0f64.to_bits());
    let finished = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let keeper = scope.spawn(|| {
            keep_lease(lease_keeper.as_ref(), job, options.lease, &progress, &finished);
            lease_keeper
        });
        let outcome =
            hear_and_keep(store, job, recogniser, &|heard| progress.store(heard.to_bits(), Ordering::Relaxed));
        finished.store(true, Ordering::Relaxed);
        keeper.thread().unpark();
        (outcome, keeper.join().expect("the lease keeper does not panic"))
    })
}

fn hear_and_keep(
    store: &dyn Store,
    job: &Job,
    recogniser: &Recogniser,
    on_progress: &(dyn Fn(f64) + Sync),
) -> Result<Outcome, RehearsalError> {
    let queue = store.queue().ok_or(RehearsalError::NoQueue)?;
    let take = match store.take(job.take_id) {
        Ok(take) => take,
        Err(StoreError::NoSuchTake { .. }) => return Ok(Outcome::Lost),
        Err(error) => return Err(error.into()),
    };
    let first_report = take.analyzed_at.is_none();
    let prepared = crate::script_of(store, &take).and_then(|script| Ok((script, crate::stored_audio(store, &take)?)));
    let (script, audio) = match prepared {
        Ok(prepared) => prepared,
        // The take's own audio or script gone is the take's failure; the database failing is
        // the worker's, and stops it.
        Err(RehearsalError::Store(
            error @ (StoreError::AudioNotInStore { .. } | StoreError::NoSuchScriptVersion { .. }),
        )) => return Ok(Outcome::Failed(message_of(&error))),
        Err(RehearsalError::Store(error)) => return Err(error.into()),
        Err(error) => return Ok(Outcome::Failed(message_of(&error))),
    };
    // A lease that could not be renewed shows when the report is refused.
    let judgement = match crate::judge(recogniser, &script, &audio, &mut |heard| on_progress(heard)) {
        Ok(judgement) => judgement,
        Err(error) => return Ok(Outcome::Failed(message_of(&error))),
    };
    let mut report = judgement.report;
    crate::takes::carry_over(store, &take, &mut report)?;
    match queue.finish_job(job, &report, &judgement.analyzer) {
        Ok(()) => {}
        Err(StoreError::LeaseLost { .. }) => return Ok(Outcome::Lost),
        Err(error) => return Err(error.into()),
    }
    // Only the worker whose report was kept gets here, once per take: its drills are reviewed
    // and made now. A worker killed just before this leaves the take without them, never twice.
    if first_report {
        crate::drills_after_take(store, &take, &report)?;
    }
    Ok(Outcome::Heard(report.summary.accuracy))
}

/// Renews the lease a third of the way through it until `finished`, noting the progress.
fn keep_lease(store: &dyn Store, job: &Job, lease: Duration, progress: &AtomicU64, finished: &AtomicBool) {
    let Some(queue) = store.queue() else { return };
    while !finished.load(Ordering::Relaxed) {
        std::thread::park_timeout(lease / 3);
        if finished.load(Ordering::Relaxed) {
            return;
        }
        let heard = f64::from_bits(progress.load(Ordering::Relaxed));
        if !matches!(queue.renew_lease(job, lease, heard), Ok(true)) {
            return;
        }
    }
}

/// An error as one line, with its causes.
fn message_of(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        cause = inner.source();
    }
    message
}

/// This machine's name and this process's id.
fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "worker".to_owned());
    format!("{host}:{}", std::process::id())
}
