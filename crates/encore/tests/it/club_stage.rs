//! The stage on a club's database, through its real HTTP API: no request without a login
//! reaches any data; a performer sees the pieces assigned to their groups and their own takes
//! only; a coach sees the takes of their groups' performers, and neither records nor removes
//! them; failed logins are bounded. The database is a throwaway one on the real server.

use std::process::{Command, Stdio};

use encore_store::testing::ThrowawayDatabase;
use serde_json::{Value, json};

use crate::corpus;

/// A stage serving a club's database, stopped when dropped.
struct ClubStage {
    /// The `encore stage` process, stopped when this is dropped.
    _stage: crate::stage::Stage,
    origin: String,
}

impl ClubStage {
    fn start(database: &ThrowawayDatabase) -> ClubStage {
        ClubStage::start_with(database, &[])
    }

    fn start_with(database: &ThrowawayDatabase, extra: &[&str]) -> ClubStage {
        let mut arguments = vec!["--database", database.url.as_str()];
        arguments.extend(extra);
        let stage = crate::stage::Stage::start(&arguments);
        assert_eq!(stage.token, None, "a club's stage has logins, not a token");
        ClubStage { origin: stage.origin.clone(), _stage: stage }
    }

    /// `method path` with this session cookie (or none), and an optional body.
    fn call(&self, session: Option<&str>, method: &str, path: &str, body: Option<Vec<u8>>) -> (u16, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let url = format!("{}{path}", self.origin);
        let cookie = session.map(|session| format!("{}={session}", self.cookie_name())).unwrap_or_default();
        let response = match (method, body) {
            ("GET", _) => agent.get(&url).header("Cookie", &cookie).call(),
            ("DELETE", _) => agent.delete(&url).header("Cookie", &cookie).call(),
            (_, Some(body)) => {
                agent.post(&url).header("Cookie", &cookie).header("X-Filename", "take.wav").send(&body[..])
            }
            (_, None) => agent.post(&url).header("Cookie", &cookie).send_empty(),
        };
        let mut response = response.expect("the stage answers");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    fn get(&self, session: &str, path: &str) -> u16 {
        self.call(Some(session), "GET", path, None).0
    }

    fn cookie_name(&self) -> String {
        format!("encore_session_{}", self.origin.rsplit(':').next().unwrap())
    }

    /// Logs in; the session token from the cookie, with the cookie's attributes.
    fn log_in(&self, name: &str, password: &str) -> Result<(String, String), u16> {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let body = json!({"name": name, "password": password}).to_string();
        let response = agent
            .post(&format!("{}/api/login", self.origin))
            .header("Content-Type", "application/json")
            .send(body)
            .expect("the stage answers");
        if response.status() != 200 {
            return Err(response.status().as_u16());
        }
        let cookie = response.headers().get("set-cookie").expect("a session cookie").to_str().unwrap().to_owned();
        let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
        Ok((token, cookie))
    }
}

fn club(database: &ThrowawayDatabase, args: &[&str], stdin: &str) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_encore"))
        .args(["--database", &database.url])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "encore {args:?}");
}

