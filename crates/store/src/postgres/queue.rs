//! The analysis queue on PostgreSQL: workers claim jobs with `FOR UPDATE SKIP LOCKED`, so that
//! any number of them take different jobs without waiting on each other, and hold them by a
//! lease in the server's clock. See `crate::queue` for the rules.

use std::time::Duration;

use encore_take::TakeReport;
use postgres::{Row, Transaction};

use super::PostgresStore;
use super::rows::save_report;
use crate::error::Context;
use crate::store::now;
use crate::{Job, JobState, MOST_CLAIMS, Queue, StoreError};

const JOB_SELECT: &str = "
    SELECT job.id, job.take_id, piece.title, job.state, job.claim, job.worker, job.queued_at, job.progress,
           job.error, job.state = 'running' AND job.lease_until < clock_timestamp()
    FROM analysis_job AS job JOIN take ON take.id = job.take_id JOIN piece ON piece.id = take.piece_id";

impl Queue for PostgresStore {
    fn queue_take(&self, take_id: i64) -> Result<Job, StoreError> {
        const ACTION: &str = "queueing a take";
        self.transaction(ACTION, |db, _| {
            if db.query_opt("SELECT 1 FROM take WHERE id = $1", &[&take_id]).context(ACTION)?.is_none() {
                return Err(StoreError::NoSuchTake { id: take_id });
            }
            // A job being heard stays with its worker; any other starts again at the back.
            db.execute(
                "INSERT INTO analysis_job (take_id, state, queued_at) VALUES ($1, 'waiting', $2)
                 ON CONFLICT (take_id) DO UPDATE
                 SET state = 'waiting', queued_at = excluded.queued_at, tries = 0, progress = 0, error = NULL,
                     lease_until = NULL
                 WHERE analysis_job.state <> 'running'",
                &[&take_id, &now()],
            )
            .context(ACTION)?;
            Ok(job_of_take(db, take_id)?.expect("the job was just queued"))
        })
    }

    fn claim_job(&self, worker: &str, lease: Duration) -> Result<Option<Job>, StoreError> {
        const ACTION: &str = "taking a job from the queue";
        self.transaction(ACTION, |db, _| {
            db.execute(
                "UPDATE analysis_job SET state = 'failed', lease_until = NULL, error = $1
                 WHERE state = 'running' AND lease_until < clock_timestamp() AND tries >= $2",
                &[
                    &format!(
                        "the workers hearing it stopped {MOST_CLAIMS} times without a word; look at the take's audio"
                    ),
                    &(MOST_CLAIMS as i32),
                ],
            )
            .context(ACTION)?;
            let claimed = db
                .query_opt(
                    "UPDATE analysis_job
                     SET state = 'running', claim = claim + 1, tries = tries + 1, worker = $1,
                         lease_until = clock_timestamp() + make_interval(secs => $2), progress = 0
                     WHERE id = (
                         SELECT id FROM analysis_job
                         WHERE state = 'waiting' OR (state = 'running' AND lease_until < clock_timestamp())
                         ORDER BY queued_at, id
                         FOR UPDATE SKIP LOCKED
                         LIMIT 1)
                     RETURNING take_id",
                    &[&worker, &lease.as_secs_f64()],
                )
                .context(ACTION)?;
            match claimed {
                Some(row) => job_of_take(db, row.get(0)),
                None => Ok(None),
            }
        })
    }

    fn renew_lease(&self, job: &Job, lease: Duration, progress: f64) -> Result<bool, StoreError> {
        let renewed = self
            .client
            .borrow_mut()
            .execute(
                "UPDATE analysis_job SET lease_until = clock_timestamp() + make_interval(secs => $3), progress = $4
                 WHERE id = $1 AND claim = $2 AND state = 'running'",
                &[&job.id, &(job.claim as i32), &lease.as_secs_f64(), &progress.clamp(0.0, 1.0)],
            )
            .context("renewing a job's lease")?;
        Ok(renewed == 1)
    }

    fn finish_job(&self, job: &Job, report: &TakeReport, analyzer: &str) -> Result<(), StoreError> {
        const ACTION: &str = "keeping a job's report";
        let take_id = job.take_id;
        let json = serde_json::to_string(report).map_err(|source| StoreError::ReportEncoding { take_id, source })?;
        self.transaction(ACTION, |db, _| {
            let held = db
                .execute(
                    "UPDATE analysis_job
                     SET state = 'done', progress = 1, reports_kept = reports_kept + 1, finished_at = $3,
                         lease_until = NULL
                     WHERE id = $1 AND claim = $2 AND state = 'running'",
                    &[&job.id, &(job.claim as i32), &now()],
                )
                .context(ACTION)?;
            if held == 0 {
                return Err(StoreError::LeaseLost { take_id });
            }
            save_report(db, take_id, &json, report, analyzer)
        })
    }

