//! Who may use the stage. On loopback (the default) only this machine can reach it, and two
//! checks keep web pages from other sites out: the `Host` must name this machine (against DNS
//! rebinding) and an `Origin`, when a browser sends one, must be the stage itself (against a
//! page elsewhere posting to it or opening its WebSocket). Listening on any other address, every
//! request, pages and assets included, needs the token printed at start: as `?token=` (the page
//! then gets it as a cookie), as `Authorization: Bearer`, or as that cookie. A club's stage has
//! no token and answers to any host name: every request for data needs a member's login
//! (`people.rs`), whose cookie no other site's page can send.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::Stage;
use super::api_error::ApiError;

/// A fresh random token: 128 bits, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system gives random bytes");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The name of the token's cookie; it names the port so that two stages do not overwrite each
/// other's.
fn cookie_name(stage: &Stage) -> String {
    format!("encore_token_{}", stage.address.port())
}

pub async fn guard(State(stage): State<Arc<Stage>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if stage.token.is_none() && !stage.club && !host_is_loopback(headers) {
        return ApiError::new(StatusCode::FORBIDDEN, "this stage answers only to addresses of this machine")
            .into_response();
    }
    if !origin_is_stage(headers) {
        return ApiError::new(StatusCode::FORBIDDEN, "requests from other sites are refused").into_response();
    }
    let Some(token) = stage.token.as_deref() else {
        return next.run(request).await;
    };
    let from_query = query_token(request.uri().query());
    let given =
        from_query.clone().or_else(|| bearer_token(headers)).or_else(|| cookie_token(headers, &cookie_name(&stage)));
    if !given.is_some_and(|given| same(given.as_bytes(), token.as_bytes())) {
        return refuse(headers);
    }
    let mut response = next.run(request).await;
    if from_query.is_some() {
        let cookie = format!("{}={token}; Path=/; HttpOnly; SameSite=Strict", cookie_name(&stage));
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// 401, as a short page for a browser and as JSON for everything else.
fn refuse(headers: &HeaderMap) -> Response {
    const MESSAGE: &str =
        "this stage needs its token: open the address that `encore stage` printed, with ?token=… in it";
    let wants_page = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_page {
        let page = format!(
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Encore: token needed</title>\
             <body style=\"font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem\">\
             <h1>Encore stage</h1><p>{MESSAGE}.</p></body></html>"
        );
        return (StatusCode::UNAUTHORIZED, Html(page)).into_response();
    }
    ApiError::new(StatusCode::UNAUTHORIZED, MESSAGE).into_response()
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|pair| pair.strip_prefix("token=")).map(str::to_string)
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|token| token.trim().to_string())
}

pub(super) fn cookie_token(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok()).find_map(|cookies| {
        cookies.split(';').find_map(|cookie| {
            let (key, value) = cookie.trim().split_once('=')?;
            (key == name).then(|| value.to_string())
        })
    })
}

/// Compares in time that does not depend on where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |difference, (x, y)| difference | (x ^ y)) == 0
}

/// The host part of a `Host` or `Origin` authority, without the port.
fn host_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority.rsplit_once(':').map_or(authority, |(host, _)| host)
}

pub(super) fn host_is_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|host| host.to_str().ok()) else {
        // HTTP/1.0 without a Host: not a browser on a rebound name.
        return true;
    };
    let host = host_of(host);
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// No `Origin` (not a browser, or a same-origin GET), or one whose host and port are the ones
/// this request was sent to.
fn origin_is_stage(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|origin| origin.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|host| host.to_str().ok()) else {
        return false;
    };
    let authority = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
    authority.is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn tokens_are_read_from_query_header_and_cookie() {
        assert_eq!(query_token(Some("a=1&token=abc")), Some("abc".to_string()));
        assert_eq!(query_token(Some("tokens=abc")), None);
        assert_eq!(bearer_token(&headers(&[(header::AUTHORIZATION, "Bearer xyz")])), Some("xyz".to_string()));
        let cookies = headers(&[(header::COOKIE, "a=b; encore_token_7437=t0k")]);
        assert_eq!(cookie_token(&cookies, "encore_token_7437"), Some("t0k".to_string()));
        assert_eq!(cookie_token(&cookies, "encore_token_1"), None);
    }

    #[test]
    fn tokens_are_long_and_differ() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(same(a.as_bytes(), a.as_bytes()) && !same(a.as_bytes(), b.as_bytes()));
    }

    #[test]
    fn only_this_machine_and_the_stage_itself_are_let_in() {
        assert!(host_is_loopback(&headers(&[(header::HOST, "127.0.0.1:7437")])));
        assert!(host_is_loopback(&headers(&[(header::HOST, "localhost:7437")])));
        assert!(host_is_loopback(&headers(&[(header::HOST, "[::1]:7437")])));
        assert!(!host_is_loopback(&headers(&[(header::HOST, "evil.example:7437")])));
        let host = (header::HOST, "127.0.0.1:7437");
        assert!(origin_is_stage(&headers(std::slice::from_ref(&host))));
        assert!(origin_is_stage(&headers(&[host.clone(), (header::ORIGIN, "http://127.0.0.1:7437")])));
        assert!(!origin_is_stage(&headers(&[host.clone(), (header::ORIGIN, "http://evil.example")])));
        assert!(!origin_is_stage(&headers(&[host, (header::ORIGIN, "null")])));
    }
}
