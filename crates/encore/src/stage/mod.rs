//! `encore stage`: the web stage, a local page where a performer keeps pieces, rehearses them
//! aloud with a prompter that follows the voice, and reads each take's report.
//!
//! The server is small on purpose: the page is plain ES modules embedded in the binary
//! ([`assets`]), the API is JSON over HTTP ([`pieces`], [`takes`]) plus one WebSocket that
//! carries a take while it is recorded ([`record`]); everything is kept in the store. Nothing
//! leaves the machine: the page loads nothing from anywhere else, and when the stage listens on
//! anything but loopback every request needs the token printed at start ([`auth`]).
//! `docs/stage.md` documents the API.

mod api_error;
mod assets;
mod auth;
mod camera;
mod coaching;
mod drills;
mod page_message;
mod people;
mod pieces;
mod record;
mod state;
mod takes;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::routing::{get, post, put};
use encore_rehearsal::Settings;

use self::state::Limits;
pub use self::state::Stage;
// What the stage reads from a page's frames and an upload's headers, for the fuzz targets
// (`fuzz/`): they run this code, not a copy of it.
pub use self::page_message::{Frame, PageFrames, PageMessage};
pub use self::takes::{byte_range, file_name, upload_id};

/// Port used when none is given: "ENCR" would not fit, 7437 is quiet and easy to remember.
const DEFAULT_PORT: u16 = 7437;

#[derive(Debug, clap::Args)]
pub struct StageArgs {
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = DEFAULT_PORT, value_name = "N")]
    pub port: u16,
    /// The address to listen on. The default keeps the stage to this machine; on any other
    /// address every request needs the token printed at start.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub bind: IpAddr,
    /// Open the stage in the browser once it is listening.
    #[arg(long)]
    pub open: bool,
    /// The largest audio file an upload may be, in megabytes.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub max_upload_mb: u64,
    /// The longest take, uploaded or recorded, in minutes.
    #[arg(long, default_value_t = 120, value_name = "N")]
    pub max_upload_minutes: u64,
    /// How many uploads may wait for their turn to be heard (one take is heard at a time); past
    /// it the stage answers "busy, try again". Takes being recorded always wait their turn.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub max_waiting: usize,
}

