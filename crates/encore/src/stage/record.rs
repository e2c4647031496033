//! `GET /api/pieces/{id}/record`: a take recorded in the page, over a WebSocket.
//!
//! The page sends the microphone as binary frames of 16-bit little-endian PCM, 16 kHz mono, and
//! a text frame `{"type":"stop"}` at the end. The server hears the take while it comes in
//! ([`LiveTake`]) and answers with `{"type":"follow", ...}` whenever the prompter moves; on stop
//! it stores the audio as a take first, then finishes hearing it and saves the report, and sends
//! `{"type":"report","take_id":N}`. Failures come as `{"type":"error","message":...}`.
//!
//! With the camera on, the page also sends the pose it saw, a second at a time (`{"type":"poses",
//! ...}`, see `page_message`); the take keeps it and its report says how the take looked.
//!
//! A page that hides words of the script says how at the start, `{"type":"prompter","mode":
//! "fading","hidden_words":N}`, and each time hidden words had to be shown again,
//! `{"type":"prompt","script_index":I}`; the take's report keeps them (`prompter`).
//!
//! If the page goes away without stopping (a closed tab, a dropped network), a take of more than
//! a few seconds is still kept and analysed: a performance is not lost to a glitch.

use std::sync::Arc;

use axum::Extension;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use encore_audio::{samples_in, seconds};
use encore_pipeline::{Follow, LiveTake};
use encore_rehearsal::{Judgement, RecordingJournal, SHORTEST_TAKE, TakeAudio, Viewer};
use encore_script::Script;
use encore_store::Piece;
use serde_json::{Value, json};

use tokio::sync::OwnedSemaphorePermit;

use super::Stage;
use super::api_error::ApiError;
use super::page_message::{Frame, PageFrames, PageMessage};
use super::pieces::parse_script;

/// A recording cut off without a stop is kept when it is at least this long.
const KEPT_WITHOUT_STOP: f64 = 10.0;
/// A page that sends nothing for this long has gone (the microphone sends every 40 ms); the
/// take is then ended, so that it does not hold the analysis turn forever.
const QUIET_PAGE: std::time::Duration = std::time::Duration::from_secs(30);
/// The largest frame the page may send (it sends about 40 ms at a time).
const LARGEST_FRAME: usize = 1 << 20;

pub async fn record(
    ws: WebSocketUpgrade,
    State(stage): State<Arc<Stage>>,
    Path(piece_id): Path<i64>,
    viewer: Option<Extension<Viewer>>,
) -> Result<Response, ApiError> {
    let piece = stage.store(move |store| store.piece(piece_id)).await?;
    let script = parse_script(&piece.script.text)?;
    // In a club, the member logged in performs it (the guard lets only performers record).
    let performer = viewer.map(|Extension(viewer)| viewer.member.id);
    Ok(ws.max_message_size(LARGEST_FRAME).on_upgrade(move |socket| async move {
        // The take goes to disk as it comes; a stage that dies mid-take keeps it when it starts again.
        let journal = RecordingJournal::start(&stage.recordings, &piece, performer)
            .inspect_err(|error| eprintln!("encore: stage: cannot keep the recording on disk as it comes: {error}"))
            .ok();
        Recording { socket, page: PageFrames::default(), journal, performer }.run(stage, piece, script).await;
    }))
}

/// `GET /api/drills/{id}/record`: an attempt at a drill, over the same WebSocket as a take. The
/// prompter follows the drill's words; on stop the attempt is judged against them alone, the
/// drill rescheduled, and the answer is `{"type":"attempt","attempt":{...}}` (as `encore drill
/// attempt --json`). An attempt is practice: its audio is not kept.
pub async fn record_drill(
    ws: WebSocketUpgrade,
    State(stage): State<Arc<Stage>>,
    Path(drill_id): Path<i64>,
) -> Result<Response, ApiError> {
    let drill = stage.store(move |store| store.drill(drill_id)).await?;
    let script = encore_rehearsal::drill_script(&drill)?;
    Ok(ws.max_message_size(LARGEST_FRAME).on_upgrade(move |socket| async move {
        let recording = Recording { socket, page: PageFrames::default(), journal: None, performer: None };
        recording.run_drill(stage, drill.id, script).await;
    }))
}

