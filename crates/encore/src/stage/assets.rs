//! The page: plain ES modules, CSS and an AudioWorklet, embedded in the binary so that the stage
//! is one file and needs no build step. Each response carries a content security policy that
//! lets the page load and connect to nothing but the stage itself.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Every file under `assets/stage/`, with its content type.
const FILES: &[(&str, &str, &str)] = &[
    ("index.html", "text/html; charset=utf-8", include_str!("../../assets/stage/index.html")),
    ("app.css", "text/css; charset=utf-8", include_str!("../../assets/stage/app.css")),
    ("icon.svg", "image/svg+xml", include_str!("../../assets/stage/icon.svg")),
    ("app.js", JS, include_str!("../../assets/stage/app.js")),
    ("api.js", JS, include_str!("../../assets/stage/api.js")),
    ("dom.js", JS, include_str!("../../assets/stage/dom.js")),
    ("chart.js", JS, include_str!("../../assets/stage/chart.js")),
    ("audience.js", JS, include_str!("../../assets/stage/audience.js")),
    ("applause.js", JS, include_str!("../../assets/stage/applause.js")),
    ("recorder.js", JS, include_str!("../../assets/stage/recorder.js")),
    ("camera.js", JS, include_str!("../../assets/stage/camera.js")),
    ("pose-worker.js", JS, include_str!("../../assets/stage/pose-worker.js")),
    ("pcm-worklet.js", JS, include_str!("../../assets/stage/pcm-worklet.js")),
    ("script-view.js", JS, include_str!("../../assets/stage/script-view.js")),
    ("pages/pieces.js", JS, include_str!("../../assets/stage/pages/pieces.js")),
    ("pages/piece.js", JS, include_str!("../../assets/stage/pages/piece.js")),
    ("pages/room.js", JS, include_str!("../../assets/stage/pages/room.js")),
    ("pages/take.js", JS, include_str!("../../assets/stage/pages/take.js")),
    ("pages/compare.js", JS, include_str!("../../assets/stage/pages/compare.js")),
    ("pages/drills.js", JS, include_str!("../../assets/stage/pages/drills.js")),
    ("pages/login.js", JS, include_str!("../../assets/stage/pages/login.js")),
    ("pages/groups.js", JS, include_str!("../../assets/stage/pages/groups.js")),
];

const JS: &str = "text/javascript; charset=utf-8";

/// Nothing from elsewhere: scripts, styles, media and connections stay on the stage.
/// WebAssembly runs the camera's pose model (`camera.rs`); it may compile, nothing may `eval`.
const POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
                      img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; \
                      object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn index() -> Response {
    serve("index.html")
}

pub async fn asset(Path(path): Path<String>) -> Response {
    serve(&path)
}

fn serve(path: &str) -> Response {
    let Some(&(_, content_type, body)) = FILES.iter().find(|(name, _, _)| *name == path) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The files change only with the binary; revalidating each load is cheap on loopback and
    // keeps an upgraded stage from mixing old and new modules.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        for (name, _, body) in FILES {
            for external in ["http://", "https://", "//cdn", "@import", "fonts.g"] {
                // The SVG namespace is a name, not a load.
                let body = body.replace("http://www.w3.org/2000/svg", "");
                assert!(!body.contains(external), "{name} refers to {external}");
            }
        }
    }

    #[test]
    fn every_module_the_page_imports_is_served() {
        for (name, _, body) in FILES.iter().filter(|(name, _, _)| name.ends_with(".js")) {
            for import in body.lines().filter_map(|line| line.split("from \"").nth(1)) {
                let target = import.split('"').next().unwrap();
                let mut parts: Vec<&str> = name.split('/').collect();
                parts.pop();
                for part in target.split('/') {
                    match part {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        part => parts.push(part),
                    }
                }
                let resolved = parts.join("/");
                assert!(FILES.iter().any(|(n, _, _)| *n == resolved), "{name} imports {target}, which is not served");
            }
        }
    }
}
