//! What every request shares: the store, the speech model (loaded on first use), the one
//! analysis allowed at a time, how far each upload's analysis has got, the limits and the
//! token.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

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
}

pub struct Stage {
    store: Arc<Mutex<Box<dyn Store>>>,
    speech_model: SpeechModel,
    model: OnceCell<Result<Arc<Recogniser>, String>>,
    /// Analyses run one at a time: the machine has few cores, and a take heard alongside
    /// another would make both slow and the prompter late.
    analysis: Arc<Semaphore>,
    pub limits: Limits,
    /// How far the analysis of each upload in progress has got, 0 to 1, by the id its page
    /// gave it: an hour-long recording takes minutes to hear, and the page shows how far.
    uploads: Arc<Mutex<HashMap<String, f64>>>,
    /// Needed by every request when the stage listens beyond this machine.
    pub token: Option<String>,
    pub address: SocketAddr,
    /// Where takes are written as they are recorded, so that a crash loses none of them.
    pub recordings: PathBuf,
}

impl Stage {
    pub fn new(
        store: Box<dyn Store>,
        speech_model: SpeechModel,
        limits: Limits,
        token: Option<String>,
        address: SocketAddr,
        recordings: PathBuf,
    ) -> Stage {
        Stage {
            store: Arc::new(Mutex::new(store)),
            speech_model,
            model: OnceCell::new(),
            analysis: Arc::new(Semaphore::new(1)),
            limits,
            uploads: Arc::default(),
            token,
            address,
            recordings,
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

    /// The right to analyse: held for the whole of an analysis or a live take.
    pub async fn analysis_turn(&self) -> OwnedSemaphorePermit {
        self.analysis.clone().acquire_owned().await.expect("the analysis semaphore is never closed")
    }

    /// Hears `audio` and judges it against `script`, in turn with other analyses. With
    /// `upload`, how far it has got is kept for [`Stage::upload_progress`].
    pub async fn judge(
        &self,
        script: Script,
        audio: Audio,
        upload: Option<&UploadProgress>,
    ) -> Result<Judgement, ApiError> {
        let recogniser = self.recogniser().await?;
        let _turn = self.analysis_turn().await;
        let progress = upload.map(|upload| (self.uploads.clone(), upload.id.clone()));
        tokio::task::spawn_blocking(move || {
            let mut heard = |fraction: f64| {
                if let Some((uploads, id)) = &progress {
                    lock(uploads).insert(id.clone(), fraction);
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
        lock(&self.uploads).insert(id.clone(), 0.0);
        UploadProgress { uploads: self.uploads.clone(), id }
    }

    /// How far the analysis of an upload has got (0 to 1), while it goes on.
    pub fn upload_progress(&self, id: &str) -> Option<f64> {
        lock(&self.uploads).get(id).copied()
    }
}

/// An upload whose analysis the page follows.
pub struct UploadProgress {
    uploads: Arc<Mutex<HashMap<String, f64>>>,
    id: String,
}

impl Drop for UploadProgress {
    fn drop(&mut self) {
        lock(&self.uploads).remove(&self.id);
    }
}

fn lock(uploads: &Mutex<HashMap<String, f64>>) -> std::sync::MutexGuard<'_, HashMap<String, f64>> {
    // Only plain inserts and removals happen under the lock: a panic leaves the map whole.
    uploads.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