#[test]
fn members_reach_only_what_their_role_and_groups_allow() {
    let database = ThrowawayDatabase::new();
    for (name, role) in [("Ada", "performer"), ("Ben", "performer"), ("Cleo", "coach"), ("Dan", "coach")] {
        club(&database, &["user", "add", name, "--role", role], &format!("{name} secret words\n"));
    }
    club(&database, &["group", "add", "Year 10"], "");
    club(&database, &["group", "add", "Choir"], "");
    for (group, name) in [("Year 10", "Ada"), ("Year 10", "Cleo"), ("Choir", "Ben"), ("Choir", "Dan")] {
        club(&database, &["group", "join", group, name], "");
    }
    let script = corpus("cmu_goforward.txt");
    club(&database, &["piece", "add", "Go forward", "--script", script.to_str().unwrap()], "");
    club(&database, &["piece", "add", "Choir only", "--script", script.to_str().unwrap()], "");
    club(&database, &["assign", "Go forward", "Year 10"], "");
    club(&database, &["assign", "Go forward", "Choir", "--due", "2030-01-31"], "");
    club(&database, &["assign", "Choir only", "Choir"], "");

    let stage = ClubStage::start(&database);
    // Without a login: nothing but the page, its assets and the health check.
    assert_eq!(stage.call(None, "GET", "/api/health", None).0, 200);
    for path in ["/api/pieces", "/api/pieces/1", "/api/takes/1", "/api/takes/1/audio", "/api/me", "/api/compare/1/2"] {
        assert_eq!(stage.call(None, "GET", path, None).0, 401, "{path} without a login");
    }
    assert_eq!(stage.call(Some("made-up"), "GET", "/api/pieces", None).0, 401, "a made-up session");
    assert_eq!(stage.log_in("Ada", "not her password"), Err(401));

    let (ada, cookie) = stage.log_in("ada", "Ada secret words").unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Max-Age=43200", "Secure"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let (_, me) = stage.call(Some(&ada), "GET", "/api/me", None);
    assert_eq!((me["name"].as_str(), me["role"].as_str()), (Some("Ada"), Some("performer")));
    let (_, pieces) = stage.call(Some(&ada), "GET", "/api/pieces", None);
    let titles: Vec<&str> = pieces.as_array().unwrap().iter().map(|piece| piece["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Go forward"], "a performer sees the pieces assigned to their groups");
    let go_forward = pieces[0]["id"].as_i64().unwrap();
    let choir_only = go_forward + 1;
    assert_eq!(stage.get(&ada, &format!("/api/pieces/{choir_only}")), 404, "another group's piece does not exist");

    let wav = std::fs::read(corpus("cmu_goforward.wav")).unwrap();
    let (status, adas) = stage.call(Some(&ada), "POST", &format!("/api/pieces/{go_forward}/takes"), Some(wav.clone()));
    assert_eq!(status, 200, "{adas}");
    let adas = adas["take"]["id"].as_i64().unwrap();
    let (ben, _) = stage.log_in("Ben", "Ben secret words").unwrap();
    let (status, bens) = stage.call(Some(&ben), "POST", &format!("/api/pieces/{go_forward}/takes"), Some(wav.clone()));
    assert_eq!(status, 200, "{bens}");
    assert_eq!(bens["job"]["state"], "waiting", "a club's uploads are heard by its workers: {bens}");
    assert_eq!(bens["job"]["place"], 2);
    let bens = bens["take"]["id"].as_i64().unwrap();
    club(&database, &["--threads", "1", "worker", "--once"], "");
    let (_, heard) = stage.call(Some(&ben), "GET", &format!("/api/takes/{bens}"), None);
    assert!(heard["report"].is_object() && heard.get("job").is_none(), "{heard}");

    // A performer: their own take, never another's, nor its audio, nor a comparison with it.
    assert_eq!(stage.get(&ada, &format!("/api/takes/{adas}")), 200);
    assert_eq!(stage.get(&ada, &format!("/api/takes/{adas}/audio")), 200);
    for path in
        [format!("/api/takes/{bens}"), format!("/api/takes/{bens}/audio"), format!("/api/compare/{adas}/{bens}")]
    {
        assert_eq!(stage.get(&ada, &path), 404, "{path} for Ada");
    }
    assert_eq!(stage.call(Some(&ada), "DELETE", &format!("/api/takes/{bens}"), None).0, 404);
    let (_, piece) = stage.call(Some(&ada), "GET", &format!("/api/pieces/{go_forward}"), None);
    let listed: Vec<i64> = piece["takes"].as_array().unwrap().iter().map(|take| take["id"].as_i64().unwrap()).collect();
    assert_eq!(listed, [adas], "the piece's page lists her takes only");
    let (_, pieces) = stage.call(Some(&ada), "GET", "/api/pieces", None);
    assert_eq!(pieces[0]["takes"], 1, "the list counts her takes only");
    assert_eq!(stage.call(Some(&ada), "POST", "/api/pieces", Some(b"{}".to_vec())).0, 403);

    // A coach: the takes of their groups' performers, read-only.
    let (cleo, _) = stage.log_in("Cleo", "Cleo secret words").unwrap();
    assert_eq!(stage.get(&cleo, &format!("/api/takes/{adas}")), 200);
    assert_eq!(stage.get(&cleo, &format!("/api/takes/{adas}/audio")), 200);
    assert_eq!(stage.get(&cleo, &format!("/api/takes/{bens}")), 404, "Ben is not in Cleo's groups");
    assert_eq!(stage.call(Some(&cleo), "DELETE", &format!("/api/takes/{adas}"), None).0, 403);
    let (status, _) = stage.call(Some(&cleo), "POST", &format!("/api/pieces/{go_forward}/takes"), Some(wav));
    assert_eq!(status, 403, "a coach's takes are not kept");
    let (dan, _) = stage.log_in("Dan", "Dan secret words").unwrap();
    assert_eq!(stage.get(&dan, &format!("/api/takes/{bens}")), 200);
    assert_eq!(stage.get(&dan, &format!("/api/takes/{adas}")), 404, "another group's coach");

    // How a take looked is its performer's to give: neither another performer's nor a coach's.
    let pose: Vec<f64> = std::iter::once(0.5).chain((0..17).flat_map(|i| [0.3 + 0.02 * i as f64, 0.5, 0.9])).collect();
    let poses = json!({"type": "poses", "poses": [pose]});
    let path = format!("/api/takes/{adas}/poses");
    assert_eq!(put_json(&stage, &ben, &path, poses.clone()).0, 404, "Ben does not see Ada's take");
    assert_eq!(put_json(&stage, &cleo, &path, poses.clone()).0, 403, "her coach sees it, and gives nothing");
    let (status, given) = put_json(&stage, &ada, &path, poses);
    assert_eq!(status, 200, "{given}");
    assert!(given["report"]["movement"].is_object(), "{given}");
    assert_eq!(stage.call(None, "POST", "/api/camera", None).0, 401, "the camera's model, for members only");

    // Logging out ends the session.
    assert_eq!(stage.call(Some(&ada), "POST", "/api/logout", None).0, 204);
    assert_eq!(stage.get(&ada, "/api/pieces"), 401);
    assert_eq!(stage.call(Some(&ben), "DELETE", &format!("/api/takes/{bens}"), None).0, 204, "Ben removes his own");
}