    fn fail_job(&self, job: &Job, error: &str) -> Result<(), StoreError> {
        self.client
            .borrow_mut()
            .execute(
                "UPDATE analysis_job SET state = 'failed', error = $3, lease_until = NULL, finished_at = $4
                 WHERE id = $1 AND claim = $2 AND state = 'running'",
                &[&job.id, &(job.claim as i32), &error, &now()],
            )
            .context("marking a job failed")?;
        Ok(())
    }

    fn jobs(&self) -> Result<Vec<Job>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                &format!(
                    "{JOB_SELECT} WHERE job.state <> 'done'
                     ORDER BY CASE job.state WHEN 'running' THEN 0 WHEN 'waiting' THEN 1 ELSE 2 END,
                              job.queued_at, job.id"
                ),
                &[],
            )
            .context("reading the queue")?;
        let mut waiting = 0;
        Ok(rows
            .iter()
            .map(|row| {
                let mut job = job_from_row(row);
                if job.state == JobState::Waiting {
                    waiting += 1;
                    job.place = Some(waiting);
                }
                job
            })
            .collect())
    }

    fn job_of_take(&self, take_id: i64) -> Result<Option<Job>, StoreError> {
        self.transaction("reading the queue", |db, _| job_of_take(db, take_id))
    }

    fn retry_failed(&self) -> Result<usize, StoreError> {
        let retried = self
            .client
            .borrow_mut()
            .execute(
                "UPDATE analysis_job SET state = 'waiting', queued_at = $1, tries = 0, error = NULL, progress = 0
                 WHERE state = 'failed'",
                &[&now()],
            )
            .context("putting failed jobs back in the queue")?;
        Ok(retried as usize)
    }
}

fn job_of_take(db: &mut Transaction, take_id: i64) -> Result<Option<Job>, StoreError> {
    const ACTION: &str = "reading the queue";
    let Some(row) = db.query_opt(&format!("{JOB_SELECT} WHERE job.take_id = $1"), &[&take_id]).context(ACTION)? else {
        return Ok(None);
    };
    let mut job = job_from_row(&row);
    if job.state == JobState::Waiting {
        let ahead: i64 = db
            .query_one(
                "SELECT count(*) FROM analysis_job AS other, analysis_job AS this
                 WHERE this.id = $1 AND other.state = 'waiting'
                   AND (other.queued_at, other.id) < (this.queued_at, this.id)",
                &[&job.id],
            )
            .context(ACTION)?
            .get(0);
        job.place = Some(ahead as usize + 1);
    }
    Ok(Some(job))
}

