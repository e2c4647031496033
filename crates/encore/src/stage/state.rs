//! What every request shares: the store, the speech model (loaded on first use), the one
//! analysis allowed at a time and the bounded queue of those waiting for it, how far each
//! upload's analysis has got, the limits and the token.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use encore_audio::Audio;
use encore_listen::Recogniser;
use encore_rehearsal::{Judgement, SpeechModel};
use encore_script::Script;
use encore_store::Store;
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};

use super::api_error::ApiError;

/// How big a take may be.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of an uploaded file.
    pub upload_bytes: u64,
    /// Seconds of audio, uploaded or recorded.
    pub seconds: f64,
    /// Uploads that may wait for their turn; past it the stage answers "busy".
    pub waiting: usize,
}

/// How long a page is told to wait before it tries again when the queue is full.
const RETRY_AFTER_SECONDS: u32 = 30;

pub struct Stage {
    store: Arc<Mutex<Box<dyn Store>>>,
    speech_model: SpeechModel,
    model: OnceCell<Result<Arc<Recogniser>, String>>,
    /// Analyses run one at a time: the machine has few cores, and a take heard alongside
    /// another would make both slow and the prompter late.
    analysis: Arc<Semaphore>,
    /// Those waiting for the analysis, by ticket, in the order they came (the semaphore serves
    /// them in that order): a page is told its place, and past `limits.waiting` a newcomer is
    /// refused rather than left to wait for ever.
    queue: Arc<Queue>,
    pub limits: Limits,
    /// How each upload in progress is getting on, by the id its page gave it: an hour-long
    /// recording takes minutes to hear, and the page shows its place in the queue, then how far.
    uploads: Uploads,
    /// Needed by every request when the stage listens beyond this machine.
    pub token: Option<String>,
    pub address: SocketAddr,
    /// Where takes are written as they are recorded, so that a crash loses none of them.
    pub recordings: PathBuf,
    /// Serving a club's database: every request needs a member's login (`people.rs`).
    pub club: bool,
}

impl Stage {
    pub fn new(
        store: Box<dyn Store>,
        speech_model: SpeechModel,
        limits: Limits,
        token: Option<String>,
        address: SocketAddr,
        recordings: PathBuf,
        club: bool,
    ) -> Stage {
        Stage {
            store: Arc::new(Mutex::new(store)),
            speech_model,
            model: OnceCell::new(),
            analysis: Arc::new(Semaphore::new(1)),
            queue: Arc::default(),
            limits,
            uploads: Arc::default(),
            token,
            address,
            recordings,
            club,
        }
    }

