//! A kill -9 at any moment of `encore take` leaves the store consistent: the take is absent,
//! or present with its audio and analysable again; never a row that points at nothing. And two
//! processes keeping takes in one store at once both succeed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use encore_store::SqliteStore;

use crate::{corpus, describe};

fn encore(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_encore"));
    command.arg("--data").arg(data).env("NO_COLOR", "1");
    command
}

fn add_piece(data: &Path) {
    let script = data.with_extension("txt");
    std::fs::write(&script, "And so my fellow Americans, ask not what your country can do for you.").unwrap();
    let output = encore(data).args(["piece", "add", "Inaugural", "--script"]).arg(&script).output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
}

/// Every take in the store has its audio, byte for byte the recording, and no row points at
/// nothing.
fn assert_consistent(data: &Path, recording: &[u8]) -> (usize, usize) {
    let store = SqliteStore::open(data).expect("the store opens after a kill");
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
    let takes = store.all_takes().unwrap();
    for take in &takes {
        assert_eq!(store.read_audio(&take.audio).unwrap(), recording, "take {} keeps its audio whole", take.id);
    }
    (takes.len(), takes.iter().filter(|t| t.report.is_some()).count())
}

#[test]
fn a_take_killed_at_any_moment_leaves_the_store_consistent() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("store");
    add_piece(&data);
    let audio = corpus("jfk_inaugural_1961.wav");
    let recording = std::fs::read(&audio).unwrap();

    // Kills at fixed delays land in different stages (start-up, copying the audio, adding the
    // row, loading the model, listening); one more lands just after the take was kept.
    let mut moments: Vec<Option<Duration>> =
        [0, 15, 40, 80, 150, 300, 600, 1200].into_iter().map(|ms| Some(Duration::from_millis(ms))).collect();
    moments.push(None);
    let mut killed_with_a_take = 0;
    for moment in moments {
        let mut child = encore(&data)
            .args(["take", "Inaugural"])
            .arg(&audio)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        match moment {
            Some(delay) => std::thread::sleep(delay),
            None => {
                let stderr = BufReader::new(child.stderr.take().unwrap());
                for line in stderr.lines() {
                    if line.unwrap().contains("kept take") {
                        break;
                    }
                }
            }
        }
        let before = assert_consistent_after_kill(&mut child, &data, &recording);
        killed_with_a_take += usize::from(before.0 > before.1);
    }
    assert!(killed_with_a_take >= 1, "at least one kill fell between keeping a take and its report");

    // Every take kept is analysable: reanalyze finishes the interrupted ones.
    let output = encore(&data).arg("reanalyze").output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let (takes, analysed) = assert_consistent(&data, &recording);
    assert_eq!(takes, analysed, "after reanalyze every take has its report");
}

fn assert_consistent_after_kill(child: &mut std::process::Child, data: &Path, recording: &[u8]) -> (usize, usize) {
    let _ = child.kill();
    let _ = child.wait();
    assert_consistent(data, recording)
}

#[test]
fn two_processes_keep_takes_in_one_store_at_once() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("store");
    add_piece(&data);
    let first = encore(&data).args(["take", "Inaugural"]).arg(corpus("jfk_inaugural_1961.wav")).spawn().unwrap();
    let second = encore(&data).args(["take", "Inaugural"]).arg(corpus("vctk_p225_003.wav")).spawn().unwrap();
    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", describe(&output));
    }
    let store = SqliteStore::open(&data).unwrap();
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
    let takes = store.all_takes().unwrap();
    assert_eq!(takes.len(), 2);
    assert!(takes.iter().all(|t| t.report.is_some()));
}
