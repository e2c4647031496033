//! Bad input through the real binary, as one table: each file or script a performer might give
//! Encore, what Encore must answer, and that a refused take leaves nothing in the store. The
//! formats that must work are in the table too, and so are the stores that cannot be used: one
//! from a newer Encore, one on a read-only disk, one on a full disk; and a two-hour take.

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
        ("an MP3 cut short", "take.mp3", first_bytes("jfk_44k_stereo.mp3", 3000), "holds only 0.3"),
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
    let missing = encore_in(&data, &["take", "Ask not", "no such take.wav"]);
    assert_eq!(missing.status.code(), Some(1), "{}", describe(&missing));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("there is no such file"), "{}", describe(&missing));
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
    let reference = encore_audio::decode_file(&fixture("jfk_ref_16k_mono.wav"), &mut |_| {}).unwrap().samples;
    let made: [(&str, Vec<u8>); 3] = [
        ("48 kHz.wav", wav_at_48k(&reference)),
        ("clipped.wav", pcm16(reference.iter().map(|&s| (s * 12.0).clamp(-1.0, 1.0)))),
        ("dc offset.wav", pcm16(reference.iter().map(|&s| (s + 0.3).clamp(-1.0, 1.0)))),
    ];
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for (fixture_name, name) in working.into_iter().chain([("jfk_video_h264_aac.mp4", "a video of the take.mp4")]) {
        let file = home.path().join(name);
        std::fs::copy(fixture(fixture_name), &file).unwrap();
        files.push((fixture_name.to_string(), file));
    }
    for (name, bytes) in made {
        let file = home.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        files.push((name.to_string(), file));
    }
    for (what, file) in files {
        let output = encore_in(&data, &["take", "Opening", file.to_str().unwrap(), "--json"]);
        assert!(output.status.success(), "{what}: {}", describe(&output));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert!(report["summary"]["accuracy"].as_f64().unwrap() >= 0.8, "{what}: {report:#}");
    }
}

