//! `encore stage`: the real server over real sockets, with the real model on real recordings:
//! pieces, an uploaded take and its report, the errors a performer meets (a bad script, a file
//! that is no audio, one too large or too long), a take recorded over the WebSocket with the
//! prompter following it, the token when bound beyond loopback, and a port already in use.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::Message;
use tungstenite::stream::MaybeTlsStream;

use crate::corpus;

const JFK_SCRIPT: &str =
    "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.";

/// A running stage, stopped when dropped.
pub struct Stage {
    child: Child,
    /// `http://127.0.0.1:PORT`, no slash.
    pub origin: String,
    /// The token, when the stage printed one.
    pub token: Option<String>,
    data: Option<tempfile::TempDir>,
}

impl Stage {
    pub fn start(extra: &[&str]) -> Stage {
        Stage::start_in(tempfile::tempdir().unwrap(), extra)
    }

    /// A stage keeping its pieces and takes in `data`.
    fn start_in(data: tempfile::TempDir, extra: &[&str]) -> Stage {
        let mut child = Command::new(env!("CARGO_BIN_EXE_encore"))
            .args(["stage", "--port", "0", "--data"])
            .arg(data.path())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the encore binary runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("Encore stage: ").unwrap_or_else(|| panic!("first line: {line:?}"));
        let (address, token) = match url.split_once("/?token=") {
            Some((address, token)) => (address.to_string(), Some(token.to_string())),
            None => (url.trim_end_matches('/').to_string(), None),
        };
        Stage { child, origin: address, token, data: Some(data) }
    }

    /// A piece of JFK's line, JFK's samples (16-bit little-endian), and a WebSocket open to
    /// record a take of it.
    fn record_jfk(&self) -> (i64, Vec<u8>, tungstenite::WebSocket<MaybeTlsStream<TcpStream>>) {
        let piece = self.piece(JFK_SCRIPT);
        let pcm = wav_data(&std::fs::read(corpus("jfk_inaugural_1961.wav")).unwrap());
        let url = format!("{}/api/pieces/{piece}/record", self.origin.replace("http://", "ws://"));
        let (socket, _) = tungstenite::connect(&url).expect("the WebSocket opens");
        (piece, pcm, socket)
    }

    /// Kills the stage as a crash would (SIGKILL), and gives back its data directory.
    fn kill(mut self) -> tempfile::TempDir {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.data.take().unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    fn get(&self, path: &str) -> (u16, Value) {
        answer(agent().get(&self.url(path)).call())
    }

    fn post_json(&self, path: &str, body: Value) -> (u16, Value) {
        answer(agent().post(&self.url(path)).header("Content-Type", "application/json").send(body.to_string()))
    }

    fn upload(&self, piece: i64, name: &str, bytes: &[u8]) -> (u16, Value) {
        answer(agent().post(&self.url(&format!("/api/pieces/{piece}/takes"))).header("X-Filename", name).send(bytes))
    }

    /// Announces an upload of `length` bytes and reads the answer before sending any of it. A
    /// body over the size limit is refused unread and the connection closed, so a client still
    /// writing it may meet a broken pipe before it reads the answer.
    fn announce_upload(&self, piece: i64, name: &str, length: usize) -> (u16, Value) {
        use std::io::{Read, Write};
        let host = self.origin.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).expect("the stage listens");
        write!(
            stream,
            "POST /api/pieces/{piece}/takes HTTP/1.1\r\nHost: {host}\r\nX-Filename: {name}\r\n\
             Content-Length: {length}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("the stage answers");
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP answer");
        let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).expect("a status");
        (status, serde_json::from_str(body).unwrap_or(Value::String(body.to_string())))
    }