/// Serves the stage until Ctrl-C, keeping pieces and takes in `data` (the global `--data`,
/// default: the store's own directory).
pub fn run(args: &StageArgs, settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store()?;
    // Takes the last run was recording when it died are kept first, and heard once it serves.
    let recordings = settings.recordings_dir()?;
    let interrupted = encore_rehearsal::recover_interrupted(store.as_ref(), &recordings)?;
    for take in &interrupted {
        eprintln!(
            "encore: kept take {}, recorded when the stage stopped ({}); analysing it",
            take.id, take.source_name
        );
    }

    let listener =
        std::net::TcpListener::bind(SocketAddr::new(args.bind, args.port)).map_err(|error| match error.kind() {
            std::io::ErrorKind::AddrInUse => {
                anyhow::anyhow!("port {} is in use; choose another with --port", args.port)
            }
            std::io::ErrorKind::AddrNotAvailable => {
                anyhow::anyhow!("{} is not an address of this machine; choose another with --bind", args.bind)
            }
            _ => anyhow::Error::new(error).context(format!("cannot listen on {}:{}", args.bind, args.port)),
        })?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;

    // The model loads on first use (the rehearsal room asks for it when it opens), so that an
    // idle stage stays small; a first-time install happens here, where the terminal shows it.
    settings.model.install_on_first_use(&mut |message| eprintln!("encore: {message}"))?;

    // A club's stage is reached from the members' own devices, each with a login, which stands
    // in for the token a performer's own stage needs beyond this machine.
    let token = (!args.bind.is_loopback() && !settings.is_club()).then(auth::new_token);
    let limits = Limits {
        upload_bytes: args.max_upload_mb.saturating_mul(1_000_000),
        seconds: args.max_upload_minutes as f64 * 60.0,
        waiting: args.max_waiting,
    };
    let stage = Arc::new(Stage::new(
        store,
        settings.model.clone(),
        limits,
        token.clone(),
        address,
        recordings,
        settings.is_club(),
    ));

    let url = page_url(address, token.as_deref());
    println!("Encore stage: {url}");
    if address.ip().is_unspecified() {
        eprintln!(
            "encore: listening on every address of this machine; from another device use this machine's address, \
             port {}{}",
            address.port(),
            if token.is_some() { ", with the same token" } else { "" }
        );
    } else if !address.ip().is_loopback() && token.is_some() {
        eprintln!("encore: every request needs the token in the address above");
    }
    if settings.is_club() {
        eprintln!("encore: serving a club's database: members log in with their name and password");
    }
    eprintln!("encore: press Ctrl-C to stop the stage");
    if args.open {
        open_browser(&url);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the stage's runtime")?;
    // The store is let go here, after the runtime: PostgreSQL's client closes its connection by
    // running a runtime of its own, which it may not do from inside this one.
    let keeper = stage.clone();
    runtime.block_on(async move {
        for take in interrupted {
            let stage = stage.clone();
            tokio::spawn(async move {
                if let Err(error) = takes::judge_stored(&stage, take.id).await {
                    eprintln!("encore: take {}: {error}", take.id);
                }
            });
        }
        let listener = tokio::net::TcpListener::from_std(listener)?;
        axum::serve(listener, app(stage)).with_graceful_shutdown(shutdown()).await?;
        anyhow::Ok(())
    })?;
    drop(runtime);
    drop(keeper);
    eprintln!("encore: the stage has stopped");
    Ok(())
}

/// The stage's routes, every one behind the guard.
pub fn app(stage: Arc<Stage>) -> Router {
    Router::new()
        .route("/", get(assets::index))
        .route("/assets/{*path}", get(assets::asset))
        .route("/api/health", get(health))
        .route("/api/camera", post(camera::prepare))
        .route("/pose/{file}", get(camera::file))
        .route("/api/login", post(people::log_in))
        .route("/api/logout", post(people::log_out))
        .route("/api/me", get(people::me))
        .route("/api/model", post(warm_model))
        .route("/api/settings", get(settings))
        .route("/api/pieces", get(pieces::list).post(pieces::create))
        .route("/api/pieces/{id}", get(pieces::show).put(pieces::update).delete(pieces::remove))
        .route("/api/pieces/{id}/takes", post(takes::upload))
        .route("/api/uploads/{id}", get(takes::upload_progress))
        .route("/api/pieces/{id}/record", get(record::record))
        .route("/api/pieces/{id}/drills", get(drills::of_piece))
        .route("/api/drills/{id}", get(drills::show))
        .route("/api/drills/{id}/record", get(record::record_drill))
        .route("/api/pieces/{id}/mastery", get(pieces::mastery))
        .route("/api/takes/{id}", get(takes::show).delete(takes::remove))
        .route("/api/takes/{id}/audio", get(takes::audio))
        .route("/api/takes/{id}/analyse", post(takes::analyze_again))
        // A filmed take's poses: ten a second of a long video are a few megabytes of JSON.
        .route("/api/takes/{id}/poses", put(takes::keep_poses).layer(axum::extract::DefaultBodyLimit::max(64 << 20)))
        .route("/api/compare/{before}/{after}", get(takes::compare))
        .route("/api/groups", get(coaching::list))
        .route("/api/groups/{id}", get(coaching::show))
        .route("/api/takes/{id}/words/{index}", put(coaching::change_verdict))
        .fallback(not_found)
        // Layers run outside in: the guard (this machine, the token) first, then a club's logins.
        .layer(axum::middleware::from_fn_with_state(stage.clone(), people::access))
        .layer(axum::middleware::from_fn_with_state(stage.clone(), auth::guard))
        .with_state(stage)
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"ok": true}))
}

/// The limits the page checks before it uploads, to say so at once rather than after sending.
async fn settings(axum::extract::State(stage): axum::extract::State<Arc<Stage>>) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "max_upload_bytes": stage.limits.upload_bytes,
        "max_upload_minutes": stage.limits.seconds / 60.0,
    }))
}

/// Starts loading the speech model if it is not loaded yet, and says where it stands.
async fn warm_model(axum::extract::State(stage): axum::extract::State<Arc<Stage>>) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"model": stage.warm_model()}))
}

async fn not_found() -> api_error::ApiError {
    api_error::ApiError::not_found("there is nothing at this address")
}

/// The address to open: loopback for a stage listening everywhere, the token in it if needed.
fn page_url(address: SocketAddr, token: Option<&str>) -> String {
    let host = match address.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_string(),
        ip if ip.is_unspecified() => "[::1]".to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    let query = token.map(|token| format!("?token={token}")).unwrap_or_default();
    format!("http://{host}:{}/{query}", address.port())
}

/// Opens the page in the user's browser; best effort, a failure only says so.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if spawned.is_err() {
        eprintln!("encore: could not open a browser; open {url} yourself");
    }
}

/// Resolves on Ctrl-C (or SIGTERM), letting requests in flight finish.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_address_is_one_a_browser_opens() {
        let address: SocketAddr = "0.0.0.0:7437".parse().unwrap();
        assert_eq!(page_url(address, Some("abc")), "http://127.0.0.1:7437/?token=abc");
        let address: SocketAddr = "127.0.0.1:80".parse().unwrap();
        assert_eq!(page_url(address, None), "http://127.0.0.1:80/");
        let address: SocketAddr = "[::1]:9".parse().unwrap();
        assert_eq!(page_url(address, None), "http://[::1]:9/");
    }
}