struct Recording {
    socket: WebSocket,
    /// The samples and the prompter's notes, as the page has sent them so far.
    page: PageFrames,
    /// The take on disk, written as it comes; discarded once the take is kept or refused.
    journal: Option<RecordingJournal>,
    /// The club member performing it; `None` on a performer's own stage.
    performer: Option<i64>,
}

/// How a recording ended.
enum Heard {
    /// Heard to its stop: the take heard so far, the analysis turn it holds, and whether the
    /// page went away instead of stopping.
    Live { live: LiveTake, turn: OwnedSemaphorePermit, gone: bool },
    /// On a club's stage, stopped before its turn to be heard came (another take held it): the
    /// club's workers hear it, not this machine.
    ForWorkers,
}

impl Recording {
    async fn run(mut self, stage: Arc<Stage>, piece: Piece, script: Script) {
        let (live, turn, gone) = match self.hear(&stage, script).await {
            None => return,
            Some(Heard::Live { live, turn, gone }) => (Some(live), Some(turn), gone),
            Some(Heard::ForWorkers) => (None, None, false),
        };

        let length = seconds(self.page.pcm.len());
        if length < SHORTEST_TAKE || (gone && length < KEPT_WITHOUT_STOP) {
            drop(live);
            self.discard_journal();
            return self.send_error("the take is too short to hear: record for at least a second").await;
        }

        // A muted or unplugged microphone is said at once, and nothing is kept.
        let pcm = std::mem::take(&mut self.page.pcm);
        let checked = tokio::task::spawn_blocking(move || TakeAudio::recorded(&pcm, "recorded on the stage")).await;
        let recorded = match checked {
            Ok(Ok(recorded)) => recorded,
            Ok(Err(silent)) => {
                drop(live);
                self.discard_journal();
                return self.send_error(&silent.to_string()).await;
            }
            Err(error) => return self.send_error(&format!("the take could not be kept: {error}")).await,
        };

        // The audio is stored before anything else can fail.
        let performer = self.performer;
        let stored = stage.store(move |store| encore_rehearsal::keep_take(store, &piece, &recorded, performer)).await;
        // Kept in the store, the take needs its file no more; not kept, the file stays, and the
        // take is kept from it when the stage starts again.
        let take = match stored {
            Ok(take) => take,
            Err(error) => return self
                .send_error(&format!(
                    "the take could not be kept: {error}; it is on disk and will be kept when the stage starts again"
                ))
                .await,
        };
        self.discard_journal();
        self.keep_poses(&stage, take.id).await;
        self.send(json!({"type": "saved", "take_id": take.id})).await;

        let Some(live) = live else {
            // Its page follows the queue to the report.
            let take_id = take.id;
            let queued = stage
                .store(move |store| {
                    let queue = store.queue().ok_or(encore_rehearsal::RehearsalError::NoQueue)?;
                    Ok::<_, encore_rehearsal::RehearsalError>(queue.queue_take(take_id)?)
                })
                .await;
            match queued {
                Ok(_) => self.send(json!({"type": "report", "take_id": take_id})).await,
                Err(error) => {
                    let message =
                        format!("{}; the take is kept (take {take_id}): analyse it again from its page", error.message);
                    self.send(json!({"type": "error", "message": message, "take_id": take_id})).await;
                }
            }
            let _ = self.socket.send(Message::Close(None)).await;
            return;
        };
        let finished = tokio::task::spawn_blocking(move || live.finish()).await;
        drop(turn);
        let take_id = take.id;
        let result = match finished {
            Ok(Ok(finished)) => {
                let analyzer = stage.recogniser().await.map(|r| encore_pipeline::analyzer(&r)).unwrap_or_default();
                let mut report = finished.report;
                report.prompter = self.page.prompter.take().map(|used| used.within(report.script.words));
                let judgement = Judgement { report, analyzer, times: Default::default() };
                stage
                    .store(move |store| encore_rehearsal::save_judgement(store, take_id, &judgement))
                    .await
                    .map_err(|e| e.message)
            }
            Ok(Err(error)) => Err(format!("{error:#}")),
            Err(error) => Err(error.to_string()),
        };
        match result {
            Ok(_) => self.send(json!({"type": "report", "take_id": take_id})).await,
            Err(message) => {
                eprintln!("encore: stage: take {take_id}: {message}");
                let message = format!("{message}; the take is kept (take {take_id}): analyse it again from its page");
                self.send(json!({"type": "error", "message": message, "take_id": take_id})).await;
            }
        }
        let _ = self.socket.send(Message::Close(None)).await;
    }