fn job_from_row(row: &Row) -> Job {
    let state: String = row.get(3);
    Job {
        id: row.get(0),
        take_id: row.get(1),
        piece_title: row.get(2),
        // The column's CHECK admits the four names only.
        state: JobState::from_name(&state).unwrap_or(JobState::Failed),
        claim: row.get::<_, i32>(4) as u32,
        worker: row.get(5),
        queued_at: row.get(6),
        progress: row.get(7),
        error: row.get(8),
        stalled: row.get::<_, Option<bool>>(9).unwrap_or(false),
        place: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::report;
    use crate::testing::ThrowawayDatabase;
    use crate::{Store, Take};

    const LEASE: Duration = Duration::from_secs(60);
    /// A lease that runs out while the test waits for it.
    const SHORT: Duration = Duration::from_millis(200);

    fn store_with_takes(database: &ThrowawayDatabase, count: usize) -> (PostgresStore, Vec<Take>) {
        let store = PostgresStore::open(&database.url).unwrap();
        let piece = store.add_piece("Hamlet", "To be").unwrap();
        let takes =
            (0..count).map(|n| crate::tests::add_take(&store, &piece, format!("take {n}").as_bytes())).collect();
        (store, takes)
    }

    #[test]
    fn jobs_are_claimed_in_the_order_queued_and_each_by_one_worker() {
        let database = ThrowawayDatabase::new();
        let (store, takes) = store_with_takes(&database, 3);
        for take in &takes {
            store.queue_take(take.id).unwrap();
        }
        let places: Vec<_> = store.jobs().unwrap().iter().map(|job| job.place).collect();
        assert_eq!(places, [Some(1), Some(2), Some(3)]);
        let other = PostgresStore::open(&database.url).unwrap();
        let first = store.claim_job("a", LEASE).unwrap().unwrap();
        let second = other.claim_job("b", LEASE).unwrap().unwrap();
        assert_eq!((first.take_id, first.state, first.claim), (takes[0].id, JobState::Running, 1));
        assert_eq!((second.take_id, second.worker.as_deref()), (takes[1].id, Some("b")));
        assert_eq!(store.job_of_take(takes[2].id).unwrap().unwrap().place, Some(1));

        store.finish_job(&first, &report(0.9, 100.0), "tiny.en").unwrap();
        assert_eq!(store.take(takes[0].id).unwrap().report, Some(report(0.9, 100.0)));
        assert_eq!(store.job_of_take(takes[0].id).unwrap().unwrap().state, JobState::Done);
        let listed: Vec<_> = store.jobs().unwrap().iter().map(|job| (job.take_id, job.state)).collect();
        assert_eq!(listed, [(takes[1].id, JobState::Running), (takes[2].id, JobState::Waiting)]);
    }

    #[test]
    fn many_workers_claiming_at_once_never_take_the_same_job() {
        let database = ThrowawayDatabase::new();
        let (store, takes) = store_with_takes(&database, 12);
        for take in &takes {
            store.queue_take(take.id).unwrap();
        }
        let mut claimed: Vec<i64> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|n| {
                    let url = database.url.clone();
                    scope.spawn(move || {
                        let worker = PostgresStore::open(&url).unwrap();
                        let mut mine = Vec::new();
                        while let Some(job) = worker.claim_job(&format!("worker {n}"), LEASE).unwrap() {
                            mine.push(job.take_id);
                        }
                        mine
                    })
                })
                .collect();
            workers.into_iter().flat_map(|worker| worker.join().unwrap()).collect()
        });
        claimed.sort();
        assert_eq!(claimed, takes.iter().map(|take| take.id).collect::<Vec<_>>());
    }

    #[test]
    fn a_job_whose_lease_ran_out_is_taken_over_and_the_first_worker_keeps_nothing() {
        let database = ThrowawayDatabase::new();
        let (store, takes) = store_with_takes(&database, 1);
        store.queue_take(takes[0].id).unwrap();
        let stalled = store.claim_job("stalled", SHORT).unwrap().unwrap();
        assert!(store.renew_lease(&stalled, SHORT, 0.5).unwrap());
        assert_eq!(store.claim_job("other", LEASE).unwrap(), None, "a held job is not taken");
        std::thread::sleep(SHORT * 2);
        assert!(store.jobs().unwrap()[0].stalled);
        let taken_over = store.claim_job("other", LEASE).unwrap().unwrap();
        assert_eq!((taken_over.claim, taken_over.progress), (2, 0.0));

        assert!(!store.renew_lease(&stalled, LEASE, 0.9).unwrap());
        let error = store.finish_job(&stalled, &report(0.1, 10.0), "tiny.en").unwrap_err();
        assert!(matches!(error, StoreError::LeaseLost { take_id } if take_id == takes[0].id), "{error:?}");
        assert_eq!(store.take(takes[0].id).unwrap().report, None);

        store.finish_job(&taken_over, &report(0.9, 100.0), "tiny.en").unwrap();
        assert!(matches!(store.finish_job(&taken_over, &report(0.9, 100.0), "x"), Err(StoreError::LeaseLost { .. })));
        let kept: i32 =
            store.client.borrow_mut().query_one("SELECT reports_kept FROM analysis_job", &[]).unwrap().get(0);
        assert_eq!(kept, 1);
    }

    #[test]
    fn a_take_that_stops_every_worker_fails_and_can_be_retried() {
        let database = ThrowawayDatabase::new();
        let (store, takes) = store_with_takes(&database, 1);
        store.queue_take(takes[0].id).unwrap();
        for _ in 0..MOST_CLAIMS {
            store.claim_job("dies", SHORT).unwrap().unwrap();
            std::thread::sleep(SHORT * 2);
        }
        assert_eq!(store.claim_job("next", LEASE).unwrap(), None);
        let failed = store.job_of_take(takes[0].id).unwrap().unwrap();
        assert_eq!(failed.state, JobState::Failed);
        assert!(failed.error.unwrap().contains("stopped 3 times"));

        assert_eq!(store.retry_failed().unwrap(), 1);
        let job = store.claim_job("next", LEASE).unwrap().unwrap();
        store.fail_job(&job, "the audio cannot be decoded").unwrap();
        let listed = store.jobs().unwrap();
        assert_eq!(listed[0].error.as_deref(), Some("the audio cannot be decoded"));
        assert_eq!(listed[0].state, JobState::Failed);
    }

    #[test]
    fn removing_a_take_removes_its_job_and_its_worker_keeps_nothing() {
        let database = ThrowawayDatabase::new();
        let (store, takes) = store_with_takes(&database, 2);
        store.queue_take(takes[0].id).unwrap();
        store.queue_take(takes[1].id).unwrap();
        let job = store.claim_job("w", LEASE).unwrap().unwrap();
        store.remove_take(takes[0].id).unwrap();
        assert!(matches!(store.finish_job(&job, &report(0.9, 1.0), "x"), Err(StoreError::LeaseLost { .. })));
        store.remove_piece(takes[1].piece_id).unwrap();
        assert_eq!(store.jobs().unwrap(), []);
        assert!(matches!(store.queue_take(takes[1].id), Err(StoreError::NoSuchTake { .. })));
    }
}
