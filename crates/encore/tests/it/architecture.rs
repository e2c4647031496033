//! The rules of ARCHITECTURE.md that a reader cannot see at a glance, checked: which crates may
//! depend on which (from `cargo metadata`), that the stage never reaches into the command line,
//! and that no source file grows past what can be read in one sitting.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Each crate of the workspace with the workspace crates it depends on (normal and build
/// dependencies; tests and examples may use more).
fn workspace_dependencies() -> BTreeMap<String, Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    packages
        .iter()
        .map(|package| {
            let dependencies = package["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|dependency| dependency["kind"].as_str() != Some("dev"))
                .filter_map(|dependency| dependency["name"].as_str())
                .filter(|name| name.starts_with("encore-"))
                .map(str::to_string)
                .collect();
            (package["name"].as_str().expect("a name").to_string(), dependencies)
        })
        .collect()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn crates_depend_only_on_the_stages_before_them() {
    let dependencies = workspace_dependencies();
    let forbidden: &[(&str, &[&str])] = &[
        // The formats are data: nothing of the pipeline beneath them.
        (
            "encore-take",
            &[
                "encore-audio",
                "encore-listen",
                "encore-align",
                "encore-delivery",
                "encore-movement",
                "encore-store",
                "encore-coach",
            ],
        ),
        // Listening and aligning are siblings that meet only in the formats.
        ("encore-listen", &["encore-align", "encore-coach", "encore-store"]),
        ("encore-align", &["encore-listen", "encore-audio", "encore-store", "encore-coach"]),
        // Keeping and looking back on reports needs neither the recogniser nor the aligner.
        ("encore-store", &["encore-align", "encore-listen", "encore-coach"]),
        ("encore-coach", &["encore-align", "encore-listen", "encore-store", "encore-delivery"]),
        // How a take sounded is measured on the audio and the report alone, like the aligner.
        ("encore-delivery", &["encore-listen", "encore-align", "encore-store", "encore-coach"]),
        // How it looked is measured on the pose and the report alone: no audio, no recogniser.
        (
            "encore-movement",
            &["encore-audio", "encore-listen", "encore-align", "encore-delivery", "encore-store", "encore-coach"],
        ),
        // The rehearsal layer serves the binary, never the other way round.
        ("encore-pipeline", &["encore-rehearsal", "encore-store", "encore-coach"]),
    ];
    let mut broken = Vec::new();
    for (package, not_allowed) in forbidden {
        let uses = dependencies.get(*package).unwrap_or_else(|| panic!("{package} is a workspace crate"));
        for name in uses.iter().filter(|name| not_allowed.contains(&name.as_str())) {
            broken.push(format!("{package} depends on {name}"));
        }
    }
    assert!(broken.is_empty(), "dependencies ARCHITECTURE.md rules out: {broken:?}");
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn the_stage_does_not_reach_into_the_command_line() {
    let stage = root().join("crates/encore/src/stage");
    for file in rust_files(&stage) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            assert!(
                code.starts_with("//") || !(code.contains("crate::cli") || code.contains("super::cli")),
                "{}:{}: the stage uses the command line; share the code through encore-rehearsal instead",
                file.display(),
                number + 1
            );
        }
    }
}

#[test]
fn no_source_file_is_longer_than_600_lines() {
    let long: Vec<String> = rust_files(&root().join("crates"))
        .into_iter()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            (lines > 600).then(|| format!("{} ({lines} lines)", file.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by what they do: {long:?}");
}
