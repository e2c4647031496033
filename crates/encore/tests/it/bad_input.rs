//! Bad input through the real binary, as one table: each file or script a performer might give
//! Encore, what Encore must answer, and that a refused take leaves nothing in the store. The
//! formats that must work are in the table too.

use std::path::{Path, PathBuf};

use crate::{describe, encore};

const SCRIPT: &str = "And so my fellow Americans, ask not what your country can do for you.";

/// The audio test fixtures (JFK's line in several formats).
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../audio/tests/fixtures").join(name)
}

/// A second of silence as a 16-bit PCM WAV whose header claims `channels` and `rate`.
fn wav_claiming(channels: u16, rate: u32) -> Vec<u8> {
    let mut bytes = encore_audio::pcm16_wav(&vec![0; 16_000]);
    bytes[22..24].copy_from_slice(&channels.to_le_bytes());
    bytes[24..28].copy_from_slice(&rate.to_le_bytes());
    bytes
}

/// `encore --data DATA ARGS...`.
fn encore_in(data: &Path, args: &[&str]) -> std::process::Output {
    let mut all: Vec<&std::ffi::OsStr> = vec!["--data".as_ref(), data.as_os_str()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    encore(&all)
}

/// A zip archive holding one text file, as `zip` writes it with no compression.
fn zip() -> Vec<u8> {
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    bytes.extend_from_slice(&[5, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0]);
    bytes.extend_from_slice(b"x.txthello");
    bytes
}

#[test]
fn every_bad_take_is_refused_with_its_reason_and_leaves_nothing() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("store");
    let script = home.path().join("script.txt");
    std::fs::write(&script, SCRIPT).unwrap();
    let add = encore_in(&data, &["piece", "add", "Ask not", "--script", script.to_str().unwrap()]);
    assert!(add.status.success(), "{}", describe(&add));

    let first_bytes = |name: &str, count: usize| std::fs::read(fixture(name)).unwrap()[..count].to_vec();
    // (what, file name, its bytes, what the message must say)
    let refused: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        ("an empty file", "take.wav", Vec::new(), "the file is empty"),
        ("one byte", "take.wav", vec![0], "not an audio file Encore can open"),
        ("a WAV cut after its header", "take.wav", first_bytes("jfk_44k_stereo_s16.wav", 50), "the file ends after"),
        ("a FLAC cut short", "take.flac", first_bytes("jfk_44k_stereo.flac", 3000), "the file ends after"),
        ("an OGG cut short", "take.ogg", first_bytes("jfk_44k_stereo.ogg", 3000), "the file ends after"),
        ("an M4A cut short", "take.m4a", first_bytes("jfk_44k_stereo.m4a", 3000), "the file ends after"),
        ("a zip", "take.zip", zip(), "not an audio file Encore can open"),
        ("a WAV of zero channels", "take.wav", wav_claiming(0, 16_000), "the audio is damaged"),
        ("a WAV claiming 1 Hz", "take.wav", wav_claiming(1, 1), "runs at 1 Hz"),
        ("silence", "take.wav", wav_claiming(1, 16_000), "the recording is silent"),
    ];
    for (what, name, bytes, says) in refused {
        let file = home.path().join(name);
        std::fs::write(&file, &bytes).unwrap();
        let output = encore_in(&data, &["take", "Ask not", file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{what}: {}", describe(&output));
        assert!(stderr.contains(says) && stderr.contains(name), "{what}: {}", describe(&output));
    }
    assert_eq!(std::fs::read_dir(data.join("audio")).unwrap().count(), 0, "a refused take keeps no audio");

    // Formats and layouts that must work, the extension lying included: the fixtures are the
    // first three seconds of the line.
    let opening = home.path().join("opening.txt");
    std::fs::write(&opening, "And so, my fellow Americans").unwrap();
    let add = encore_in(&data, &["piece", "add", "Opening", "--script", opening.to_str().unwrap()]);
    assert!(add.status.success(), "{}", describe(&add));
    let working = [
        ("jfk_8k_mono_u8.wav", "take.wav"),
        ("jfk_22k_mono_s24.wav", "take.wav"),
        ("jfk_11k_mono_f32.wav", "take.wav"),
        ("jfk_44k_stereo_s16.wav", "take.wav"),
        ("jfk_44k_stereo.mp3", "mislabelled.wav"),
    ];
    for (fixture_name, name) in working {
        let file = home.path().join(name);
        std::fs::copy(fixture(fixture_name), &file).unwrap();
        let output = encore_in(&data, &["take", "Opening", file.to_str().unwrap(), "--json"]);
        assert!(output.status.success(), "{fixture_name}: {}", describe(&output));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert!(report["summary"]["accuracy"].as_f64().unwrap() >= 0.8, "{fixture_name}: {report:#}");
    }
}

#[test]
fn every_bad_script_and_store_is_refused_with_its_reason() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("store");
    let add = |name: &str, bytes: &[u8]| {
        let file = home.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        encore_in(&data, &["piece", "add", name, "--script", file.to_str().unwrap()])
    };
    // (what, the script's bytes, what the message must say)
    let big = "word ".repeat(210_000);
    let refused: [(&str, &[u8], &str); 3] = [
        ("not UTF-8", b"\xff\xfe\x00bad", "not plain text"),
        ("only punctuation", "... \u{2014} !!! ?".as_bytes(), "no words to read"),
        ("a megabyte of words", big.as_bytes(), "more than the 20000"),
    ];
    for (what, bytes, says) in refused {
        let output = add(&format!("{what}.txt"), bytes);
        assert_eq!(output.status.code(), Some(1), "{what}: {}", describe(&output));
        assert!(String::from_utf8_lossy(&output.stderr).contains(says), "{what}: {}", describe(&output));
    }
    let emoji = add("emoji.txt", "Hello \u{1f44b} world, \u{5e9}\u{5dc}\u{5d5}\u{5dd}, to you.".as_bytes());
    assert!(emoji.status.success(), "emoji and right-to-left text: {}", describe(&emoji));
    let missing = encore_in(&data, &["piece", "add", "X", "--script", "missing.txt"]);
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("cannot read the script missing.txt"),
        "{}",
        describe(&missing)
    );

    // A database file that is no database is named, and left as it was.
    let damaged = home.path().join("damaged");
    std::fs::create_dir_all(&damaged).unwrap();
    std::fs::write(damaged.join("encore.db"), "garbage garbage").unwrap();
    let output = encore_in(&damaged, &["piece", "list"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("is not a database Encore can read"),
        "{}",
        describe(&output)
    );
    assert_eq!(std::fs::read_to_string(damaged.join("encore.db")).unwrap(), "garbage garbage");

    // A model directory left half-written.
    let model = home.path().join("model");
    std::fs::create_dir_all(&model).unwrap();
    std::fs::write(model.join("config.json"), "{}").unwrap();
    let script = home.path().join("script.txt");
    std::fs::write(&script, SCRIPT).unwrap();
    let output = encore(&[
        "--model".as_ref(),
        model.as_os_str(),
        "analyze".as_ref(),
        fixture("jfk_ref_16k_mono.wav").as_os_str(),
        "--script".as_ref(),
        script.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no speech model at"), "{}", describe(&output));
}
