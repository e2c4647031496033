//! Whole flows through the real `encore` binary, the real speech model and real recordings
//! (`tests/corpus`, copied into the repository so that these run without `../shared`). One
//! integration binary, one module per command.

mod analyze;
mod architecture;
mod bad_input;
mod club;
mod club_stage;
mod crash;
mod drills;
mod model;
mod rehearsal;
mod stage;
mod transcribe;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A recording or text file of the repository's test corpus.
pub fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/audio").join(name)
}

/// Runs `encore` with these arguments, colour off, and returns what it did.
pub fn encore(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_encore")).args(args).env("NO_COLOR", "1").output().expect("the encore binary runs")
}

/// The output as text, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `samples` as a 16 kHz mono 16-bit WAV file.
pub fn wav(samples: &[i16]) -> Vec<u8> {
    encore_audio::pcm16_wav(samples)
}

/// `encore --data DIR args...`, which must succeed; its stdout.
pub fn run_in(data: &Path, args: &[&str]) -> String {
    let output = run_raw_in(data, args);
    assert!(output.status.success(), "encore {args:?}\n{}", describe(&output));
    String::from_utf8(output.stdout).unwrap()
}

/// `encore --data DIR args...`, whatever it does.
pub fn run_raw_in(data: &Path, args: &[&str]) -> Output {
    let mut all: Vec<&std::ffi::OsStr> = vec![std::ffi::OsStr::new("--data"), data.as_os_str()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    encore(&all)
}
