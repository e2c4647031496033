//! The drills of the stage: `GET /api/pieces/{id}/drills` lists a piece's drills
//! (`encore.drills/1`, with which are due now) and `GET /api/drills/{id}` shows one; an
//! attempt is recorded over the WebSocket in [`super::record`]. The rehearsal layer does the
//! work, as for `encore drill`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde_json::Value;

use super::Stage;
use super::api_error::ApiError;
use crate::report::drills as drill_json;

pub async fn of_piece(State(stage): State<Arc<Stage>>, Path(piece_id): Path<i64>) -> Result<Json<Value>, ApiError> {
    let now = jiff::Timestamp::now().as_second();
    let drills = stage
        .store(move |store| {
            let piece = store.piece(piece_id)?;
            encore_rehearsal::drills(store, Some(&piece), false, now)
        })
        .await?;
    let due: Vec<i64> =
        drills.iter().filter(|drill| encore_rehearsal::is_due(drill, now)).map(|drill| drill.id).collect();
    let mut document = drill_json::document(&drills);
    document["due_now"] = due.len().into();
    document["due_ids"] = due.into();
    Ok(Json(document))
}

pub async fn show(State(stage): State<Arc<Stage>>, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    let drill = stage.store(move |store| store.drill(id)).await?;
    Ok(Json(drill_json::drill(&drill)))
}
