//! Pieces: list, create, read (with the takes, the progress over them and the trouble spots),
//! rename or edit the script, remove.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use encore_coach::{TakeScore, TroubleSpot};
use encore_rehearsal::{ScriptVersions, Viewer};
use encore_script::Script;
use encore_store::{Piece, PieceSummary, ScriptVersion, Store, StoreError, Take};
use serde::{Deserialize, Serialize};

use super::Stage;
use super::api_error::ApiError;

/// A piece in the list.
#[derive(Serialize)]
pub struct PieceItem {
    id: i64,
    title: String,
    created_at: i64,
    /// Words in the current script.
    words: usize,
    takes: usize,
    last_take_at: Option<i64>,
    best_accuracy: Option<f64>,
}

/// A script word as the page shows it.
#[derive(Serialize)]
pub struct WordView {
    pub index: usize,
    pub text: String,
    pub line: usize,
}

/// A version of a piece's script, with its words.
#[derive(Serialize)]
pub struct ScriptView {
    pub id: i64,
    pub version: i64,
    pub text: String,
    pub created_at: i64,
    pub words: Vec<WordView>,
}

/// A take in a piece's list.
#[derive(Serialize)]
pub struct TakeItem {
    id: i64,
    recorded_at: i64,
    duration: Option<f64>,
    source_name: String,
    /// The version of the script it was read against.
    script_version: i64,
    analysed: bool,
    score: Option<TakeScore>,
}

/// How the analysed takes went, oldest first, for the progress chart.
#[derive(Serialize)]
struct ProgressChart {
    take_ids: Vec<i64>,
    recorded_at: Vec<i64>,
    accuracy: Vec<f64>,
    wcpm: Vec<f64>,
    stumbles: Vec<usize>,
    /// Accuracy as a row of bars, for a small summary.
    sparkline: String,
}

/// A piece with everything its page shows.
#[derive(Serialize)]
pub struct PieceView {
    id: i64,
    title: String,
    created_at: i64,
    script: ScriptView,
    takes: Vec<TakeItem>,
    progress: ProgressChart,
    trouble: Vec<TroubleSpot>,
}

#[derive(Deserialize)]
pub struct NewPiece {
    title: String,
    script: String,
}

#[derive(Deserialize)]
pub struct PieceChange {
    title: Option<String>,
    script: Option<String>,
}