#[test]
fn guessing_a_password_stops_after_five_tries() {
    let database = ThrowawayDatabase::new();
    club(&database, &["user", "add", "Ada", "--role", "performer"], "the right password\n");
    let stage = ClubStage::start(&database);
    for _ in 0..5 {
        assert_eq!(stage.log_in("Ada", "a guess"), Err(401));
    }
    assert_eq!(stage.log_in("Ada", "the right password"), Err(429), "even the right one waits");
}

/// `PUT path` with a JSON body, as `session`.
fn put_json(stage: &ClubStage, session: &str, path: &str, body: Value) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent
        .put(&format!("{}{path}", stage.origin))
        .header("Cookie", &format!("{}={session}", stage.cookie_name()))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .expect("the stage answers");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[test]
fn a_coach_sees_where_the_group_stumbles_and_changes_a_verdict_the_performer_then_sees() {
    let database = ThrowawayDatabase::new();
    club(&database, &["user", "add", "Ada", "--role", "performer"], "Ada secret words\n");
    club(&database, &["user", "add", "Cleo", "--role", "coach"], "Cleo secret words\n");
    club(&database, &["user", "add", "Dan", "--role", "coach"], "Dan secret words\n");
    club(&database, &["group", "add", "Year 10"], "");
    club(&database, &["group", "add", "Choir"], "");
    club(&database, &["group", "join", "Year 10", "Ada"], "");
    club(&database, &["group", "join", "Year 10", "Cleo"], "");
    club(&database, &["group", "join", "Choir", "Dan"], "");
    // The recording says "go forward ten meters": "big" is skipped in every take.
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(script.path(), "Go forward ten big meters").unwrap();
    club(&database, &["piece", "add", "Go forward", "--script", script.path().to_str().unwrap()], "");
    club(&database, &["assign", "Go forward", "Year 10"], "");

    let stage = ClubStage::start(&database);
    let (ada, _) = stage.log_in("Ada", "Ada secret words").unwrap();
    let wav = std::fs::read(corpus("cmu_goforward.wav")).unwrap();
    let mut takes = Vec::new();
    for _ in 0..2 {
        let (status, take) = stage.call(Some(&ada), "POST", "/api/pieces/1/takes", Some(wav.clone()));
        assert_eq!(status, 200, "{take}");
        takes.push(take["take"]["id"].as_i64().unwrap());
    }
    club(&database, &["--threads", "1", "worker", "--once"], "");

    let (cleo, _) = stage.log_in("Cleo", "Cleo secret words").unwrap();
    let (status, groups) = stage.call(Some(&cleo), "GET", "/api/groups", None);
    assert_eq!(status, 200);
    let group = groups[0]["id"].as_i64().unwrap();
    let (status, view) = stage.call(Some(&cleo), "GET", &format!("/api/groups/{group}"), None);
    assert_eq!(status, 200, "{view}");
    let trouble = &view["pieces"][0]["trouble"][0];
    assert_eq!((trouble["text"].as_str(), trouble["takes"].as_u64()), (Some("big"), Some(2)), "{view}");
    let ada_takes = &view["performers"][0]["takes"];
    assert_eq!(view["performers"][0]["name"], "Ada");
    assert_eq!(ada_takes.as_array().unwrap().len(), 2);
    assert_eq!(ada_takes[0]["accuracy"], 0.8);

    // Neither a performer nor another group's coach may change it, nor see the group.
    let big = json!({"verdict": "correct"});
    assert_eq!(put_json(&stage, &ada, &format!("/api/takes/{}/words/3", takes[0]), big.clone()).0, 403);
    let (dan, _) = stage.log_in("Dan", "Dan secret words").unwrap();
    assert_eq!(put_json(&stage, &dan, &format!("/api/takes/{}/words/3", takes[0]), big.clone()).0, 404);
    assert_eq!(stage.get(&dan, &format!("/api/groups/{group}")), 404);
    assert_eq!(stage.get(&ada, &format!("/api/groups/{group}")), 403);
    let (status, refused) =
        put_json(&stage, &cleo, &format!("/api/takes/{}/words/3", takes[0]), json!({"verdict": "filler"}));
    assert_eq!(status, 400, "{refused}");

    let (status, changed) = put_json(&stage, &cleo, &format!("/api/takes/{}/words/3", takes[0]), big);
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["report"]["summary"]["accuracy"], 1.0, "the numbers are counted again");
    let change = &changed["report"]["changes"][0];
    assert_eq!(
        (change["script_index"].as_u64(), change["from"].as_str(), change["to"].as_str(), change["by"].as_str()),
        (Some(3), Some("skipped"), Some("correct"), Some("Cleo"))
    );
    // The performer sees it.
    let (_, seen) = stage.call(Some(&ada), "GET", &format!("/api/takes/{}", takes[0]), None);
    assert_eq!(seen["report"]["summary"]["accuracy"], 1.0);
    assert_eq!(seen["report"]["changes"][0]["by"], "Cleo");
    let (_, view) = stage.call(Some(&cleo), "GET", &format!("/api/groups/{group}"), None);
    assert_eq!(view["performers"][0]["takes"][0]["changes"], 1);

    // Heard again (after an upgrade, say), the take keeps its coach's verdict.
    club(&database, &["--threads", "1", "reanalyze", "--take", &takes[0].to_string()], "");
    let (_, again) = stage.call(Some(&ada), "GET", &format!("/api/takes/{}", takes[0]), None);
    assert_eq!(again["report"]["summary"]["accuracy"], 1.0, "{again}");
    assert_eq!(again["report"]["changes"][0]["by"], "Cleo");
}

