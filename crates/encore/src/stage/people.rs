//! Who is at the stage of a club (club mode: the stage serves a club's database). Members log
//! in with `POST /api/login` and get a session cookie (HTTP-only, same-site, expiring); every
//! other request under `/api/` needs it, and [`access`] lets each one through only to what its
//! member may see: a piece or a take they may not see is answered 404, as if it did not exist;
//! an action their role may not take is answered 403. The rules of who sees what are the
//! rehearsal layer's ([`Viewer`]). A performer's own stage (SQLite) has no logins and none of
//! this.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use encore_rehearsal::{RehearsalError, Viewer};
use serde::Deserialize;

use super::Stage;
use super::api_error::ApiError;

/// The session cookie's name; it names the port so that two stages do not overwrite each
/// other's.
fn cookie_name(stage: &Stage) -> String {
    format!("encore_session_{}", stage.address.port())
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
}

/// `POST /api/login` `{"name", "password"}`: sets the session cookie and says who logged in.
pub async fn log_in(State(stage): State<Arc<Stage>>, headers: HeaderMap, Json(form): Json<LoginForm>) -> Response {
    if !stage.club {
        return ApiError::not_found("this stage has no logins: it serves one performer's own store").into_response();
    }
    let login = stage.store(move |store| encore_rehearsal::log_in(store, &form.name, &form.password)).await;
    let login = match login {
        Ok(login) => login,
        Err(error) => return error.into_response(),
    };
    // Secure where the browser reached the stage over HTTPS (a proxy in front) or on this
    // machine, which browsers count as secure; a stage on a plain-HTTP network address could
    // not keep its logins otherwise.
    let secure = forwarded_https(&headers) || super::auth::host_is_loopback(&headers);
    let cookie = format!(
        "{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        cookie_name(&stage),
        login.token,
        encore_rehearsal::SESSION_SECONDS,
        if secure { "; Secure" } else { "" }
    );
    let mut response = Json(member_json(&login.member)).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `POST /api/logout`: ends the session and clears the cookie.
pub async fn log_out(State(stage): State<Arc<Stage>>, headers: HeaderMap) -> Response {
    if let Some(token) = session_token(&headers, &cookie_name(&stage))
        && stage.club
    {
        let _ = stage.store(move |store| encore_rehearsal::log_out(store, &token)).await;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let cookie = format!("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0", cookie_name(&stage));
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `GET /api/me`: who is logged in (`{"club": false}` on a performer's own stage).
pub async fn me(viewer: Option<axum::Extension<Viewer>>) -> Json<serde_json::Value> {
    match viewer {
        Some(axum::Extension(viewer)) => Json(member_json(&viewer.member)),
        None => Json(serde_json::json!({ "club": false })),
    }
}

fn member_json(member: &encore_store::Member) -> serde_json::Value {
    serde_json::json!({ "club": true, "id": member.id, "name": member.name, "role": member.role.name() })
}

/// In club mode, lets a request through only with a live session, and only to what its member
/// may see and do; the member's [`Viewer`] goes with the request for the handlers that list.
pub async fn access(State(stage): State<Arc<Stage>>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if !stage.club
        || !path.starts_with("/api/")
        || matches!(path.as_str(), "/api/health" | "/api/login" | "/api/logout")
    {
        return next.run(request).await;
    }
    let Some(token) = session_token(request.headers(), &cookie_name(&stage)) else {
        return ApiError::new(StatusCode::UNAUTHORIZED, "log in first").into_response();
    };
    let viewer = stage
        .store(move |store| {
            let Some(member) = encore_rehearsal::member_of_session(store, &token)? else {
                return Ok(None);
            };
            Ok::<_, RehearsalError>(Some(Viewer::of(store, member)?))
        })
        .await;
    let viewer = match viewer {
        Ok(Some(viewer)) => viewer,
        Ok(None) => {
            return ApiError::new(StatusCode::UNAUTHORIZED, "your login has ended; log in again").into_response();
        }
        Err(error) => return error.into_response(),
    };
    if let Err(refused) = allowed(&stage, &viewer, request.method(), &path).await {
        return refused.into_response();
    }
    request.extensions_mut().insert(viewer);
    next.run(request).await
}

/// Whether `viewer` may make this request: `Err` with the answer when not.
async fn allowed(stage: &Arc<Stage>, viewer: &Viewer, method: &Method, path: &str) -> Result<(), ApiError> {
    let segments: Vec<&str> = path.trim_start_matches("/api/").split('/').collect();
    let id = |index: usize| segments.get(index).and_then(|segment| segment.parse::<i64>().ok());
    let coach_only = || forbidden("only a coach may change the club's pieces");
    match (method, segments.as_slice()) {
        (_, ["me" | "settings" | "model" | "camera"]) => Ok(()),
        (&Method::GET, ["pieces"]) => Ok(()),
        (_, ["pieces"]) => Err(forbidden(
            "a club's pieces are added with `encore piece add` and given to a group with `encore assign`",
        )),
        (_, ["uploads", _]) => Ok(()),
        (&Method::GET, ["groups"]) => Ok(()),
        // Which groups a coach may open is the rehearsal layer's to say (a group not theirs is 404).
        (&Method::GET, ["groups", _]) if viewer.is_coach() => Ok(()),
        (_, ["groups", ..]) => Err(forbidden("only a coach sees a group's takes")),
        (method, ["pieces", _, rest @ ..]) => {
            id(1).filter(|&piece| viewer.sees_piece(piece)).ok_or_else(no_such_piece)?;
            match (method, rest) {
                (&Method::GET, []) => Ok(()),
                (_, []) if viewer.is_coach() => Ok(()),
                (_, []) => Err(coach_only()),
                (_, ["takes" | "record"]) if viewer.is_coach() => {
                    Err(forbidden("a coach's own takes are not kept; log in as a performer to rehearse"))
                }
                (_, ["takes" | "record"]) => Ok(()),
                _ => Err(no_drills()),
            }
        }
        (_, ["drills", ..]) => Err(no_drills()),
        (method, ["takes", _, rest @ ..]) => {
            let take = visible_take(stage, viewer, id(1)).await?;
            match (method, rest) {
                (&Method::DELETE, []) if take.performer_id != Some(viewer.member.id) => {
                    Err(forbidden("only the performer of a take may remove it"))
                }
                (_, ["poses"]) if take.performer_id != Some(viewer.member.id) => {
                    Err(forbidden("only the performer of a take may give how it looked"))
                }
                (_, ["words", _]) if !viewer.is_coach() => Err(forbidden("only a coach may change a verdict")),
                _ => Ok(()),
            }
        }
        (_, ["compare", _, _]) => {
            visible_take(stage, viewer, id(1)).await?;
            visible_take(stage, viewer, id(2)).await?;
            Ok(())
        }
        // A route not listed here is refused until it is: nothing is open by default.
        _ => Err(ApiError::not_found("there is nothing at this address")),
    }
}

/// The take `id`, if the viewer may see it; 404 as for a take that does not exist otherwise.
async fn visible_take(stage: &Arc<Stage>, viewer: &Viewer, id: Option<i64>) -> Result<encore_store::Take, ApiError> {
    let id = id.ok_or_else(|| ApiError::not_found("there is no such take"))?;
    let take = stage.store(move |store| store.take(id)).await?;
    if viewer.sees_take(&take) { Ok(take) } else { Err(encore_store::StoreError::NoSuchTake { id }.into()) }
}

fn no_such_piece() -> ApiError {
    ApiError::not_found("there is no such piece among those assigned to your groups")
}

fn no_drills() -> ApiError {
    forbidden("drills and memorisation are not kept for each member of a club yet; rehearse whole takes")
}

fn forbidden(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, message)
}

fn session_token(headers: &HeaderMap, name: &str) -> Option<String> {
    super::auth::cookie_token(headers, name).filter(|token| !token.is_empty())
}

fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}
