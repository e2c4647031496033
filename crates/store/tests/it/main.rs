//! Whole flows against a real data directory, as separate `Store`s and separate processes
//! would use it: concurrent writers, and writers killed mid-write.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use encore_store::{NewTake, SqliteStore, Store};

/// Set in the child process that `killed_writers_leave_the_store_consistent` kills.
const WRITER_DIR: &str = "ENCORE_STORE_TEST_WRITER_DIR";

fn report(accuracy: f64) -> encore_take::TakeReport {
    encore_take::testing::scored(accuracy, 100.0)
}

fn add_take(store: &dyn Store, piece_id: i64, bytes: &[u8]) -> encore_store::Take {
    let piece = store.piece(piece_id).unwrap();
    let audio = store.save_audio(bytes, "wav").unwrap();
    let take = NewTake {
        piece_id,
        script_version_id: piece.script.id,
        audio: &audio,
        source_name: "take.wav".into(),
        duration: None,
        performer_id: None,
    };
    store.add_take(&take).unwrap()
}

/// Two writers on one directory, each with its own connection, as two `encore` processes would
/// be: every write must wait its turn rather than fail with "database is locked". They also
/// open the fresh store together, so both race to migrate it.
#[test]
fn two_stores_write_to_one_directory_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let writers: Vec<_> = (0..2)
        .map(|writer| {
            let dir = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let store = SqliteStore::open(&dir).unwrap();
                let piece = store.add_piece(&format!("Piece {writer}"), "To be").unwrap();
                for index in 0..50 {
                    // Every fifth take has the same audio as the other writer's, so both also
                    // race to write the same file.
                    let bytes = if index % 5 == 0 { format!("shared {index}") } else { format!("{writer} {index}") };
                    let take = add_take(&store, piece.id, bytes.as_bytes());
                    store.save_report(take.id, &report(index as f64 / 50.0), "test").unwrap();
                }
                piece.id
            })
        })
        .collect();
    let pieces: Vec<i64> = writers.into_iter().map(|writer| writer.join().unwrap()).collect();
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.all_takes().unwrap().len(), 100);
    for piece in pieces {
        let takes = store.takes(piece).unwrap();
        assert_eq!(takes.len(), 50);
        assert!(takes.iter().all(|take| take.report.is_some()));
    }
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
}

/// Not a test of its own: the writer that `killed_writers_leave_the_store_consistent` runs in a
/// child process and kills. It adds, analyses and removes takes and pieces until killed.
#[test]
#[ignore = "run as a child process by killed_writers_leave_the_store_consistent"]
fn writer_killed_by_the_parent() {
    let Some(dir) = std::env::var_os(WRITER_DIR) else { return };
    let store = SqliteStore::open(Path::new(&dir)).unwrap();
    let process = std::process::id();
    let keep = match store.find_piece("Kept") {
        Ok(piece) => piece,
        Err(_) => store.add_piece("Kept", "To be").unwrap(),
    };
    println!("started");
    for index in 0.. {
        // Big enough that a kill often lands in the middle of writing a file.
        let bytes = format!("{process} {index} ").repeat(20_000);
        let take = add_take(&store, keep.id, bytes.as_bytes());
        if index % 2 == 0 {
            store.save_report(take.id, &report(0.5), "test").unwrap();
        }
        if index % 3 == 0 {
            store.remove_take(take.id).unwrap();
        }
        if index % 7 == 0 {
            store.edit_script(keep.id, &format!("To be {index}")).unwrap();
        }
        if index % 5 == 0 {
            let piece = store.add_piece(&format!("Passing {process} {index}"), "x").unwrap();
            add_take(&store, piece.id, bytes.as_bytes());
            add_take(&store, piece.id, format!("{process} own {index}").as_bytes());
            store.remove_piece(piece.id).unwrap();
        }
    }
}

/// A kill -9 at any moment leaves a store whose every take has its audio and script.
#[test]
fn killed_writers_leave_the_store_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    for round in 0..6u64 {
        let mut child = Command::new(&exe)
            .args(["writer_killed_by_the_parent", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env(WRITER_DIR, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the writer to get going, then a little longer each round, so kills land at
        // different points of its work.
        let started = Instant::now();
        while SqliteStore::open(dir.path()).unwrap().find_piece("Kept").is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "the writer never started");
            assert!(child.try_wait().unwrap().is_none(), "the writer exited early");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(40 + 37 * round));
        assert!(child.try_wait().unwrap().is_none(), "the writer failed");
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();

        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.check().unwrap(), Vec::<String>::new(), "after kill {round}");
        for take in store.all_takes().unwrap() {
            assert_eq!(std::fs::metadata(take.audio.path.as_ref().unwrap()).unwrap().len(), take.audio.bytes);
            store.script_version(take.script_version_id).unwrap();
        }
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert!(!store.all_takes().unwrap().is_empty(), "the writers never added a take");
}
