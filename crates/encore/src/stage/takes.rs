//! Takes: an uploaded recording analysed against its piece, a take's report with how it stands
//! against the earlier takes, its audio (with ranges, so that the page can play from any
//! word), analysing a take again, removing one, and two takes compared.
//!
//! A take's audio is stored before it is analysed, and its report saved after: a failure or a
//! crash in between leaves the take, which can be analysed again.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use encore_audio::Audio;
use encore_coach::{Comparison, LineDeliveryCompared, Standing, TakeScore};
use encore_rehearsal::{RehearsalError, TakeAudio};
use encore_script::Script;
use encore_store::{JobState, Store, StoreError, Take};
use encore_take::TakeReport;
use http_body_util::BodyExt;
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::Stage;
use super::api_error::ApiError;
use super::pieces::{ScriptView, parse_script, script_view};
use super::state::{InQueue, UploadProgress};

/// An upload whose body pauses this long has stopped coming: the connection is ended.
const UPLOAD_PAUSE: std::time::Duration = std::time::Duration::from_secs(30);

/// What the page knows of a take besides its report.
#[derive(Serialize)]
pub struct TakeInfo {
    id: i64,
    piece_id: i64,
    piece_title: String,
    recorded_at: i64,
    duration: Option<f64>,
    source_name: String,
    // The API's names (docs/stage.md), kept as published; in the code it is `analyzed_at`.
    analysed_at: Option<i64>,
    analyser: Option<String>,
    /// Where the page fetches its audio.
    audio_url: String,
    /// The take before and after this one in the piece, for "compare with the last take".
    previous_take_id: Option<i64>,
    next_take_id: Option<i64>,
}

/// A take with its report and how it stands against the piece's earlier takes.
#[derive(Serialize)]
pub struct TakeView {
    take: TakeInfo,
    /// The script version it was read against.
    script: ScriptView,
    /// `None` until the take is analysed.
    report: Option<TakeReport>,
    score: Option<TakeScore>,
    standing: Option<Standing>,
    /// The standing in plain words: "2 fewer stumbles than last time, new personal best".
    standing_text: Option<String>,
    /// The best earlier take, and each line's delivery against it.
    best_take_id: Option<i64>,
    against_best: Vec<LineDeliveryCompared>,
    /// In a club, the analysis waiting or under way in the queue (or failed); absent once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    job: Option<JobView>,
}

/// A take's analysis in a club's queue, as its page shows it.
#[derive(Serialize)]
pub struct JobView {
    /// `waiting`, `running` or `failed`.
    state: &'static str,
    /// 1 for the next, while waiting.
    place: Option<usize>,
    /// How much has been heard, 0 to 1, while running.
    progress: f64,
    error: Option<String>,
}

/// Two takes side by side.
#[derive(Serialize)]
pub struct CompareView {
    before: TakeInfo,
    after: TakeInfo,
    comparison: Comparison,
}