    async fn run_drill(mut self, stage: Arc<Stage>, drill_id: i64, script: Script) {
        let Some(Heard::Live { live, turn, .. }) = self.hear(&stage, script).await else { return };
        if seconds(self.page.pcm.len()) < SHORTEST_TAKE {
            drop(live);
            return self.send_error("the attempt is too short to hear: record for at least a second").await;
        }
        let audio = encore_audio::Audio::from_pcm16(&self.page.pcm, encore_audio::SAMPLE_RATE);
        if let Err(silent) = encore_audio::check_not_silent(&audio, "your attempt") {
            drop(live);
            return self.send_error(&silent.to_string()).await;
        }
        let finished = tokio::task::spawn_blocking(move || live.finish()).await;
        drop(turn);
        let report = match finished {
            Ok(Ok(finished)) => finished.report,
            Ok(Err(error)) => return self.send_error(&format!("the attempt could not be heard: {error:#}")).await,
            Err(error) => return self.send_error(&format!("the attempt could not be heard: {error}")).await,
        };
        let now = jiff::Timestamp::now().as_second();
        let kept = stage.store(move |store| encore_rehearsal::keep_attempt(store, drill_id, report, now)).await;
        match kept {
            Ok(attempt) => {
                let attempt = crate::report::drills::attempt(&attempt);
                self.send(json!({"type": "attempt", "attempt": attempt})).await;
                let _ = self.socket.send(Message::Close(None)).await;
            }
            Err(error) => self.send_error(&error.message).await,
        }
    }

    /// Hears the recording until the page stops or goes: the model and the analysis turn are
    /// waited for while the audio already comes, then the prompter follows the voice. `None`
    /// when it ended in an error the page was already told of.
    async fn hear(&mut self, stage: &Arc<Stage>, script: Script) -> Option<Heard> {
        // The model may still be loading and another take may be in analysis: audio that comes
        // meanwhile is kept and heard once the turn comes.
        let mut stopped = false;
        let limit = samples_in(stage.limits.seconds);
        let ready = async {
            let recogniser = stage.recogniser().await?;
            let turn = stage.live_turn().await;
            Ok::<_, ApiError>((recogniser, turn))
        };
        tokio::pin!(ready);
        let (recogniser, turn) = loop {
            // A club's take that ended while it waited goes to the workers, who are free.
            if stopped && stage.club {
                return Some(Heard::ForWorkers);
            }
            tokio::select! {
                ready = &mut ready => match ready {
                    Ok(ready) => break ready,
                    Err(error) => {
                        self.send_error(&error.message).await;
                        return None;
                    }
                },
                heard = self.receive(), if !stopped => match heard {
                    PageMessage::Stop => stopped = true,
                    PageMessage::Gone => {
                        self.discard_journal();
                        return None;
                    }
                    // Waiting is no way round the limit on a take's length (nor on memory).
                    PageMessage::Audio if self.page.pcm.len() >= limit => {
                        self.send(json!({"type": "limit", "message": length_limit(stage)})).await;
                        stopped = true;
                    }
                    PageMessage::Audio | PageMessage::Nothing => {}
                },
            }
        };

        let (follow_sender, mut follows) = tokio::sync::mpsc::unbounded_channel::<Follow>();
        let live = LiveTake::start(
            recogniser,
            script,
            Box::new(move |follow| {
                let _ = follow_sender.send(follow);
            }),
        );
        live.push(&self.page.pcm);
        let mut pushed = self.page.pcm.len();
        self.send(json!({"type": "ready"})).await;

        let mut gone = false;
        while !stopped {
            tokio::select! {
                follow = follows.recv() => {
                    if let Some(follow) = follow {
                        let mut message = serde_json::to_value(follow).unwrap_or_default();
                        message["type"] = "follow".into();
                        message["received"] = seconds(self.page.pcm.len()).into();
                        self.send(message).await;
                    }
                }
                heard = tokio::time::timeout(QUIET_PAGE, self.receive()) => match heard.unwrap_or(PageMessage::Gone) {
                    PageMessage::Audio => {
                        live.push(&self.page.pcm[pushed..]);
                        pushed = self.page.pcm.len();
                        if self.page.pcm.len() >= limit {
                            self.send(json!({"type": "limit", "message": length_limit(stage)})).await;
                            stopped = true;
                        }
                    }
                    PageMessage::Stop => stopped = true,
                    PageMessage::Gone => {
                        gone = true;
                        stopped = true;
                    }
                    PageMessage::Nothing => {}
                },
            }
        }

        Some(Heard::Live { live, turn, gone })
    }