#[test]
fn a_two_hour_take_is_heard_whole() {
    // The passage, then two hours of a quiet room: 230 MB of WAV, written here rather than kept.
    let home = tempfile::tempdir().unwrap();
    let speech = encore_audio::decode_file(&fixture("jfk_ref_16k_mono.wav"), &mut |_| {}).unwrap().samples;
    let mut samples: Vec<i16> = speech.iter().map(|&s| (s * 32_767.0).round() as i16).collect();
    samples.resize(samples.len() + 2 * 3600 * 16_000, 0);
    let take = home.path().join("two hours.wav");
    std::fs::write(&take, encore_audio::pcm16_wav(&samples)).unwrap();
    drop(samples);
    let script = home.path().join("script.txt");
    std::fs::write(&script, "And so, my fellow Americans").unwrap();

    let output =
        encore(&["analyze".as_ref(), take.as_os_str(), "--script".as_ref(), script.as_os_str(), "--json".as_ref()]);
    assert!(output.status.success(), "{}", describe(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["audio"]["duration"].as_f64().unwrap() > 7_200.0, "{}", report["audio"]);
    assert!(report["summary"]["accuracy"].as_f64().unwrap() >= 0.8, "{}", report["summary"]);
}

/// Samples from -1 to 1 as a 16 kHz 16-bit WAV.
fn pcm16(samples: impl Iterator<Item = f32>) -> Vec<u8> {
    encore_audio::pcm16_wav(&samples.map(|s| (s * 32_767.0).round() as i16).collect::<Vec<_>>())
}

/// 16 kHz samples as a 48 kHz 16-bit WAV: each sample held for three (the header says 48 kHz).
fn wav_at_48k(samples: &[f32]) -> Vec<u8> {
    let mut bytes = pcm16(samples.iter().flat_map(|&s| [s, s, s]));
    bytes[24..28].copy_from_slice(&48_000u32.to_le_bytes());
    bytes[28..32].copy_from_slice(&96_000u32.to_le_bytes());
    bytes
}

#[test]
fn a_store_that_cannot_be_written_or_is_newer_is_refused_and_nothing_is_half_written() {
    let home = tempfile::tempdir().unwrap();
    let script = home.path().join("script.txt");
    std::fs::write(&script, SCRIPT).unwrap();
    let take = fixture("jfk_ref_16k_mono.wav");
    let take = take.to_str().unwrap();

    // A store from a newer Encore is refused and left as it was.
    let newer = home.path().join("newer");
    let add = encore_in(&newer, &["piece", "add", "Ask not", "--script", script.to_str().unwrap()]);
    assert!(add.status.success(), "{}", describe(&add));
    rusqlite::Connection::open(newer.join("encore.db")).unwrap().pragma_update(None, "user_version", 99).unwrap();
    let output = encore_in(&newer, &["piece", "list"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("made by a newer Encore"), "{}", describe(&output));

    // A read-only data directory and a full disk need mounts; root can make them (CI runs as
    // root), anyone else cannot, and the permissions alone do not stop root.
    if !mounts_allowed(home.path()) {
        eprintln!("skipping the read-only and full-disk rows: mounting needs root");
        return;
    }
    let read_only = home.path().join("read-only");
    let add = encore_in(&read_only, &["piece", "add", "Ask not", "--script", script.to_str().unwrap()]);
    assert!(add.status.success(), "{}", describe(&add));
    let mounted = Mount::read_only(&read_only);
    let output = encore_in(&read_only, &["take", "Ask not", take]);
    drop(mounted);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("Read-only file system") && said.contains("choose another with --data"), "{said}");

    // A disk too small for the take: refused, and neither a row nor a partial file is left.
    let full = home.path().join("full");
    let mounted = Mount::tmpfs(&full, "160k");
    let add = encore_in(&full, &["piece", "add", "Ask not", "--script", script.to_str().unwrap()]);
    assert!(add.status.success(), "{}", describe(&add));
    let output = encore_in(&full, &["take", "Ask not", take]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("No space left on device"), "{}", describe(&output));
    assert_eq!(std::fs::read_dir(full.join("audio")).unwrap().count(), 0, "no partial audio is left");
    let history = encore_in(&full, &["history", "Ask not", "--json"]);
    assert!(history.status.success(), "{}", describe(&history));
    let takes: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(takes, serde_json::json!([]), "no take row");
    drop(mounted);
}

/// Whether this process may mount file systems (it is root, and the kernel lets it here).
fn mounts_allowed(scratch: &Path) -> bool {
    let probe = scratch.join("probe");
    std::fs::create_dir_all(&probe).unwrap();
    let allowed = mount(&["-t", "tmpfs", "-o", "size=16k", "tmpfs", probe.to_str().unwrap()]);
    if allowed {
        mount_command("umount", &[probe.to_str().unwrap()]);
    }
    allowed
}

/// A mount made for a test, undone when dropped (even when the test fails).
struct Mount(PathBuf);

impl Mount {
    /// `dir` mounted over itself, read-only.
    fn read_only(dir: &Path) -> Mount {
        let path = dir.to_str().unwrap();
        assert!(mount(&["--bind", path, path]), "bind mount of {path}");
        let mounted = Mount(dir.to_path_buf());
        assert!(mount(&["-o", "remount,ro,bind", path]), "read-only remount of {path}");
        mounted
    }

    /// An empty file system of `size` at `dir`.
    fn tmpfs(dir: &Path, size: &str) -> Mount {
        std::fs::create_dir_all(dir).unwrap();
        assert!(mount(&["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", dir.to_str().unwrap()]));
        Mount(dir.to_path_buf())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        mount_command("umount", &[self.0.to_str().unwrap()]);
    }
}

fn mount(args: &[&str]) -> bool {
    mount_command("mount", args)
}

fn mount_command(command: &str, args: &[&str]) -> bool {
    std::process::Command::new(command)
        .args(args)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
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
