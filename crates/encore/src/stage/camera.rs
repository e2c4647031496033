//! The camera's pose model for the page: `POST /api/camera` installs it on first use (the page
//! says so while it waits, and shows the error if it cannot) and `GET /pose/{file}` serves its
//! files from Encore's model cache. What the camera sees stays in the page; only the body's
//! points come back, with the take (`record.rs`).

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::api_error::ApiError;
use crate::pose_model;

/// One install at a time: two pages switching the camera on together wait for the same one.
static INSTALLING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub async fn prepare() -> Result<axum::Json<Value>, ApiError> {
    let _turn = INSTALLING.lock().await;
    let installed = tokio::task::spawn_blocking(|| {
        pose_model::install(false, &mut |message| eprintln!("encore: stage: {message}"))
    })
    .await
    .map_err(ApiError::internal)?;
    match installed {
        Ok(_) => Ok(axum::Json(json!({"ready": true}))),
        Err(error) => Err(ApiError::unavailable(format!("the camera's pose model could not be installed: {error:#}"))),
    }
}

pub async fn file(Path(name): Path<String>) -> Response {
    let Some((_, _, _, content_type)) = pose_model::FILES.iter().find(|(file, ..)| *file == name) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let Ok(bytes) = tokio::fs::read(pose_model::dir().join(&name)).await else {
        return ApiError::not_found("the pose model is not installed; switch the camera on to install it")
            .into_response();
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The files change only with the pinned versions in `pose_model`.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=86400"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
