//! The one error type of the stage's API: a status and a message that tells the performer what
//! went wrong and what to do, sent as `{"error": message}`. Failures that are the server's own
//! are also logged on stderr, where whoever started the stage sees them.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use encore_rehearsal::RehearsalError;
use encore_store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds after which trying again may succeed, sent as `Retry-After`.
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into(), retry_after: None }
    }

    /// Too much to do now; try again in `seconds` (503 with `Retry-After`).
    pub fn busy(message: impl Into<String>, seconds: u32) -> ApiError {
        ApiError { retry_after: Some(seconds), ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message) }
    }

    /// The request cannot be used as it is (400).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// Well-formed, but not something Encore can work with, such as a file that is no audio (422).
    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// Over one of the stage's limits (413).
    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// The speech model is not there to use (503).
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// Something went wrong on the server's side (500).
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        let status = match error {
            StoreError::NoSuchPiece { .. }
            | StoreError::NoSuchTake { .. }
            | StoreError::NoSuchDrill { .. }
            | StoreError::NoSuchScriptVersion { .. } => StatusCode::NOT_FOUND,
            StoreError::TitleTaken { .. } => StatusCode::CONFLICT,
            StoreError::EmptyTitle | StoreError::AmbiguousPiece { .. } | StoreError::BadExtension { .. } => {
                StatusCode::BAD_REQUEST
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, error.to_string())
    }
}

impl From<RehearsalError> for ApiError {
    fn from(error: RehearsalError) -> ApiError {
        match error {
            RehearsalError::Store(error) => error.into(),
            RehearsalError::Audio(error) => ApiError::unprocessable(error.to_string()),
            RehearsalError::DifferentPieces { .. } => ApiError::bad_request(error.to_string()),
            RehearsalError::NotAnalyzed { .. } | RehearsalError::StoredScript { .. } => {
                ApiError::unprocessable(error.to_string())
            }
            RehearsalError::WrongLogin => ApiError::new(StatusCode::UNAUTHORIZED, error.to_string()),
            RehearsalError::CoachesOnly => ApiError::new(StatusCode::FORBIDDEN, error.to_string()),
            RehearsalError::NoSuchGroup { .. } => ApiError::not_found(error.to_string()),
            RehearsalError::Verdict(_) => ApiError::bad_request(error.to_string()),
            RehearsalError::TooManyLogins { .. } => ApiError::new(StatusCode::TOO_MANY_REQUESTS, error.to_string()),
            other => ApiError::internal(other),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            eprintln!("encore: stage: {}", self.message);
        }
        let mut response = (self.status, Json(serde_json::json!({"error": self.message}))).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}
