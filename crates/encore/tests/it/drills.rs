//! Drills from the command line, as a performer would use them: two takes trip on the same word
//! and make a drill of it; attempts at the drill, cut from the real recording, are judged,
//! rated and rescheduled; editing the script moves the drill or retires it.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

use crate::{corpus, describe, run_in};

/// "truly" is not in the recording: every take skips it.
const WITH_A_WORD_ADDED: &str = "And so my fellow Americans,\nask not what your country can truly do for you,\nask what you can do for your country.\n";
const AS_SAID: &str =
    "And so my fellow Americans,\nask not what your country can do for you,\nask what you can do for your country.\n";

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("{error}: {text}"))
}

/// The stretches `[(from, to)]` of the JFK recording, in seconds, joined into one WAV.
fn cut(home: &Path, name: &str, stretches: &[(f64, f64)]) -> PathBuf {
    let audio = encore_audio::decode_file(&corpus("jfk_inaugural_1961.wav"), &mut |_| {}).unwrap();
    let mut samples: Vec<i16> = Vec::new();
    for &(from, to) in stretches {
        let range = encore_audio::samples_in(from)..encore_audio::samples_in(to).min(audio.samples.len());
        samples.extend(audio.samples[range].iter().map(|&s| (s * 32_767.0).round() as i16));
    }
    let path = home.join(name);
    std::fs::write(&path, encore_audio::pcm16_wav(&samples)).unwrap();
    path
}

/// When the words `first..=last` were said in a take's report: from a little before the first
/// said word to a little after the last.
fn times(report: &Value, first: u64, last: u64) -> (f64, f64) {
    let said: Vec<&Value> = report["words"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["script_index"].as_u64().is_some_and(|i| (first..=last).contains(&i)) && w["start"].is_f64())
        .collect();
    (said[0]["start"].as_f64().unwrap() - 0.15, said[said.len() - 1]["end"].as_f64().unwrap() + 0.15)
}

#[test]
fn the_same_slip_twice_makes_a_drill_and_attempts_at_it_are_rated_and_rescheduled() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("store");
    let script = home.path().join("script.txt");
    std::fs::write(&script, WITH_A_WORD_ADDED).unwrap();
    let jfk = corpus("jfk_inaugural_1961.wav");
    let jfk = jfk.to_str().unwrap();
    run_in(&data, &["piece", "add", "Inaugural", "--script", script.to_str().unwrap()]);
    assert!(run_in(&data, &["drill", "list"]).contains("No drills yet"));

    let first = json(&run_in(&data, &["take", "inaug", jfk, "--json"]));
    run_in(&data, &["take", "inaug", jfk, "--json"]);
    let listed = json(&run_in(&data, &["drill", "list", "Inaugural", "--json"]));
    assert_eq!(listed["format"], "encore.drills/1");
    let drills = listed["drills"].as_array().unwrap();
    assert_eq!(drills.len(), 1, "the same trouble twice is one drill: {listed}");
    let drill = &drills[0];
    let (first_word, last_word) = (drill["first_word"].as_u64().unwrap(), drill["last_word"].as_u64().unwrap());
    assert!(first_word <= 11 && 11 <= last_word, "the drill holds \"truly\" (word 11): {drill}");
    assert!(drill["text"].as_str().unwrap().contains("can truly do"), "{drill}");
    assert_eq!((drill["reps"].as_u64(), drill["lapses"].as_u64()), (Some(1), Some(0)), "the second take reviewed it");
    let id = drill["id"].as_i64().unwrap().to_string();

    // An attempt cut from the recording over the drill's words still lacks "truly": Again.
    let (from, to) = times(&first, first_word, last_word);
    let failing = cut(home.path(), "failing.wav", &[(from, to)]);
    let attempt = json(&run_in(&data, &["drill", "attempt", &id, failing.to_str().unwrap(), "--json"]));
    assert_eq!((attempt["rating"].as_str(), attempt["clean"].as_bool()), (Some("again"), Some(false)), "{attempt}");
    assert_eq!(attempt["report"]["format"], "encore.take/1");
    assert_eq!(
        attempt["report"]["script"]["words"].as_u64(),
        Some(last_word - first_word + 1),
        "judged on the drill alone"
    );
    assert_eq!(attempt["drill"]["reps"].as_u64(), Some(2));
    assert_ne!(attempt["drill"]["due"], drill["due"], "rescheduled");
    let said = run_in(&data, &["drill", "attempt", &id, failing.to_str().unwrap()]);
    assert!(said.contains(&format!("Drill {id}: more than one stumble, or a word wrong or missing: again")), "{said}");

    // Practising the due drills from recordings: the path is read from standard input.
    let mut practice = std::process::Command::new(env!("CARGO_BIN_EXE_encore"))
        .args([OsStr::new("--data"), data.as_os_str(), OsStr::new("drill"), OsStr::new("Inaugural")])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // With nothing due it ends without reading a path, perhaps before this is written: a
    // broken pipe then is no failure (the output below says which it was).
    let _ = practice.stdin.take().unwrap().write_all(format!("{}\n", failing.display()).as_bytes());
    let practised = practice.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&practised.stdout);
    assert!(practised.status.success(), "{}", describe(&practised));
    assert!(out.contains("No drills of \"Inaugural\" are due") || out.contains("1 drill practised"), "{out}");

    // The script edited after the drill: a word added elsewhere moves nothing; "truly" gone
    // retires it.
    std::fs::write(&script, WITH_A_WORD_ADDED.replace("for your country.", "for your great country.")).unwrap();
    run_in(&data, &["piece", "edit", "Inaugural", "--script", script.to_str().unwrap()]);
    let kept = json(&run_in(&data, &["drill", "list", "--json"]));
    assert_eq!(kept["drills"][0]["first_word"].as_u64(), Some(first_word), "{kept}");
    std::fs::write(&script, AS_SAID).unwrap();
    run_in(&data, &["piece", "edit", "Inaugural", "--script", script.to_str().unwrap()]);
    assert_eq!(json(&run_in(&data, &["drill", "list", "--json"]))["drills"], serde_json::json!([]));
}
