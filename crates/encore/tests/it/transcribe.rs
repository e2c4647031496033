//! `encore transcribe`: the words heard, with their times, as a person or a program reads them.

use std::ffi::OsStr;

use crate::{corpus, describe, encore};

#[test]
fn json_follows_the_documented_format() {
    let audio = corpus("librivox_sense_sensibility_0870.wav");
    let output = encore(&[OsStr::new("transcribe"), audio.as_os_str(), OsStr::new("--json")]);
    assert!(output.status.success(), "{}", describe(&output));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!(document["format"], "encore.transcript/1");
    let duration = document["duration"].as_f64().unwrap();
    assert!((duration - 7.1).abs() < 0.1, "{duration}");
    let words = document["words"].as_array().unwrap();
    assert!(words.len() > 15, "{words:?}");
    for word in words {
        let (start, end) = (word["start"].as_f64().unwrap(), word["end"].as_f64().unwrap());
        assert!(0.0 <= start && start <= end && end <= duration, "{word}");
        assert!(word["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!((0.0..=1.0).contains(&word["confidence"].as_f64().unwrap()));
    }
    assert!(document["unrecognised"].is_array());
    let speech = document["speech"].as_f64().unwrap();
    assert!(speech > 3.0 && speech <= duration, "{speech} s of speech in {duration} s");
    // The first words of the reading ("and mister John Dashwood"), as Whisper writes them.
    let first: Vec<String> = words[..3]
        .iter()
        .map(|w| w["text"].as_str().unwrap().trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .collect();
    assert_eq!(first, ["and", "mr", "john"]);
}

#[test]
fn words_are_timed_within_a_tenth_of_a_second_of_the_forced_alignment() {
    // The corpus's PocketSphinx alignment of the same reading; its own error is ±20-50 ms.
    let audio = corpus("librivox_sense_sensibility_0870.wav");
    let output = encore(&[OsStr::new("transcribe"), audio.as_os_str(), OsStr::new("--json")]);
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let reference = std::fs::read_to_string(corpus("librivox_sense_sensibility_0870.words.tsv")).unwrap();
    let reference: Vec<(f64, String)> = reference
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let start = fields.next()?.parse().ok()?;
            fields.next()?;
            Some((start, fields.next()?.to_lowercase()))
        })
        .collect();
    let mut errors = Vec::new();
    for word in document["words"].as_array().unwrap() {
        let text = word["text"].as_str().unwrap().trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
        let start = word["start"].as_f64().unwrap();
        if let Some((reference_start, _)) = reference.iter().find(|(s, w)| *w == text && (s - start).abs() < 1.0) {
            errors.push((start - reference_start).abs());
        }
    }
    errors.sort_by(f64::total_cmp);
    assert!(errors.len() >= 15, "only {} words matched", errors.len());
    let median = errors[errors.len() / 2];
    assert!(median < 0.1, "median start error {median:.3} s");
}

#[test]
fn plain_output_lists_words_with_times_and_the_profile_goes_to_stderr() {
    let audio = corpus("jfk_inaugural_1961.wav");
    let output = encore(&[OsStr::new("transcribe"), audio.as_os_str(), OsStr::new("--profile")]);
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let first = stdout.lines().next().unwrap();
    assert!(first.contains("And"), "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let profile = stderr.lines().find_map(|l| l.strip_prefix("profile: ")).expect("a profile line");
    let profile: serde_json::Value = serde_json::from_str(profile).unwrap();
    for stage in ["load_model", "mel", "encoder", "decoder", "timing", "total"] {
        assert!(profile[stage].as_f64().is_some(), "no {stage} in {profile}");
    }
}

#[test]
fn a_bad_recording_gets_a_message_that_names_it_and_exit_code_1() {
    let temp = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 3] = [
        ("empty.wav", b"", "empty"),
        ("notes.wav", b"these are my notes, not a recording", "not an audio file"),
        ("silence.wav", &silent_wav(), "silent"),
    ];
    for (name, bytes, says) in cases {
        let path = temp.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let output = encore(&[OsStr::new("transcribe"), path.as_os_str()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
        assert!(stderr.contains(name) && stderr.contains(says), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// Two seconds of digital silence as a 16 kHz mono 16-bit WAV.
fn silent_wav() -> Vec<u8> {
    crate::wav(&[0; 32_000])
}