/// `POST /api/pieces/{id}/takes`: the raw audio file in the body, its name in `X-Filename`,
/// and optionally an id of the page's choosing in `X-Upload-Id`, under which
/// `GET /api/uploads/{id}` tells how far the analysis has got.
pub async fn upload(
    State(stage): State<Arc<Stage>>,
    Path(piece_id): Path<i64>,
    viewer: Option<axum::Extension<encore_rehearsal::Viewer>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<TakeView>, ApiError> {
    // In a club, the member logged in performs it (the guard lets only performers upload).
    let performer = viewer.map(|axum::Extension(viewer)| viewer.member.id);
    let name = file_name(&headers);
    let progress = upload_id(&headers).map(|id| stage.follow_upload(id));
    let limit = stage.limits.upload_bytes;
    let too_big = || {
        ApiError::too_large(format!(
            "{name} is larger than {} MB, the most this stage takes; start it with a larger --max-upload-mb \
             or shorten the recording",
            limit / 1_000_000
        ))
    };
    let announced = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    // Refused at once, the body unread: the connection is closed after the answer (the page
    // checks the size before it sends, so only other clients meet this).
    if announced.is_some_and(|length| length > limit) {
        return Err(too_big());
    }
    let mut body = body;
    let mut bytes: Vec<u8> = Vec::with_capacity(announced.unwrap_or(0) as usize);
    // A body that stops coming holds the connection for ever: a pause this long ends it.
    while let Some(frame) = tokio::time::timeout(UPLOAD_PAUSE, body.frame()).await.map_err(|_| {
        ApiError::new(StatusCode::REQUEST_TIMEOUT, format!("the upload of {name} stopped coming; try again"))
    })? {
        let frame = frame.map_err(|error| {
            ApiError::bad_request(format!("the upload of {name} did not arrive whole: {error}; try again"))
        })?;
        if let Ok(data) = frame.into_data() {
            if (bytes.len() + data.len()) as u64 > limit {
                return Err(too_big());
            }
            bytes.extend_from_slice(&data);
        }
    }

    let piece = stage.store(move |store| store.piece(piece_id)).await?;
    let script = parse_script(&piece.script.text)?;

    // Decoding first: a file that is no audio, or too long, is refused with nothing stored.
    let decoded = {
        let name = name.clone();
        tokio::task::spawn_blocking(move || TakeAudio::from_file(bytes, &name)).await.map_err(ApiError::internal)?
    };
    let audio = decoded.map_err(|error| ApiError::unprocessable(error.to_string()))?;
    check_length(&stage, &name, audio.duration())?;

    // In a club, the take is kept and its analysis queued for a worker, on another machine.
    if stage.club {
        let take_id = stage
            .store(move |store| {
                encore_rehearsal::keep_and_queue(store, &piece, &audio, performer).map(|(take, _)| take.id)
            })
            .await?;
        return show(State(stage), Path(take_id)).await;
    }
    // A place in the queue before anything is stored: a stage too busy keeps nothing.
    let queued = stage.queue_for_turn(progress.as_ref())?;
    let (take, audio) = stage
        .store(move |store| encore_rehearsal::keep_take(store, &piece, &audio, performer).map(|take| (take, audio)))
        .await?;
    judge_and_save(&stage, take.id, script, audio.audio, progress.as_ref(), queued).await?;
    show(State(stage), Path(take.id)).await
}

/// `GET /api/uploads/{id}`: how an upload is getting on while its `POST` goes on: `{"heard":
/// 0.42, "waiting_behind": null}`, where `waiting_behind` is how many analyses are ahead of it
/// while it waits for its turn.
pub async fn upload_progress(State(stage): State<Arc<Stage>>, Path(id): Path<String>) -> Result<Response, ApiError> {
    match stage.upload_progress(&id) {
        Some((heard, ahead)) => {
            Ok(Json(serde_json::json!({ "heard": heard, "waiting_behind": ahead })).into_response())
        }
        None => Err(ApiError::not_found(format!("no upload {id} is being analysed; it may have finished"))),
    }
}

/// The page's id for an upload: letters, digits and dashes, at most 64.
pub fn upload_id(headers: &HeaderMap) -> Option<String> {
    let id = headers.get("x-upload-id")?.to_str().ok()?;
    let plain = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    plain.then(|| id.to_string())
}

/// Judges a kept take and saves its report. A failure says that the take is kept.
async fn judge_and_save(
    stage: &Arc<Stage>,
    take_id: i64,
    script: Script,
    audio: Audio,
    progress: Option<&UploadProgress>,
    queued: InQueue,
) -> Result<(), ApiError> {
    let judgement = stage.judge(script, audio, progress, queued).await.map_err(|error| {
        ApiError::new(error.status, format!("{error}; the take is kept (take {take_id}): analyse it again later"))
    })?;
    stage.store(move |store| encore_rehearsal::save_judgement(store, take_id, &judgement)).await.map(drop)
}

/// `POST /api/takes/{id}/analyse`: hears a stored take again (one whose analysis failed, or
/// one analysed by an older Encore).
pub async fn analyze_again(State(stage): State<Arc<Stage>>, Path(id): Path<i64>) -> Result<Json<TakeView>, ApiError> {
    if stage.club {
        // A club's analyses are the workers': the take goes back in the queue.
        stage
            .store(move |store| {
                store.queue().ok_or(RehearsalError::NoQueue)?.queue_take(id)?;
                Ok::<_, RehearsalError>(())
            })
            .await?;
    } else {
        judge_stored(&stage, id).await?;
    }
    show(State(stage), Path(id)).await
}

/// Judges a kept take from its stored audio and script, and saves its report.
pub async fn judge_stored(stage: &Arc<Stage>, id: i64) -> Result<(), ApiError> {
    let (take, script, bytes) = stage
        .store(move |store| {
            let take = store.take(id)?;
            let script = encore_rehearsal::script_of(store, &take)?;
            let bytes = store.read_audio(&take.audio)?;
            Ok::<_, RehearsalError>((take, script, bytes))
        })
        .await?;
    // Decoded without holding the store: a long take takes seconds, and other requests wait for it.
    let audio = tokio::task::spawn_blocking(move || encore_rehearsal::decode_stored(&take, bytes))
        .await
        .map_err(ApiError::internal)?
        .map_err(|error| ApiError::unprocessable(error.to_string()))?;
    let queued = stage.queue_for_turn(None)?;
    judge_and_save(stage, id, script, audio, None, queued).await
}

/// `PUT /api/takes/{id}/poses`: the pose over a filmed take, read by the page from the video
/// (`{"type":"poses","poses":[...]}`, as over the recording WebSocket). It is kept with the take,
/// and the take's report, if it has one yet, says how the take looked.
pub async fn keep_poses(
    State(stage): State<Arc<Stage>>,
    Path(id): Path<i64>,
    Json(message): Json<serde_json::Value>,
) -> Result<Json<TakeView>, ApiError> {
    let mut track = encore_take::PoseTrack::default();
    super::page_message::note_poses(&message, &mut track);
    if track.poses.is_empty() {
        return Err(ApiError::bad_request(
            "no pose came with the request: send {\"type\":\"poses\",\"poses\":[[at, x, y, score, ...], ...]}",
        ));
    }
    stage.store(move |store| encore_rehearsal::keep_pose_track(store, id, &track)).await?;
    show(State(stage), Path(id)).await
}

pub async fn show(State(stage): State<Arc<Stage>>, Path(id): Path<i64>) -> Result<Json<TakeView>, ApiError> {
    let view = stage.store(move |store| take_view(store, id)).await?;
    Ok(Json(view))
}

pub async fn remove(State(stage): State<Arc<Stage>>, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    stage.store(move |store| store.remove_take(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/compare/{before}/{after}`: the words fixed, gone worse and still tripping.
pub async fn compare(
    State(stage): State<Arc<Stage>>,
    Path((before, after)): Path<(i64, i64)>,
) -> Result<Json<CompareView>, ApiError> {
    let view = stage
        .store(move |store| {
            let compared = encore_rehearsal::compare(store, before, after).map_err(|error| match error {
                RehearsalError::DifferentPieces { .. } => {
                    ApiError::bad_request("these takes are of different pieces; compare takes of the same piece")
                }
                RehearsalError::NotAnalyzed { .. } => {
                    ApiError::unprocessable("a take that is not analysed yet cannot be compared; analyse it first")
                }
                RehearsalError::StoredScript { .. } => {
                    ApiError::unprocessable("the script of one of these takes cannot be read any more")
                }
                other => other.into(),
            })?;
            let before = take_info(store, &compared.before)?;
            let after = take_info(store, &compared.after)?;
            Ok::<_, ApiError>(CompareView { before, after, comparison: compared.comparison })
        })
        .await?;
    Ok(Json(view))
}

/// `GET /api/takes/{id}/audio`: the take's audio file, with byte ranges so that the page's
/// player can start anywhere.
pub async fn audio(
    State(stage): State<Arc<Stage>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let take = stage.store(move |store| store.take(id)).await?;
    // Audio kept as a file (SQLite's store) is read a range at a time; audio kept in a database
    // comes whole, and the range is cut from it.
    let mut source = match take.audio.path.clone() {
        Some(path) => {
            let file = tokio::fs::File::open(&path).await.map_err(|error| {
                ApiError::internal(format!("cannot open the take's audio {}: {error}", path.display()))
            })?;
            AudioSource::File(file)
        }
        None => {
            let audio = take.audio.clone();
            AudioSource::Bytes(stage.store(move |store| store.read_audio(&audio)).await?)
        }
    };
    let length = match &source {
        AudioSource::File(file) => file.metadata().await.map_err(ApiError::internal)?.len(),
        AudioSource::Bytes(bytes) => bytes.len() as u64,
    };
    let content_type = content_type(&take.audio.extension);
    let range = headers.get(header::RANGE).and_then(|value| value.to_str().ok()).map(|value| byte_range(value, length));
    let (status, start, end) = match range {
        None => (StatusCode::OK, 0, length),
        Some(Some((start, end))) => (StatusCode::PARTIAL_CONTENT, start, end),
        Some(None) => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{length}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(response);
        }
    };
    let bytes = match &mut source {
        AudioSource::File(file) => {
            file.seek(std::io::SeekFrom::Start(start)).await.map_err(ApiError::internal)?;
            let mut bytes = Vec::with_capacity((end - start) as usize);
            file.take(end - start).read_to_end(&mut bytes).await.map_err(ApiError::internal)?;
            bytes
        }
        AudioSource::Bytes(bytes) => bytes[start as usize..end as usize].to_vec(),
    };
    let mut response = (status, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{}/{length}", end - 1))
    {
        headers.insert(header::CONTENT_RANGE, value);
    }
    Ok(response)
}

/// Where a take's audio is read from: its file, or the bytes a database gave back.
enum AudioSource {
    File(tokio::fs::File),
    Bytes(Vec<u8>),
}

/// A take with its report, script and standing.
pub fn take_view(store: &dyn Store, id: i64) -> Result<TakeView, StoreError> {
    let take = store.take(id)?;
    let info = take_info(store, &take)?;
    let version = store.script_version(take.script_version_id)?;
    let standing = encore_rehearsal::standing_of(store, &take)?;
    let (score, standing, standing_text, best_take_id, against_best) = match standing {
        Some(s) => (Some(s.score), Some(s.standing), Some(s.text), s.best_take_id, s.against_best),
        None => (None, None, None, None, Vec::new()),
    };
    Ok(TakeView {
        take: info,
        script: script_view(&version),
        report: take.report,
        score,
        standing,
        standing_text,
        best_take_id,
        against_best,
        job: job_view(store, id)?,
    })
}

/// The take's job in a club's queue, unless it is done (or the store has no queue).
fn job_view(store: &dyn Store, take_id: i64) -> Result<Option<JobView>, StoreError> {
    let Some(queue) = store.queue() else { return Ok(None) };
    Ok(queue.job_of_take(take_id)?.filter(|job| job.state != JobState::Done).map(|job| JobView {
        state: job.state.name(),
        place: job.place,
        progress: job.progress,
        error: job.error,
    }))
}

fn take_info(store: &dyn Store, take: &Take) -> Result<TakeInfo, StoreError> {
    let piece = store.piece(take.piece_id)?;
    // The takes before and after are the same performer's (all of them on one's own stage).
    let takes: Vec<Take> =
        store.takes(take.piece_id)?.into_iter().filter(|other| other.performer_id == take.performer_id).collect();
    let at = takes.iter().position(|t| t.id == take.id);
    let previous_take_id = at.and_then(|at| at.checked_sub(1)).map(|at| takes[at].id);
    let next_take_id = at.and_then(|at| takes.get(at + 1)).map(|t| t.id);
    Ok(TakeInfo {
        id: take.id,
        piece_id: take.piece_id,
        piece_title: piece.title,
        recorded_at: take.recorded_at,
        duration: take.duration,
        source_name: take.source_name.clone(),
        analysed_at: take.analyzed_at,
        analyser: take.analyzer.clone(),
        audio_url: format!("/api/takes/{}/audio", take.id),
        previous_take_id,
        next_take_id,
    })
}

/// Refuses a take longer than the stage allows (413).
pub fn check_length(stage: &Stage, name: &str, seconds: f64) -> Result<(), ApiError> {
    if seconds > stage.limits.seconds {
        return Err(ApiError::too_large(format!(
            "{name} is {:.0} minutes long; this stage takes up to {:.0} minutes (start it with a larger \
             --max-upload-minutes, or rehearse the piece in parts)",
            (seconds / 60.0).ceil(),
            stage.limits.seconds / 60.0
        )));
    }
    Ok(())
}

/// The uploaded file's name from `X-Filename` (percent-encoded by the page), reduced to a plain
/// file name.
pub fn file_name(headers: &HeaderMap) -> String {
    let raw = headers.get("x-filename").and_then(|value| value.to_str().ok()).unwrap_or("");
    let decoded = percent_decode(raw);
    let name = decoded.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let name: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
    if name.is_empty() { "the uploaded file".to_string() } else { name }
}

fn percent_decode(text: &str) -> String {
    let hex = |byte: u8| (byte as char).to_digit(16).map(|digit| digit as u8);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%'
            && let Some((high, low)) =
                bytes.get(at + 1).and_then(|&b| hex(b)).zip(bytes.get(at + 2).and_then(|&b| hex(b)))
        {
            out.push(high * 16 + low);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn content_type(extension: &str) -> &'static str {
    match extension {
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "mp3" => "audio/mpeg",
        "ogg" | "oga" => "audio/ogg",
        "m4a" | "mp4" | "aac" => "audio/mp4",
        _ => "application/octet-stream",
    }
}

/// The first range of a `Range: bytes=...` header as `[start, end)`; `None` when it cannot be
/// satisfied.
pub fn byte_range(value: &str, length: u64) -> Option<(u64, u64)> {
    let spec = value.strip_prefix("bytes=")?.split(',').next()?.trim();
    let (start, end) = spec.split_once('-')?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let suffix: u64 = suffix.parse().ok()?;
            (length.saturating_sub(suffix), length)
        }
        (start, "") => (start.parse().ok()?, length),
        (start, end) => (start.parse().ok()?, end.parse::<u64>().ok()?.saturating_add(1).min(length)),
    };
    (start < end && start < length).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(byte_range("bytes=0-", 100), Some((0, 100)));
        assert_eq!(byte_range("bytes=10-19", 100), Some((10, 20)));
        assert_eq!(byte_range("bytes=90-200", 100), Some((90, 100)));
        assert_eq!(byte_range("bytes=-10", 100), Some((90, 100)));
        assert_eq!(byte_range("bytes=100-", 100), None);
        assert_eq!(byte_range("items=1-2", 100), None);
    }

    #[test]
    fn file_names_are_plain() {
        let mut headers = HeaderMap::new();
        headers.insert("x-filename", HeaderValue::from_static("..%2F..%2Fetc%2Fmy%20take.WAV"));
        assert_eq!(file_name(&headers), "my take.WAV");
        assert_eq!(file_name(&HeaderMap::new()), "the uploaded file");
    }
}