    fn piece(&self, script: &str) -> i64 {
        let (status, piece) = self.post_json("/api/pieces", json!({"title": "Ask not", "script": script}));
        assert_eq!(status, 201, "{piece}");
        piece["id"].as_i64().unwrap()
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    let mut response = response.expect("the stage answers");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn verdicts(report: &Value, verdict: &str) -> usize {
    report["words"].as_array().unwrap().iter().filter(|w| w["verdict"] == verdict).count()
}

#[test]
fn pieces_and_an_uploaded_take() {
    let stage = Stage::start(&[]);
    assert_eq!(stage.get("/api/health"), (200, json!({"ok": true})));

    let (status, page) = answer(agent().get(&stage.url("/")).call());
    assert_eq!(status, 200);
    assert!(page.as_str().unwrap().contains("/assets/app.js"));

    // A script with nothing to say is refused with the reason.
    let (status, error) = stage.post_json("/api/pieces", json!({"title": "Empty", "script": " \n "}));
    assert_eq!(status, 400);
    assert!(error["error"].as_str().unwrap().contains("no words"), "{error}");

    let piece = stage.piece(JFK_SCRIPT);
    let (status, listed) = stage.get("/api/pieces");
    assert_eq!(status, 200);
    assert_eq!(listed[0]["title"], "Ask not");
    assert_eq!(listed[0]["words"], 22);

    // A file that is no audio: the reason, and nothing kept.
    let (status, error) = stage.upload(piece, "notes.wav", b"these are my notes, not a recording");
    assert_eq!(status, 422, "{error}");
    assert!(error["error"].as_str().unwrap().contains("not an audio file"), "{error}");
    assert_eq!(stage.get(&format!("/api/pieces/{piece}")).1["takes"], json!([]));

    // A real take: every word heard, the report and the standing with it.
    let audio = std::fs::read(corpus("jfk_inaugural_1961.wav")).unwrap();
    let (status, take) = stage.upload(piece, "jfk%20take.wav", &audio);
    assert_eq!(status, 200, "{take}");
    assert_eq!(take["take"]["source_name"], "jfk take.wav");
    assert_eq!(take["report"]["format"], "encore.take/1");
    assert!(verdicts(&take["report"], "correct") >= 21, "{:#}", take["report"]);
    assert_eq!(take["standing"]["first_take"], true);
    assert_eq!(take["script"]["words"].as_array().unwrap().len(), 22);

    let id = take["take"]["id"].as_i64().unwrap();
    let (status, shown) = stage.get(&format!("/api/takes/{id}"));
    assert_eq!(status, 200);
    assert_eq!(shown["report"], take["report"]);

    // The audio plays from anywhere.
    let response = agent().get(&stage.url(&format!("/api/takes/{id}/audio"))).header("Range", "bytes=44-143").call();
    let mut response = response.unwrap();
    assert_eq!(response.status().as_u16(), 206);
    let mut bytes = Vec::new();
    response.body_mut().as_reader().read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes, audio[44..144]);

    // A second take: standing against the first, and the two compared.
    let (_, second) = stage.upload(piece, "again.wav", &audio);
    assert_eq!(second["standing"]["first_take"], false);
    let second_id = second["take"]["id"].as_i64().unwrap();
    let (status, comparison) = stage.get(&format!("/api/compare/{id}/{second_id}"));
    assert_eq!(status, 200, "{comparison}");
    assert_eq!(comparison["comparison"]["words"].as_array().unwrap().len(), 22);
    let (_, shown) = stage.get(&format!("/api/pieces/{piece}"));
    assert_eq!(shown["takes"].as_array().unwrap().len(), 2);
    assert_eq!(shown["progress"]["accuracy"].as_array().unwrap().len(), 2);

    assert_eq!(stage.get("/api/takes/999").0, 404);
    assert_eq!(stage.get("/api/pieces/999").0, 404);
}

/// A filmed take's poses, as the page reads them from the video: kept with the take, its report
/// says how it looked at once, and judging the take again measures it again from the kept track.
#[test]
fn a_filmed_takes_poses_say_how_it_looked_and_stay_with_it() {
    let stage = Stage::start(&[]);
    let piece = stage.piece(JFK_SCRIPT);
    let (_, take) = stage.upload(piece, "filmed.mp4", &std::fs::read(corpus("../video/carphone_jfk.mp4")).unwrap());
    let id = take["take"]["id"].as_i64().expect("the video's sound is heard as a take");
    assert!(take["report"].get("movement").is_none(), "no poses yet, no movement");
    // Only its sound is kept: a take keeps no pictures.
    let mut kept = Vec::new();
    agent()
        .get(&stage.url(&format!("/api/takes/{id}/audio")))
        .call()
        .unwrap()
        .body_mut()
        .as_reader()
        .read_to_end(&mut kept)
        .unwrap();
    assert_eq!(&kept[..4], b"RIFF", "the video is kept as its sound alone");

    // MoveNet's reading of one frame held (crates/movement/tests/data): a performer frozen.
    let held = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../movement/tests/data/held.poses")).unwrap();
    let track = encore_take::PoseTrack::from_bytes(&held).unwrap();
    let poses: Vec<Vec<f64>> = track
        .poses
        .iter()
        .map(|pose| {
            let points = pose.points.iter().flat_map(|p| [p.x as f64, p.y as f64, p.score as f64]);
            std::iter::once(pose.at).chain(points).collect()
        })
        .collect();
    let put = |id: i64, body: Value| {
        answer(
            agent()
                .put(&stage.url(&format!("/api/takes/{id}/poses")))
                .header("Content-Type", "application/json")
                .send(body.to_string()),
        )
    };
    let (status, shown) = put(id, json!({"type": "poses", "poses": poses}));
    assert_eq!(status, 200, "{shown}");
    let movement = &shown["report"]["movement"];
    assert!(movement["still"].as_f64().unwrap() > 0.6, "{movement}");
    assert!(verdicts(&shown["report"], "correct") >= 21, "the words stay as they were heard");

    let (status, again) = answer(agent().post(&stage.url(&format!("/api/takes/{id}/analyse"))).send_empty());
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["report"]["movement"]["still"], movement["still"], "measured again from the kept track");
    let movement_findings =
        |report: &Value| report["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "movement").count();
    assert!(movement_findings(&again["report"]) <= 1, "measured twice, said once: {}", again["report"]["findings"]);

    let (status, error) = put(id, json!({"type": "poses", "poses": [[0.5, 1.0]]}));
    assert_eq!(status, 400, "{error}");
    assert!(error["error"].as_str().unwrap().contains("no pose"), "{error}");
    assert_eq!(put(999, json!({"type": "poses", "poses": poses})).0, 404);
}

#[test]
fn an_upload_says_how_far_its_analysis_has_got() {
    let stage = Stage::start(&[]);
    let piece = stage.piece(JFK_SCRIPT);
    // The passage four times with pauses, about 55 s: two windows, heard one after the other.
    let jfk = encore_audio::decode_file(&corpus("jfk_inaugural_1961.wav"), &mut |_| {}).unwrap();
    let mut samples = Vec::new();
    for _ in 0..4 {
        samples.extend(jfk.samples.iter().map(|&s| (s * 32767.0) as i16));
        samples.extend(std::iter::repeat_n(0, 48_000));
    }
    let recording = crate::wav(&samples);

    let url = stage.url(&format!("/api/pieces/{piece}/takes"));
    let upload = std::thread::spawn(move || {
        answer(agent().post(&url).header("X-Filename", "four times.wav").header("X-Upload-Id", "a-1").send(&recording))
    });
    let mut seen = Vec::new();
    while !upload.is_finished() {
        if let (200, progress) = stage.get("/api/uploads/a-1") {
            seen.push(progress["heard"].as_f64().unwrap());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, take) = upload.join().unwrap();
    assert_eq!(status, 200, "{take}");
    assert!(seen.windows(2).all(|pair| pair[0] <= pair[1]), "heard only grows: {seen:?}");
    assert!(seen.iter().any(|&heard| heard > 0.2 && heard < 1.0), "a part heard was told: {seen:?}");
    // Finished, it is forgotten; an id no upload gave is not found.
    assert_eq!(stage.get("/api/uploads/a-1").0, 404);
    assert_eq!(stage.get("/api/uploads/never").0, 404);
}

#[test]
fn uploads_past_the_queue_are_told_their_place_or_to_come_back() {
    let stage = Stage::start(&["--max-waiting", "1"]);
    let piece = stage.piece(JFK_SCRIPT);
    let jfk = encore_audio::decode_file(&corpus("jfk_inaugural_1961.wav"), &mut |_| {}).unwrap();
    let long: Vec<i16> = (0..4).flat_map(|_| jfk.samples.iter().map(|&s| (s * 32767.0) as i16)).collect();
    let short = std::fs::read(corpus("jfk_inaugural_1961.wav")).unwrap();
    let send = |id: &'static str, bytes: Vec<u8>| {
        let url = stage.url(&format!("/api/pieces/{piece}/takes"));
        std::thread::spawn(move || {
            answer(agent().post(&url).header("X-Filename", "take.wav").header("X-Upload-Id", id).send(&bytes))
        })
    };
    let progress = |id: &str| match stage.get(&format!("/api/uploads/{id}")) {
        (200, progress) => Some(progress),
        _ => None,
    };
    let wait_for = |what: &str, done: &dyn Fn() -> bool| {
        let start = std::time::Instant::now();
        while !done() {
            assert!(start.elapsed() < Duration::from_secs(120), "{what} never happened");
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    // The first is heard; the second waits its turn, first in the queue.
    let first = send("first", crate::wav(&long));
    wait_for("the first upload heard", &|| progress("first").is_some_and(|p| p["heard"].as_f64() > Some(0.0)));
    let second = send("second", short.clone());
    wait_for("the second upload queued", &|| progress("second").is_some_and(|p| p["waiting_behind"] == 0));
    // The queue holds one: a third is told to come back, and nothing of it is kept.
    let mut third = agent()
        .post(&stage.url(&format!("/api/pieces/{piece}/takes")))
        .header("X-Filename", "third.wav")
        .send(&short)
        .unwrap();
    assert_eq!(third.status().as_u16(), 503);
    assert_eq!(third.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("30"));
    let error = third.body_mut().read_to_string().unwrap();
    assert!(error.contains("busy") && error.contains("--max-waiting"), "{error}");

    assert_eq!(first.join().unwrap().0, 200);
    let (status, take) = second.join().unwrap();
    assert_eq!(status, 200, "{take}");
    assert_eq!(stage.get(&format!("/api/pieces/{piece}")).1["takes"].as_array().unwrap().len(), 2);
}

#[test]
fn no_route_serves_a_file_outside_its_own() {
    let stage = Stage::start(&[]);
    for path in [
        "/assets/../Cargo.toml",
        "/assets/..%2F..%2F..%2FCargo.toml",
        "/assets/%2e%2e/%2e%2e/README.md",
        "/assets//etc/passwd",
        "/api/takes/..%2F..%2Fetc%2Fpasswd/audio",
        "/../../../../etc/passwd",
    ] {
        let (status, body) = stage.get(path);
        assert!(matches!(status, 400 | 404), "{path}: {status} {body}");
        assert!(!body.to_string().contains("root:"), "{path}: {body}");
    }
}

#[test]
fn uploads_over_the_limits_are_refused() {
    let audio = std::fs::read(corpus("jfk_inaugural_1961.wav")).unwrap();

    let small = Stage::start(&["--max-upload-mb", "0"]);
    let piece = small.piece(JFK_SCRIPT);
    let (status, error) = small.announce_upload(piece, "jfk.wav", audio.len());
    assert_eq!(status, 413, "{error}");
    assert!(error["error"].as_str().unwrap().contains("--max-upload-mb"), "{error}");

    let short = Stage::start(&["--max-upload-minutes", "0"]);
    let piece = short.piece(JFK_SCRIPT);
    let (status, error) = short.upload(piece, "jfk.wav", &audio);
    assert_eq!(status, 413, "{error}");
    assert!(error["error"].as_str().unwrap().contains("--max-upload-minutes"), "{error}");
    assert_eq!(short.get(&format!("/api/pieces/{piece}")).1["takes"], json!([]));
}

#[test]
fn a_take_recorded_over_the_websocket_is_followed_and_reported() {
    let stage = Stage::start(&[]);
    let (_piece, pcm, mut socket) = stage.record_jfk();
    if let MaybeTlsStream::Plain(stream) = socket.get_mut() {
        stream.set_nonblocking(true).unwrap();
    }
    let mut messages: Vec<Value> = Vec::new();
    // 100 ms of audio every 100 ms, as a microphone sends it.
    for chunk in pcm.chunks(3200) {
        socket.send(Message::Binary(chunk.to_vec().into())).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        read_available(&mut socket, &mut messages);
    }
    // Then quiet, as a performer who has finished, until the prompter has caught up (on a busy
    // machine its passes come slower than the audio) or ten seconds have passed.
    for _ in 0..100 {
        let reached = messages.iter().filter(|m| m["type"] == "follow").filter_map(|m| m["index"].as_u64()).max();
        if reached.is_some_and(|index| index >= 18) {
            break;
        }
        socket.send(Message::Binary(vec![0u8; 3200].into())).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        read_available(&mut socket, &mut messages);
    }
    socket.send(Message::Text(json!({"type": "stop"}).to_string().into())).unwrap();

    let deadline = Instant::now() + Duration::from_secs(120);
    while !messages.iter().any(|m| m["type"] == "report" || m["type"] == "error") {
        assert!(Instant::now() < deadline, "no report: {messages:?}");
        std::thread::sleep(Duration::from_millis(20));
        read_available(&mut socket, &mut messages);
    }
    let report = messages.iter().find(|m| m["type"] == "report" || m["type"] == "error").unwrap();
    assert_eq!(report["type"], "report", "{messages:?}");
    assert_eq!(messages[0]["type"], "ready");
    assert!(messages.iter().any(|m| m["type"] == "saved"), "the take is saved before the report");

    let moves: Vec<u64> = messages
        .iter()
        .filter(|m| m["type"] == "follow" && m["moved"] == true)
        .map(|m| m["index"].as_u64().unwrap())
        .collect();
    assert!(moves.len() >= 3, "the prompter moved {} times: {moves:?}", moves.len());
    assert!(moves.last().copied().unwrap_or(0) >= 11, "the prompter reached {moves:?}");

    let (status, take) = stage.get(&format!("/api/takes/{}", report["take_id"]));
    assert_eq!(status, 200);
    assert_eq!(take["take"]["source_name"], "recorded on the stage");
    assert!(verdicts(&take["report"], "correct") >= 20, "{:#}", take["report"]);
    let duration = take["take"]["duration"].as_f64().unwrap();
    assert!((11.0..=21.1).contains(&duration), "{duration}");
}

#[test]
fn a_take_survives_the_stage_dying_mid_take() {
    let stage = Stage::start(&[]);
    let (piece, pcm, mut socket) = stage.record_jfk();
    for chunk in pcm.chunks(3200) {
        socket.send(Message::Binary(chunk.to_vec().into())).unwrap();
    }
    // Wait until the stage has the whole performance on disk, then kill it mid-take.
    let recordings = stage.data.as_ref().unwrap().path().join("recordings");
    let on_disk = || -> u64 {
        std::fs::read_dir(&recordings)
            .map_or(0, |files| files.flatten().filter_map(|f| f.metadata().ok()).map(|m| m.len()).sum())
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while on_disk() < pcm.len() as u64 {
        assert!(Instant::now() < deadline, "{} of {} bytes on disk", on_disk(), pcm.len());
        std::thread::sleep(Duration::from_millis(20));
    }
    let data = stage.kill();
    drop(socket);

    // Started again, the stage keeps the take with everything it had received, and hears it.
    let stage = Stage::start_in(data, &[]);
    let (status, view) = stage.get(&format!("/api/pieces/{piece}"));
    assert_eq!(status, 200, "{view}");
    let takes = view["takes"].as_array().unwrap();
    assert_eq!(takes.len(), 1, "{view:#}");
    let duration = takes[0]["duration"].as_f64().unwrap();
    assert!((duration - pcm.len() as f64 / 32_000.0).abs() < 0.01, "{duration}");
    assert!(takes[0]["source_name"].as_str().unwrap().starts_with("recorded on the stage, interrupted"));
    let id = takes[0]["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let take = loop {
        let (_, take) = stage.get(&format!("/api/takes/{id}"));
        if !take["report"].is_null() {
            break take;
        }
        assert!(Instant::now() < deadline, "the interrupted take was never analysed: {take}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(verdicts(&take["report"], "correct") >= 18, "{:#}", take["report"]);
    assert_eq!(on_disk(), 0, "the recording's file went once the take was kept");
}

/// Reads every message that has arrived, without waiting.
fn read_available(socket: &mut tungstenite::WebSocket<MaybeTlsStream<TcpStream>>, messages: &mut Vec<Value>) {
    loop {
        match socket.read() {
            Ok(Message::Text(text)) => messages.push(serde_json::from_str(text.as_str()).unwrap()),
            Ok(_) => {}
            Err(tungstenite::Error::Io(error)) if error.kind() == std::io::ErrorKind::WouldBlock => return,
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => return,
            Err(error) => panic!("the WebSocket failed: {error}"),
        }
    }
}

/// The sample bytes of a PCM WAV file (its `data` chunk).
fn wav_data(bytes: &[u8]) -> Vec<u8> {
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if &bytes[at..at + 4] == b"data" {
            return bytes[at + 8..(at + 8 + size).min(bytes.len())].to_vec();
        }
        at += 8 + size + size % 2;
    }
    panic!("no data chunk");
}

#[test]
fn bound_beyond_loopback_every_request_needs_the_token() {
    let stage = Stage::start(&["--bind", "0.0.0.0"]);
    let token = stage.token.clone().expect("the address has a token");
    assert_eq!(token.len(), 32);

    for path in ["/", "/assets/app.js", "/api/health", "/api/pieces"] {
        assert_eq!(stage.get(path).0, 401, "{path}");
    }
    let (status, error) = stage.get("/api/health");
    assert_eq!(status, 401);
    assert!(error["error"].as_str().unwrap().contains("token"), "{error}");
    assert_eq!(stage.get("/api/health?token=wrong").0, 401);

    let response = agent().get(&stage.url("/api/health")).header("Authorization", &format!("Bearer {token}")).call();
    assert_eq!(answer(response).0, 200);
    let response = agent().get(&stage.url(&format!("/?token={token}"))).call().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let cookie = response.headers().get("set-cookie").expect("the page gets the token as a cookie").to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let response = agent().get(&stage.url("/api/pieces")).header("Cookie", &cookie).call();
    assert_eq!(answer(response).0, 200);

    // The WebSocket too.
    let url = format!("{}/api/pieces/1/record", stage.origin.replace("http://", "ws://"));
    match tungstenite::connect(&url) {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), 401),
        other => panic!("the WebSocket opened without the token: {:?}", other.map(|_| ())),
    }
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_encore"))
        .args(["stage", "--port", &port, "--data"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("port {port} is in use; choose another with --port")), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn requests_from_other_sites_are_refused() {
    let stage = Stage::start(&[]);
    let response = agent()
        .post(&stage.url("/api/pieces"))
        .header("Origin", "http://evil.example")
        .header("Content-Type", "application/json")
        .send(json!({"title": "x", "script": "y"}).to_string());
    assert_eq!(answer(response).0, 403);
    let response = agent().get(&stage.url("/api/pieces")).header("Host", "evil.example:7437").call();
    assert_eq!(answer(response).0, 403);
}
