//! A thread count given to the recogniser changes how fast it hears, never what it hears.
//!
//! The count is the process's (see `Recogniser::load_with_threads`), so each count is heard
//! in a process of its own: this test runs itself again, once per count.

use std::path::Path;
use std::process::Command;

use encore_listen::{ListenOptions, Recogniser, default_model_dir, default_model_installed};

/// Set in the child processes: the thread count to hear with, and where to write the result.
const THREADS: &str = "ENCORE_LISTEN_TEST_THREADS";
const OUT: &str = "ENCORE_LISTEN_TEST_OUT";

#[test]
fn one_thread_or_two_hear_the_same_words_at_the_same_times() {
    default_model_installed(&mut |message| eprintln!("{message}")).expect("the model installs");
    let temp = tempfile::tempdir().unwrap();
    let heard: Vec<String> = ["1", "2"]
        .iter()
        .map(|threads| {
            let out = temp.path().join(format!("{threads}.json"));
            let status = Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "hear_with_the_threads_asked_for", "--nocapture", "--test-threads=1"])
                .env(THREADS, threads)
                .env(OUT, &out)
                .env_remove("RAYON_NUM_THREADS")
                .status()
                .unwrap();
            assert!(status.success(), "hearing with {threads} threads failed");
            std::fs::read_to_string(&out).expect("the child wrote what it heard")
        })
        .collect();
    assert!(heard[0].contains("country"), "{}", heard[0]);
    assert_eq!(heard[0], heard[1], "one thread and two heard differently");
}

/// The child: hears JFK with the thread count it is given (and does nothing in a plain run).
#[test]
fn hear_with_the_threads_asked_for() {
    let (Ok(threads), Ok(out)) = (std::env::var(THREADS), std::env::var(OUT)) else { return };
    let threads: usize = threads.parse().unwrap();
    let recogniser = Recogniser::load_with_threads(&default_model_dir(), Some(threads)).expect("the model loads");
    assert_eq!(rayon::current_num_threads(), threads);
    // Asking again for the count in force is fine; asking for another is an error.
    assert!(Recogniser::load_with_threads(&default_model_dir(), Some(threads)).is_ok());
    assert!(Recogniser::load_with_threads(&default_model_dir(), Some(threads + 1)).is_err());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/audio/jfk_inaugural_1961.wav");
    let audio = encore_audio::decode_file(&path, &mut |_| {}).expect("the recording decodes");
    let hearing = recogniser.transcribe(&audio, &ListenOptions::default(), &mut |_| {}).unwrap().0;
    let recent = recogniser.hear_recent(&audio, audio.duration() - 4.0, "ask not what your", &|| false).unwrap();
    let (listened, _, listening) = recogniser.listen(&audio, &ListenOptions::default(), &mut |_| {}).unwrap();
    let fellow = listened.words.iter().find(|w| w.text == "fellow").unwrap();
    let answer = recogniser.prefer_script(&listening, &listened, fellow.start, fellow.end, &["yellow"]).unwrap();
    let all = serde_json::json!({ "hearing": hearing, "recent": recent, "answer": answer });
    std::fs::write(out, serde_json::to_string_pretty(&all).unwrap()).unwrap();
}
