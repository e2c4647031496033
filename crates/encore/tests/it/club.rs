//! A club's database: takes queued with `encore take --queue`, heard by `encore worker`
//! processes on the real model, with one worker killed mid-take; the queue as `encore queue`
//! shows it. Each test has a throwaway database on the real PostgreSQL server.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use encore_store::testing::ThrowawayDatabase;
use encore_store::{PostgresStore, Store};

use super::{corpus, describe};

/// `encore --database URL args...`, whatever it does.
fn club(database: &ThrowawayDatabase, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_encore"))
        .arg("--database")
        .arg(&database.url)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the encore binary runs")
}

fn club_ok(database: &ThrowawayDatabase, args: &[&str]) -> String {
    let output = club(database, args);
    assert!(output.status.success(), "encore {args:?}\n{}", describe(&output));
    String::from_utf8(output.stdout).unwrap()
}

fn start_worker(database: &ThrowawayDatabase, lease: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_encore"))
        .args(["--database", &database.url, "--threads", "1", "worker", "--lease", lease])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("a worker starts")
}

/// Rows of `sql` on the test's database, each row's columns as text.
fn rows(database: &ThrowawayDatabase, sql: &str) -> Vec<Vec<String>> {
    let mut client = postgres::Client::connect(&database.url, postgres::NoTls).unwrap();
    client
        .simple_query(sql)
        .unwrap()
        .into_iter()
        .filter_map(|message| match message {
            postgres::SimpleQueryMessage::Row(row) => {
                Some((0..row.len()).map(|i| row.get(i).unwrap_or("").to_owned()).collect())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn sixty_queued_takes_are_each_heard_once_though_a_worker_is_killed_mid_take() {
    let database = ThrowawayDatabase::new();
    let recordings = ["cmu_goforward", "mfa_youknow", "librivox_sense_sensibility_0890", "vctk_p225_003"];
    for name in recordings {
        let script = corpus(&format!("{name}.txt"));
        club_ok(&database, &["piece", "add", name, "--script", script.to_str().unwrap()]);
    }
    let mut queued = Vec::new();
    for n in 0..60 {
        let name = recordings[n % recordings.len()];
        let audio = corpus(&format!("{name}.wav"));
        let out = club_ok(&database, &["take", name, audio.to_str().unwrap(), "--queue"]);
        queued.push(out.trim().parse::<i64>().expect("`take --queue` prints the take's number"));
    }
    assert_eq!(queued.len(), 60);

    let lease = 2.0;
    let mut workers: Vec<Child> = (0..3).map(|_| start_worker(&database, &lease.to_string())).collect();
    // Kill the first worker as soon as it is hearing a take.
    let victim = workers[0].id();
    let deadline = Instant::now() + Duration::from_secs(120);
    let killed_take = loop {
        let held = rows(
            &database,
            &format!("SELECT take_id FROM analysis_job WHERE state = 'running' AND worker LIKE '%:{victim}'"),
        );
        if let Some(row) = held.first() {
            break row[0].clone();
        }
        assert!(Instant::now() < deadline, "the worker never took a job");
        std::thread::sleep(Duration::from_millis(5));
    };
    workers[0].kill().unwrap(); // SIGKILL
    workers[0].wait().unwrap();

    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let left = rows(&database, "SELECT count(*) FROM analysis_job WHERE state <> 'done'");
        if left[0][0] == "0" {
            break;
        }
        assert!(Instant::now() < deadline, "the queue never emptied: {:?}", club_ok(&database, &["queue"]));
        std::thread::sleep(Duration::from_millis(200));
    }
    for worker in &mut workers[1..] {
        worker.kill().unwrap();
        worker.wait().unwrap();
    }

    let store = PostgresStore::open(&database.url).unwrap();
    let takes = store.all_takes().unwrap();
    assert_eq!(takes.iter().map(|take| take.id).collect::<Vec<_>>(), queued, "no take lost, none added");
    for take in &takes {
        let report = take.report.as_ref().unwrap_or_else(|| panic!("take {} has no report", take.id));
        assert!(report.summary.accuracy > 0.5, "take {} was heard: {:?}", take.id, report.summary);
    }
    let kept = rows(&database, "SELECT take_id, reports_kept, claim FROM analysis_job ORDER BY take_id");
    assert_eq!(kept.len(), 60);
    for row in &kept {
        assert_eq!(row[1], "1", "take {} has exactly one report kept", row[0]);
    }
    let killed = kept.iter().find(|row| row[0] == killed_take).unwrap();
    assert!(killed[2].parse::<u32>().unwrap() >= 2, "the killed worker's take was taken over: {killed:?}");
    assert!(club_ok(&database, &["queue"]).contains("The queue is empty"));
}

#[test]
fn a_take_that_cannot_be_heard_fails_its_job_says_why_and_can_be_retried() {
    let database = ThrowawayDatabase::new();
    let script = corpus("cmu_goforward.txt");
    club_ok(&database, &["piece", "add", "Go forward", "--script", script.to_str().unwrap()]);
    // Bytes that are no audio, kept behind the command line's back (as a damaged upload would be).
    let store = PostgresStore::open(&database.url).unwrap();
    let piece = store.find_piece("Go").unwrap();
    // Kept and queued as `encore take --queue` would, with these bytes.
    let queue_take = |bytes: &[u8], name: &str| {
        let audio = store.save_audio(bytes, "wav").unwrap();
        let take = store
            .add_take(&encore_store::NewTake {
                piece_id: piece.id,
                script_version_id: piece.script.id,
                audio: &audio,
                source_name: name.into(),
                duration: None,
                performer_id: None,
            })
            .unwrap();
        store.queue().unwrap().queue_take(take.id).unwrap();
        (take, audio)
    };
    let (take, _) = queue_take(b"RIFF, but nothing after it", "damaged.wav");
    // And a take whose audio went missing from the database (its row deleted by hand).
    let (lost_take, lost) = queue_take(&std::fs::read(corpus("cmu_goforward.wav")).unwrap(), "lost.wav");
    rows(&database, &format!("DELETE FROM audio WHERE hash = '{}'", lost.hash));

    let output = club(&database, &["--threads", "1", "worker", "--once"]);
    assert!(output.status.success(), "the worker goes on past both: {}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("0 heard, 2 failed"), "{}", describe(&output));
    let listed = club_ok(&database, &["queue"]);
    assert!(listed.contains(&format!("take {:>5}  Go forward  failed: ", take.id)), "{listed}");
    assert!(listed.contains("encore queue retry"), "{listed}");
    let json: serde_json::Value = serde_json::from_str(&club_ok(&database, &["queue", "--json"])).unwrap();
    assert_eq!(json["jobs"][0]["state"], "failed");
    assert!(json["jobs"][0]["error"].as_str().unwrap().len() > 10, "{json}");

    assert!(listed.contains(&format!("take {:>5}  Go forward  failed: the audio", lost_take.id)), "{listed}");

    assert_eq!(club_ok(&database, &["queue", "retry"]).trim(), "2 failed takes are back in the queue.");
    let json: serde_json::Value = serde_json::from_str(&club_ok(&database, &["queue", "--json"])).unwrap();
    assert_eq!((json["jobs"][0]["state"].as_str(), json["jobs"][0]["place"].as_u64()), (Some("waiting"), Some(1)));
}

#[test]
fn the_queue_needs_a_clubs_database_and_nothing_is_kept_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let script = corpus("cmu_goforward.txt");
    super::run_in(dir.path(), &["piece", "add", "Go forward", "--script", script.to_str().unwrap()]);
    let audio = corpus("cmu_goforward.wav");
    for args in [vec!["take", "Go", audio.to_str().unwrap(), "--queue"], vec!["worker", "--once"], vec!["queue"]] {
        let output = super::run_raw_in(dir.path(), &args);
        assert!(!output.status.success(), "{}", describe(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("only a club's database has an analysis queue: name one with --database"), "{stderr}");
    }
    assert!(super::run_in(dir.path(), &["history", "Go"]).starts_with("No takes"), "nothing was kept");

    let output = Command::new(env!("CARGO_BIN_EXE_encore"))
        .args(["--database", "postgres://nobody@127.0.0.1:1/nothing", "piece", "list"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot reach the database nobody@127.0.0.1:1/nothing"), "{stderr}");
}