pub async fn list(
    State(stage): State<Arc<Stage>>,
    viewer: Option<Extension<Viewer>>,
) -> Result<Json<Vec<PieceItem>>, ApiError> {
    let viewer = viewer.map(|Extension(viewer)| viewer);
    let pieces = stage
        .store(move |store| {
            let pieces = store.pieces()?;
            let Some(viewer) = viewer else { return Ok(pieces) };
            // A member sees the pieces assigned to their groups, summed over the takes they see.
            pieces
                .into_iter()
                .filter(|summary| viewer.sees_piece(summary.piece.id))
                .map(|summary| {
                    let takes: Vec<Take> =
                        store.takes(summary.piece.id)?.into_iter().filter(|take| viewer.sees_take(take)).collect();
                    Ok(PieceSummary {
                        takes: takes.len(),
                        last_take_at: takes.iter().map(|take| take.recorded_at).max(),
                        best_accuracy: takes
                            .iter()
                            .filter_map(|take| Some(take.report.as_ref()?.summary.accuracy))
                            .reduce(f64::max),
                        piece: summary.piece,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()
        })
        .await?;
    let items = pieces
        .into_iter()
        .map(|summary| PieceItem {
            id: summary.piece.id,
            title: summary.piece.title.clone(),
            created_at: summary.piece.created_at,
            words: Script::parse(&summary.piece.script.text).map(|script| script.len()).unwrap_or(0),
            takes: summary.takes,
            last_take_at: summary.last_take_at,
            best_accuracy: summary.best_accuracy,
        })
        .collect();
    Ok(Json(items))
}

pub async fn create(
    State(stage): State<Arc<Stage>>,
    Json(new): Json<NewPiece>,
) -> Result<(StatusCode, Json<PieceView>), ApiError> {
    let title = new.title.trim().to_string();
    if title.is_empty() {
        return Err(ApiError::bad_request("a piece needs a title"));
    }
    parse_script(&new.script)?;
    let view = stage
        .store(move |store| {
            let piece = store.add_piece(&title, &new.script)?;
            piece_view(store, piece, None)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

pub async fn show(
    State(stage): State<Arc<Stage>>,
    Path(id): Path<i64>,
    viewer: Option<Extension<Viewer>>,
) -> Result<Json<PieceView>, ApiError> {
    let view = stage
        .store(move |store| {
            let piece = store.piece(id)?;
            piece_view(store, piece, viewer.as_ref().map(|Extension(viewer)| viewer))
        })
        .await?;
    Ok(Json(view))
}

/// Renames the piece and/or gives it a new version of its script (the old one is kept for the
/// takes read against it).
pub async fn update(
    State(stage): State<Arc<Stage>>,
    Path(id): Path<i64>,
    viewer: Option<Extension<Viewer>>,
    Json(change): Json<PieceChange>,
) -> Result<Json<PieceView>, ApiError> {
    let title = change.title.map(|title| title.trim().to_string());
    if title.as_deref().is_some_and(str::is_empty) {
        return Err(ApiError::bad_request("a piece needs a title"));
    }
    if let Some(text) = &change.script {
        parse_script(text)?;
    }
    let view = stage
        .store(move |store| {
            let piece = store.piece(id)?;
            if let Some(title) = title.filter(|title| *title != piece.title) {
                store.rename_piece(id, &title)?;
            }
            if let Some(text) = change.script.filter(|text| *text != piece.script.text) {
                encore_rehearsal::edit_script(store, &piece, &text)?;
            }
            let piece = store.piece(id)?;
            Ok::<_, ApiError>(piece_view(store, piece, viewer.as_ref().map(|Extension(viewer)| viewer))?)
        })
        .await?;
    Ok(Json(view))
}

/// Removes the piece with all its takes and their audio.
pub async fn remove(State(stage): State<Arc<Stage>>, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    stage.store(move |store| store.remove_piece(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/pieces/{id}/mastery`: how well each word of the current script is known by heart,
/// 0 to 1, for the prompter that fades: `{"words": [..]}`, one per script word.
pub async fn mastery(
    State(stage): State<Arc<Stage>>,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let words = stage.store(move |store| encore_rehearsal::mastery_of(store, &store.piece(id)?)).await?;
    Ok(Json(serde_json::json!({ "words": words })))
}

/// The script, or a message that says why it cannot be rehearsed (400).
pub fn parse_script(text: &str) -> Result<Script, ApiError> {
    Script::parse(text).map_err(|error| ApiError::bad_request(error.to_string()))
}

/// A script version with its words. A version the parser refuses today (it was accepted when
/// stored) shows with no words rather than failing the page.
pub fn script_view(version: &ScriptVersion) -> ScriptView {
    let words = Script::parse(&version.text)
        .map(|script| {
            script
                .words()
                .iter()
                .map(|word| WordView { index: word.index, text: word.text.clone(), line: word.line })
                .collect()
        })
        .unwrap_or_default();
    ScriptView {
        id: version.id,
        version: version.version.into(),
        text: version.text.clone(),
        created_at: version.created_at,
        words,
    }
}

/// The piece's page, with the takes `viewer` may see (all of them on a performer's own stage).
fn piece_view(store: &dyn Store, piece: Piece, viewer: Option<&Viewer>) -> Result<PieceView, StoreError> {
    let takes: Vec<Take> =
        store.takes(piece.id)?.into_iter().filter(|take| viewer.is_none_or(|viewer| viewer.sees_take(take))).collect();
    let mut scripts = ScriptVersions::default();
    let mut items = Vec::with_capacity(takes.len());
    let mut progress = ProgressChart {
        take_ids: Vec::new(),
        recorded_at: Vec::new(),
        accuracy: Vec::new(),
        wcpm: Vec::new(),
        stumbles: Vec::new(),
        sparkline: String::new(),
    };
    for take in &takes {
        let version = scripts.get(store, take.script_version_id)?.map(|(version, _)| version.version).unwrap_or(0);
        let score = take.report.as_ref().map(TakeScore::of);
        if let Some(score) = score {
            progress.take_ids.push(take.id);
            progress.recorded_at.push(take.recorded_at);
            progress.accuracy.push(score.accuracy);
            progress.wcpm.push(score.wcpm);
            progress.stumbles.push(score.stumbles);
        }
        items.push(TakeItem {
            id: take.id,
            recorded_at: take.recorded_at,
            duration: take.duration,
            source_name: take.source_name.clone(),
            script_version: version.into(),
            analysed: take.report.is_some(),
            score,
        });
    }
    progress.sparkline = encore_coach::sparkline(&progress.accuracy);

    let trouble = encore_rehearsal::trouble(store, &piece, &takes, &mut scripts)?.spots;

    Ok(PieceView {
        id: piece.id,
        title: piece.title.clone(),
        created_at: piece.created_at,
        script: script_view(&piece.script),
        takes: items,
        progress,
        trouble,
    })
}