#[test]
fn a_clubs_stage_on_the_network_needs_logins_not_a_token() {
    let database = ThrowawayDatabase::new();
    club(&database, &["user", "add", "Ada", "--role", "performer"], "the right password\n");
    let stage = ClubStage::start_with(&database, &["--bind", "0.0.0.0"]);
    assert!(!stage.origin.contains("token="), "{}", stage.origin);
    // A member's device names the machine by its network name.
    let port = stage.origin.rsplit(':').next().unwrap().to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let status = |path: &str, cookie: &str| {
        agent
            .get(&format!("http://127.0.0.1:{port}{path}"))
            .header("Host", &format!("stage.school.lan:{port}"))
            .header("Cookie", cookie)
            .call()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(status("/", ""), 200, "the page, which holds no data, is served");
    assert_eq!(status("/api/pieces", ""), 401, "data needs a login");
    // Logged in over plain HTTP on the network, the cookie cannot be `Secure`, or the browser
    // would drop it.
    let login = agent
        .post(&format!("http://127.0.0.1:{port}/api/login"))
        .header("Host", &format!("stage.school.lan:{port}"))
        .header("Content-Type", "application/json")
        .send(json!({"name": "Ada", "password": "the right password"}).to_string())
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && !cookie.contains("Secure"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_owned();
    assert_eq!(status("/api/pieces", &session), 200);
}

/// The samples of a 16-bit WAV file (its data chunk).
fn pcm_of(wav: &[u8]) -> Vec<u8> {
    let at = wav.windows(4).position(|window| window == b"data").expect("a data chunk") + 8;
    wav[at..].to_vec()
}

/// Records a take over the WebSocket as `session`: all of `pcm` (after the stage says it is
/// ready, when `wait_until_ready`), then stop; returns the messages the stage sent.
fn record(stage: &ClubStage, session: &str, piece: i64, pcm: &[u8], wait_until_ready: bool) -> Vec<Value> {
    use tungstenite::Message;
    use tungstenite::client::IntoClientRequest;
    let url = format!("{}/api/pieces/{piece}/record", stage.origin.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Cookie", format!("{}={session}", stage.cookie_name()).parse().unwrap());
    let (mut socket, _) = tungstenite::connect(request).expect("the WebSocket opens");
    let mut messages = Vec::new();
    if wait_until_ready {
        loop {
            let Message::Text(text) = socket.read().unwrap() else { continue };
            let message: Value = serde_json::from_str(&text).unwrap();
            let ready = message["type"] == "ready";
            messages.push(message);
            if ready {
                break;
            }
        }
    }
    for chunk in pcm.chunks(3200) {
        socket.send(Message::Binary(chunk.to_vec().into())).unwrap();
    }
    socket.send(Message::Text(json!({"type": "stop"}).to_string().into())).unwrap();
    while let Ok(message) = socket.read() {
        if let Message::Text(text) = message {
            let message: Value = serde_json::from_str(&text).unwrap();
            let end = matches!(message["type"].as_str(), Some("report" | "error"));
            messages.push(message);
            if end {
                break;
            }
        }
    }
    messages
}

#[test]
fn a_take_that_ends_before_its_turn_goes_to_the_workers_and_one_heard_live_is_finished_here() {
    let database = ThrowawayDatabase::new();
    club(&database, &["user", "add", "Ada", "--role", "performer"], "Ada secret words\n");
    club(&database, &["group", "add", "Year 10"], "");
    club(&database, &["group", "join", "Year 10", "Ada"], "");
    let script = corpus("cmu_goforward.txt");
    club(&database, &["piece", "add", "Go forward", "--script", script.to_str().unwrap()], "");
    club(&database, &["assign", "Go forward", "Year 10"], "");
    let stage = ClubStage::start(&database);
    let (ada, _) = stage.log_in("Ada", "Ada secret words").unwrap();
    let pcm = pcm_of(&std::fs::read(corpus("cmu_goforward.wav")).unwrap());

    // The model is not loaded yet: the take ends before its turn comes, and is queued.
    let messages = record(&stage, &ada, 1, &pcm, false);
    let end = messages.last().unwrap();
    assert_eq!(end["type"], "report", "{messages:?}");
    let queued = end["take_id"].as_i64().unwrap();
    let (_, take) = stage.call(Some(&ada), "GET", &format!("/api/takes/{queued}"), None);
    assert_eq!((take["report"].is_null(), take["job"]["state"].as_str()), (true, Some("waiting")), "{take}");
    club(&database, &["--threads", "1", "worker", "--once"], "");
    let (_, take) = stage.call(Some(&ada), "GET", &format!("/api/takes/{queued}"), None);
    assert_eq!(take["report"]["summary"]["accuracy"], 1.0, "{take}");

    // Followed live from its first word, a take is finished on the stage, as Ada's.
    let messages = record(&stage, &ada, 1, &pcm, true);
    let end = messages.last().unwrap();
    assert_eq!(end["type"], "report", "{messages:?}");
    let live = end["take_id"].as_i64().unwrap();
    let (_, take) = stage.call(Some(&ada), "GET", &format!("/api/takes/{live}"), None);
    assert_eq!(take["report"]["summary"]["accuracy"], 1.0, "{take}");
    assert!(take.get("job").is_none(), "{take}");
    let (_, piece) = stage.call(Some(&ada), "GET", "/api/pieces/1", None);
    assert_eq!(piece["takes"].as_array().unwrap().len(), 2, "both are hers: {piece}");
}
