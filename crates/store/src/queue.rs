//! The analysis queue of a club's store: takes kept at once and heard later by workers on
//! other machines. Each job is done exactly once in effect, whatever is killed when:
//!
//! - a worker holds a job for a lease that it renews while it works; a job whose lease ran out
//!   (its worker died or stalled) is taken over by the next worker that asks;
//! - each claim has its own number, and a report is kept only with the job's current claim,
//!   in the same transaction that marks the job done: a worker that lost its lease finds its
//!   report refused, and a job is never done twice.
//!
//! Only the PostgreSQL store has one ([`Store::queue`](crate::Store::queue)).

use std::time::Duration;

use encore_take::TakeReport;

use crate::StoreError;

/// How far a job has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// In the queue, waiting for a worker.
    Waiting,
    /// Held by a worker.
    Running,
    Done,
    /// Given up on: its error says why; `encore queue retry` puts it back.
    Failed,
}

impl JobState {
    pub fn name(self) -> &'static str {
        match self {
            JobState::Waiting => "waiting",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub fn from_name(name: &str) -> Option<JobState> {
        [JobState::Waiting, JobState::Running, JobState::Done, JobState::Failed]
            .into_iter()
            .find(|state| state.name() == name)
    }
}

/// The analysis of one take, queued.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub take_id: i64,
    /// The title of the take's piece, for lists.
    pub piece_title: String,
    pub state: JobState,
    /// How many times a worker has claimed it; the latest claim is the only one whose report
    /// is kept.
    pub claim: u32,
    /// The worker that holds it (running) or held it last.
    pub worker: Option<String>,
    pub queued_at: i64,
    /// How much of the take its worker has heard, 0 to 1, while running.
    pub progress: f64,
    /// Why it failed.
    pub error: Option<String>,
    /// Running, but its worker's lease ran out: the next worker to ask takes it over.
    pub stalled: bool,
    /// Its place among the waiting jobs, 1 for the next; `None` unless waiting.
    pub place: Option<usize>,
}

/// How many times a job is claimed before a worker dying on it every time makes it fail: a
/// take that kills its worker must not kill every worker in turn for ever.
pub const MOST_CLAIMS: u32 = 3;

/// The queue of analyses. Each call is one transaction.
pub trait Queue {
    /// Queues the analysis of a kept take (again, if it was done or failed).
    fn queue_take(&self, take_id: i64) -> Result<Job, StoreError>;
    /// The job waiting longest, or one whose lease ran out, now held by `worker` for `lease`;
    /// `None` when there is none.
    fn claim_job(&self, worker: &str, lease: Duration) -> Result<Option<Job>, StoreError>;
    /// Extends the lease of a job still held under this claim and notes its progress; false
    /// when the lease was lost to another worker.
    fn renew_lease(&self, job: &Job, lease: Duration, progress: f64) -> Result<bool, StoreError>;
    /// Keeps the report and marks the job done, together, if the job is still held under this
    /// claim; else [`StoreError::LeaseLost`] and nothing is kept.
    fn finish_job(&self, job: &Job, report: &TakeReport, analyzer: &str) -> Result<(), StoreError>;
    /// Marks a job still held under this claim as failed, with why.
    fn fail_job(&self, job: &Job, error: &str) -> Result<(), StoreError>;
    /// The jobs not done: running, then waiting in their order, then failed.
    fn jobs(&self) -> Result<Vec<Job>, StoreError>;
    /// The job of a take, if it has one.
    fn job_of_take(&self, take_id: i64) -> Result<Option<Job>, StoreError>;
    /// Puts every failed job back in the queue; returns how many.
    fn retry_failed(&self) -> Result<usize, StoreError>;
}