    /// Reads the next frame; audio is appended to the take, in memory and on disk.
    async fn receive(&mut self) -> PageMessage {
        let received = self.socket.recv().await;
        let frame = match &received {
            Some(Ok(Message::Binary(bytes))) => Frame::Audio(bytes),
            Some(Ok(Message::Text(text))) => Frame::Text(text.as_str()),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Frame::Closed,
            Some(Ok(_)) => Frame::Other,
        };
        let before = self.page.pcm.len();
        let heard = self.page.read(frame);
        self.keep_on_disk(before);
        heard
    }

    /// Keeps the pose the camera saw with the kept take, before its report is made. A take whose
    /// poses could not be kept is still a take: its report goes without movement.
    async fn keep_poses(&mut self, stage: &Arc<Stage>, take_id: i64) {
        let track = std::mem::take(&mut self.page.poses);
        if track.poses.is_empty() {
            return;
        }
        let kept = stage.store(move |store| encore_rehearsal::keep_pose_track(store, take_id, &track).map(drop)).await;
        if let Err(error) = kept {
            eprintln!("encore: stage: take {take_id}: the camera's poses could not be kept: {}", error.message);
        }
    }

    /// Removes the take's file, now that the take is kept or refused.
    fn discard_journal(&mut self) {
        if let Some(journal) = self.journal.take()
            && let Err(error) = journal.discard()
        {
            eprintln!("encore: stage: cannot remove a finished recording's file: {error}");
        }
    }

    /// Writes the samples from `from` on to the take's file.
    fn keep_on_disk(&mut self, from: usize) {
        if from == self.page.pcm.len() {
            return;
        }
        if let Some(journal) = &mut self.journal
            && let Err(error) = journal.append(&self.page.pcm[from..])
        {
            // The take goes on in memory, as it would without a disk to write to.
            eprintln!("encore: stage: cannot keep writing the recording to disk: {error}");
            self.discard_journal();
        }
    }

    async fn send(&mut self, message: Value) {
        let _ = self.socket.send(Message::Text(message.to_string().into())).await;
    }

    async fn send_error(&mut self, message: &str) {
        self.send(json!({"type": "error", "message": message})).await;
        let _ = self.socket.send(Message::Close(None)).await;
    }
}

/// What the page is told when a take reaches the stage's longest.
fn length_limit(stage: &Stage) -> String {
    let minutes = stage.limits.seconds / 60.0;
    format!("the take reached {minutes:.0} minutes, the most this stage takes; it stopped there")
}
