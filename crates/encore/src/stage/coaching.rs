//! A coach's pages of a club's stage: their groups, a group's pieces with where the group
//! stumbles, each performer's takes over time, and a word's verdict changed. The rehearsal
//! layer decides what a coach sees and may change (`encore_rehearsal::group_view`,
//! `change_verdict`); this only speaks HTTP and JSON.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::{Extension, Json};
use encore_rehearsal::{RehearsalError, Viewer, club_of};
use encore_take::Verdict;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Stage;
use super::api_error::ApiError;
use super::takes::{TakeView, take_view};

/// `GET /api/groups`: the groups of the member logged in.
pub async fn list(
    State(stage): State<Arc<Stage>>,
    Extension(viewer): Extension<Viewer>,
) -> Result<Json<Value>, ApiError> {
    let groups =
        stage.store(move |store| Ok::<_, RehearsalError>(club_of(store)?.groups_of(viewer.member.id)?)).await?;
    Ok(Json(json!(groups.iter().map(|group| json!({"id": group.id, "name": group.name})).collect::<Vec<_>>())))
}

/// `GET /api/groups/{id}`: a group as its coach sees it.
pub async fn show(
    State(stage): State<Arc<Stage>>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let view = stage.store(move |store| encore_rehearsal::group_view(store, &viewer, id)).await?;
    let pieces: Vec<Value> = view
        .pieces
        .iter()
        .map(|assigned| {
            json!({
                "id": assigned.piece.id,
                "title": assigned.piece.title,
                "due": assigned.due,
                "trouble": assigned.trouble,
            })
        })
        .collect();
    let performers: Vec<Value> = view
        .performers
        .iter()
        .map(|performer| {
            let takes: Vec<Value> = performer
                .takes
                .iter()
                .map(|take| {
                    let report = take.report.as_ref();
                    json!({
                        "id": take.id,
                        "piece_id": take.piece_id,
                        "recorded_at": take.recorded_at,
                        "accuracy": report.map(|report| report.summary.accuracy),
                        "wcpm": report.map(|report| report.summary.wcpm),
                        "changes": report.map_or(0, |report| report.changes.len()),
                    })
                })
                .collect();
            json!({"id": performer.member.id, "name": performer.member.name, "takes": takes})
        })
        .collect();
    Ok(Json(json!({
        "id": view.group.id,
        "name": view.group.name,
        "pieces": pieces,
        "performers": performers,
    })))
}

#[derive(Deserialize)]
pub struct VerdictForm {
    verdict: Verdict,
}

/// `PUT /api/takes/{id}/words/{index}` `{"verdict": "correct" | "misread" | "skipped"}`: a coach
/// changes a script word's verdict; answers the take as it now is.
pub async fn change_verdict(
    State(stage): State<Arc<Stage>>,
    Extension(viewer): Extension<Viewer>,
    Path((id, index)): Path<(i64, usize)>,
    Json(form): Json<VerdictForm>,
) -> Result<Json<TakeView>, ApiError> {
    let view = stage
        .store(move |store| {
            encore_rehearsal::change_verdict(store, &viewer, id, index, form.verdict)?;
            Ok::<_, ApiError>(take_view(store, id)?)
        })
        .await?;
    Ok(Json(view))
}