    /// Runs `work` on the store, off the async threads (SQLite blocks).
    pub async fn store<T, E, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, E> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            // A request that panicked holding the store left nothing half-written: each store
            // call is one transaction.
            let store = store.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            work(store.as_ref())
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(Into::into)
    }

    /// The speech model, loading it on first use (requests that come meanwhile wait for it).
    pub async fn recogniser(&self) -> Result<Arc<Recogniser>, ApiError> {
        let speech_model = self.speech_model.clone();
        let loaded = self
            .model
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    speech_model
                        .load(&mut |message| eprintln!("encore: {message}"))
                        .map(Arc::new)
                        .map_err(|error| format!("{:#}", anyhow::Error::from(error)))
                })
                .await
                .unwrap_or_else(|error| Err(format!("loading the speech model failed: {error}")))
            })
            .await;
        loaded
            .clone()
            .map_err(|message| ApiError::unavailable(format!("{message}; fix that and start the stage again")))
    }

    /// Starts loading the model in the background; says "ready", "loading" or "failed".
    pub fn warm_model(self: &Arc<Self>) -> &'static str {
        match self.model.get() {
            Some(Ok(_)) => "ready",
            Some(Err(_)) => "failed",
            None => {
                let stage = self.clone();
                tokio::spawn(async move {
                    let _ = stage.recogniser().await;
                });
                "loading"
            }
        }
    }

    /// A place in the queue for the analysis of a file (an upload, a stored take), with
    /// `upload`'s page told its place while it waits. Refused (503, try again later) when
    /// `limits.waiting` are already waiting: taken before anything is stored, so a refused upload
    /// keeps nothing, and the file is still on the performer's disk to send again.
    pub fn queue_for_turn(&self, upload: Option<&UploadProgress>) -> Result<InQueue, ApiError> {
        let waiting = self.queue.join(Some(self.limits.waiting)).ok_or_else(|| {
            ApiError::busy(
                format!(
                    "the stage is busy: {} uploads are waiting to be heard; try again in a minute \
                     (or start the stage with a larger --max-waiting)",
                    self.limits.waiting
                ),
                RETRY_AFTER_SECONDS,
            )
        })?;
        let upload = upload.map(|upload| {
            lock(&self.uploads).entry(upload.id.clone()).or_default().ticket = Some(waiting.ticket);
            (self.uploads.clone(), upload.id.clone())
        });
        Ok(InQueue { waiting, analysis: self.analysis.clone(), upload })
    }

    /// The right to hear a take being recorded (or a drill attempt), held for the whole of it:
    /// a place in the queue, never refused (the performer is already speaking, and the audio is
    /// kept on disk as it comes), then the wait for the turn.
    pub async fn live_turn(&self) -> OwnedSemaphorePermit {
        let waiting = self.queue.join(None).expect("a queue without a bound has room");
        InQueue { waiting, analysis: self.analysis.clone(), upload: None }.turn().await
    }

    /// Hears `audio` and judges it against `script` once its turn in the queue comes. With
    /// `upload`, how far it has got is kept for [`Stage::upload_progress`].
    pub async fn judge(
        &self,
        script: Script,
        audio: Audio,
        upload: Option<&UploadProgress>,
        queued: InQueue,
    ) -> Result<Judgement, ApiError> {
        let recogniser = self.recogniser().await?;
        let _turn = queued.turn().await;
        let progress = upload.map(|upload| (self.uploads.clone(), upload.id.clone()));
        tokio::task::spawn_blocking(move || {
            let mut heard = |fraction: f64| {
                if let Some((uploads, id)) = &progress {
                    lock(uploads).entry(id.clone()).or_default().heard = fraction;
                }
            };
            encore_rehearsal::judge(&recogniser, &script, &audio, &mut heard)
                .map_err(|error| ApiError::internal(format!("cannot listen to the take: {error}")))
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Starts following an upload's analysis under the id its page chose (`X-Upload-Id`); the
    /// progress is forgotten when the returned guard goes.
    pub fn follow_upload(&self, id: String) -> UploadProgress {
        lock(&self.uploads).insert(id.clone(), UploadState::default());
        UploadProgress { uploads: self.uploads.clone(), id }
    }

    /// How an upload is getting on while it goes on: how far its analysis has got (0 to 1),
    /// and while it waits for its turn, how many analyses are ahead of it.
    pub fn upload_progress(&self, id: &str) -> Option<(f64, Option<usize>)> {
        let state = *lock(&self.uploads).get(id)?;
        Some((state.heard, state.ticket.map(|ticket| self.queue.ahead_of(ticket))))
    }
}

/// How each upload in progress is getting on, by the id its page gave it.
type Uploads = Arc<Mutex<HashMap<String, UploadState>>>;

/// How one upload is getting on.
#[derive(Debug, Clone, Copy, Default)]
struct UploadState {
    /// How far its analysis has got, 0 to 1.
    heard: f64,
    /// Its place in the queue while it waits for its turn.
    ticket: Option<u64>,
}

/// The analyses waiting for their turn, by ticket.
#[derive(Default)]
struct Queue {
    waiting: Mutex<BTreeSet<u64>>,
    next: AtomicU64,
}

impl Queue {
    /// A place at the end of the queue, or `None` when `most` are already waiting.
    fn join(self: &Arc<Self>, most: Option<usize>) -> Option<Waiting> {
        let mut waiting = lock(&self.waiting);
        if most.is_some_and(|most| waiting.len() >= most) {
            return None;
        }
        let ticket = self.next.fetch_add(1, Ordering::Relaxed);
        waiting.insert(ticket);
        Some(Waiting { queue: self.clone(), ticket })
    }

    /// How many wait ahead of `ticket`.
    fn ahead_of(&self, ticket: u64) -> usize {
        lock(&self.waiting).range(..ticket).count()
    }
}

/// A place in the queue for the analysis.
pub struct InQueue {
    waiting: Waiting,
    analysis: Arc<Semaphore>,
    /// The upload whose page is told its place, with the map it is told through.
    upload: Option<(Uploads, String)>,
}

impl InQueue {
    /// Waits for the turn (the queue is served in order) and leaves the queue.
    pub async fn turn(self) -> OwnedSemaphorePermit {
        let turn = self.analysis.clone().acquire_owned().await.expect("the analysis semaphore is never closed");
        if let Some((uploads, id)) = &self.upload
            && let Some(state) = lock(uploads).get_mut(id)
        {
            state.ticket = None;
        }
        drop(self.waiting);
        turn
    }
}

/// A place in the queue, given up when its turn comes or its request goes away.
struct Waiting {
    queue: Arc<Queue>,
    ticket: u64,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        lock(&self.queue.waiting).remove(&self.ticket);
    }
}

/// An upload whose analysis the page follows.
pub struct UploadProgress {
    uploads: Uploads,
    id: String,
}

impl Drop for UploadProgress {
    fn drop(&mut self) {
        lock(&self.uploads).remove(&self.id);
    }
}

fn lock<T>(shared: &Mutex<T>) -> MutexGuard<'_, T> {
    // Only plain inserts, updates and removals happen under these locks: a panic leaves the
    // value whole.
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
